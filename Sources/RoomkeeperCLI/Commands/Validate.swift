import ArgumentParser
import Foundation
import Manifests
import PortalAPI
import Reconciler
import Reports

extension Roomkeeper {
    struct Validate: AsyncParsableCommand, LoggingCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a folder of manifests, without contacting the portal.",
            discussion: """
                Loads every *.yaml and *.yml file under DIRECTORY (recursively, several documents \
                per file), the repository policy in DIRECTORY/roomkeeper.yaml, and checks shapes, \
                names, references and the portal's rules. With --graph, also checks every member, \
                room, room list and ring licence against the tenant's directory through Microsoft \
                Graph. Every problem is listed at once as file:line:column. Exit 0 when valid \
                (warnings allowed), 1 when not.
                """)

        @Argument(help: "The manifest repository folder.", completion: .directory)
        var directory: String = "."

        /// How diagnostics are written: for people, machines, GitHub Actions annotations or code scanning.
        enum Format: String, ExpressibleByArgument, CaseIterable {
            case text, json, github, sarif
        }

        @Option(help: "Output format: text, json, github (workflow annotations) or sarif (code scanning).")
        var format: Format = .text

        @OptionGroup var colorOptions: ColorOptions

        @OptionGroup var graphOptions: GraphOptions

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let reader = try graphOptions.reader()
            var result = ManifestLoader.load(from: DirectoryTree(root: URL(fileURLWithPath: directory)))
            if let reader, !result.diagnostics.hasErrors {
                let directory: TenantDirectory
                do {
                    directory = try await reader.readDirectory(lookingUp: DirectoryLookups(declared: result.manifests))
                } catch {
                    throw CommandFailure("cannot read the tenant's directory from \(reader.directoryDescription): \(error)")
                }
                result.diagnostics =
                    (result.diagnostics
                    + DirectoryCheck.findings(declared: result.manifests, directory: directory).compactMap(Diagnostic.init))
                    .sortedByLocation()
            }
            switch format {
            case .json:
                Console.current.out(ValidationReport.json(result).rendered(), terminator: "")
            case .github:
                Console.current.out(ValidationReport.github(result.diagnostics, folder: directory), terminator: "")
                Console.current.out(
                    result.diagnostics.hasErrors
                        ? "\(directory): \(DiagnosticRenderer.count(result.diagnostics)); nothing was changed"
                        : summary(result, style: TerminalStyle(usesColor: false)))
            case .sarif:
                Console.current.out(
                    ValidationReport.sarif(result.diagnostics, folder: directory, toolVersion: Roomkeeper.configuration.version).rendered(),
                    terminator: "")
            case .text:
                let style = colorOptions.style
                Console.current.out(DiagnosticRenderer(style: style).render(result.diagnostics, sources: result.sources), terminator: "")
                if result.diagnostics.hasErrors {
                    Console.current.out("\(directory): \(DiagnosticRenderer.count(result.diagnostics)); nothing was changed")
                } else {
                    Console.current.out(summary(result, style: style))
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
