import ArgumentParser
import Reports

/// How commands write their results: for people (coloured text) or for machines (JSON).
enum OutputOptions {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never

        var style: TerminalStyle {
            switch self {
            case .auto: TerminalStyle.automatic()
            case .always: TerminalStyle(usesColor: true)
            case .never: TerminalStyle(usesColor: false)
            }
        }
    }

    /// How plans are written: for people, for machines, or for a pull request comment.
    enum PlanFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json, markdown
    }

}

/// `--color`, declared once for every command that writes text.
struct ColorOptions: ParsableArguments {
    @Option(help: "Colour text output: auto (a terminal without NO_COLOR), always or never.")
    var color: OutputOptions.ColorChoice = .auto

    var style: TerminalStyle { color.style }
}
