import ArgumentParser
import Reports

/// How a command writes its result: for people (coloured text) or for machines (JSON).
struct OutputOptions: ParsableArguments {
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

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(help: "Colour text output: auto (a terminal without NO_COLOR), always or never.")
    var color: ColorChoice = .auto

    init() {}

    init(format: Format, color: ColorChoice) {
        self.format = format
        self.color = color
    }

    var style: TerminalStyle { color.style }
}
