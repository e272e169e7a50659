import ArgumentParser
import Foundation
import Manifests
import Reports

extension Roomkeeper {
    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a folder of manifests without contacting the portal.",
            discussion: """
                Loads every *.yaml and *.yml file under DIRECTORY (recursively, several documents \
                per file), the repository policy in DIRECTORY/roomkeeper.yaml, and checks shapes, \
                names, references and the portal's rules. Every problem is listed at once as \
                file:line:column. Exit 0 when valid (warnings allowed), 1 when not.
                """)

        @Argument(help: "The manifest repository folder.", completion: .directory)
        var directory: String = "."

        @OptionGroup var output: OutputOptions

        func run() async throws {
            let result = ManifestLoader.load(from: DirectoryTree(root: URL(fileURLWithPath: directory)))
            switch output.format {
            case .json:
                print(ValidationReport.json(result).rendered(), terminator: "")
            case .text:
                let style = output.style
                print(DiagnosticRenderer(style: style).render(result.diagnostics, sources: result.sources), terminator: "")
                if result.diagnostics.hasErrors {
                    print("\(directory): \(DiagnosticRenderer.count(result.diagnostics)); nothing was changed")
                } else {
                    print(summary(result, style: style))
                }
            }
            if result.diagnostics.hasErrors { throw ExitCode.failure }
        }

        private func summary(_ result: LoadResult, style: TerminalStyle) -> String {
            let counts = result.manifests.counts
            let parts = ManifestKind.allCases.compactMap { kind -> String? in
                let count = counts[kind, default: 0]
                return count == 0 ? nil : "\(count) \(kind.rawValue)"
            }
            let total = counts.values.reduce(0, +)
            let policy = result.manifests.policy.location == nil ? "default policy" : "policy from roomkeeper.yaml"
            let warnings = result.diagnostics.isEmpty ? "" : ", \(DiagnosticRenderer.count(result.diagnostics))"
            return "\(directory): valid: \(result.fileCount) files, \(total) manifests"
                + (parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))") + ", \(policy)\(warnings)"
        }
    }
}
