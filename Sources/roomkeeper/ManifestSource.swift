import ArgumentParser
import Foundation
import Manifests
import Reconciler
import Reports

/// The manifests a command works from, loaded and checked, with the revision a plan records.
struct ManifestSource {
    let directory: String
    let manifests: ManifestSet
    let revision: String

    /// Loads `directory`; on any error prints every diagnostic to standard error and exits 1,
    /// before a portal is opened.
    static func load(_ directory: String, style: TerminalStyle, consequence: String) throws -> ManifestSource {
        let tree = DirectoryTree(root: URL(fileURLWithPath: directory))
        let loaded = ManifestLoader.load(from: tree)
        if loaded.diagnostics.hasErrors {
            let renderer = DiagnosticRenderer(style: style)
            FileHandle.standardError.write(Data(renderer.render(loaded.diagnostics, sources: loaded.sources).utf8))
            FileHandle.standardError.write(Data("\(directory): \(DiagnosticRenderer.count(loaded.diagnostics)); \(consequence)\n".utf8))
            throw ExitCode.failure
        }
        return ManifestSource(directory: directory, manifests: loaded.manifests, revision: try SourceRevision.of(tree))
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
