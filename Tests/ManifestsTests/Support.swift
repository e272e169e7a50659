import Foundation
import Manifests
import TestSupport

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
