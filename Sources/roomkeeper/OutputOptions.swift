import ArgumentParser
import Reports

/// How a command writes its result: for people (coloured text) or for machines (JSON).
struct OutputOptions: ParsableArguments {
    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    enum ColorChoice: String, ExpressibleByArgument, CaseIterable {
        case auto, always, never
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

    var style: TerminalStyle {
        switch color {
        case .auto: TerminalStyle.automatic()
        case .always: TerminalStyle(usesColor: true)
        case .never: TerminalStyle(usesColor: false)
        }
    }
}
