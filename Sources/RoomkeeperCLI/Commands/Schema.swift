import ArgumentParser
import Reports

extension Roomkeeper {
    struct Schema: AsyncParsableCommand, LoggingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the JSON Schema of the manifest kinds, for editors.",
            discussion: """
                Save it next to your manifests and point yaml-language-server at it, e.g. \
                `roomkeeper schema > roomkeeper.schema.json` and a first line \
                `# yaml-language-server: $schema=./roomkeeper.schema.json` in each file. \
                The README shows how to map it for a whole folder.
                """)

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            Console.current.out(ManifestJSONSchema.document().rendered(), terminator: "")
        }
    }
}
