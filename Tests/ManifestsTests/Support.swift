import Foundation
import Manifests

/// The repository root, found from this file's path, for reading `examples/`.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func examples(_ name: String) -> URL { repositoryRoot.appendingPathComponent("examples/\(name)") }

/// Diagnostics in a compact, complete text form: the location line, then hint and notes.
func compact(_ diagnostics: [Diagnostic]) -> String {
    diagnostics.map { diagnostic in
        var text = "\(diagnostic.location.map { "\($0): " } ?? "")\(diagnostic.severity.rawValue): \(diagnostic.message)\n"
        if let hint = diagnostic.hint { text += "  hint: \(hint)\n" }
        for note in diagnostic.notes { text += "  note: \(note.location): \(note.message)\n" }
        return text
    }.joined()
}

/// Loads YAML text given inline, as the file `path` of a one-file repository.
func load(_ text: String, path: String = "test.yaml") -> LoadResult {
    ManifestLoader.load(from: MemoryTree(files: [path: Array(text.utf8)]))
}

/// A manifest tree held in memory, for tests that build repositories in code.
struct MemoryTree: ManifestFileTree {
    var files: [String: [UInt8]]
    func yamlFiles() throws -> [String] { files.keys.sorted() }
    func contents(of path: String) throws -> [UInt8] { files[path] ?? [] }
}
