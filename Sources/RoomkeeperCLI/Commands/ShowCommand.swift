import ArgumentParser
import Reports

extension Roomkeeper {
    /// `roomkeeper show plan.json`: a saved plan, read back as `plan` printed it.
    struct ShowCommand: AsyncParsableCommand, LoggingCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Print a plan saved by `plan --out`, as text, Markdown or JSON, without contacting the portal.",
            discussion: """
                Reads the saved plan (its format must be one this Roomkeeper applies) and prints \
                it as `plan` did: text for people, markdown for a pull request comment, json as \
                saved. Exit 0, or 1 when the file is not a saved plan.
                """)

        @Argument(help: "The plan file written by `roomkeeper plan --out`.", completion: .file(extensions: ["json"]))
        var plan: String

        @Option(help: "Output format: text, json or markdown.")
        var format: OutputOptions.PlanFormat = .text

        @OptionGroup var colorOptions: ColorOptions

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let saved = try SavedPlanFile.read(plan)
            switch format {
            case .json: Console.current.out(try PlanRenderer.json(saved), terminator: "")
            case .text: Console.current.out(PlanRenderer(style: colorOptions.style).text(saved), terminator: "")
            case .markdown: Console.current.out(PlanRenderer.markdown(saved), terminator: "")
            }
        }
    }
}
