import Foundation

/// Replaces one document of a multi-document YAML file, leaving every other byte as it was:
/// how a live object is adopted into the file that declares it.
public enum DocumentRewrite {
    /// `text` with the document that contains line `line` (1-based) replaced by `document`.
    /// A document runs from the line after the previous `---` (or the start) to the line before
    /// the next `---` or `...` (or the end); the separators, and the comments that open the
    /// document, are kept.
    public static func replacingDocument(in text: String, containing line: Int, with document: String) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let index = min(max(line - 1, 0), max(lines.count - 1, 0))
        var start = index
        while start > 0, !isSeparator(lines[start - 1]) { start -= 1 }
        // Comments and blank lines that open the document (a file's header, say) stay.
        while start < index, lines[start].trimmingCharacters(in: .whitespaces).isEmpty || lines[start].hasPrefix("#") { start += 1 }
        var end = index
        while end < lines.count, !isSeparator(lines[end]) { end += 1 }
        var replacement = document.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if replacement.last == "" { replacement.removeLast() }
        // Keep one blank line before the next separator when the old document ended with one.
        if end > start, end < lines.count, lines[end - 1].trimmingCharacters(in: .whitespaces).isEmpty { replacement.append("") }
        lines.replaceSubrange(start..<end, with: replacement)
        return lines.joined(separator: "\n")
    }

    /// A line that starts or ends a document: `---` or `...`, alone or followed by a space or comment.
    static func isSeparator(_ line: String) -> Bool {
        for marker in ["---", "..."] where line.hasPrefix(marker) {
            let rest = line.dropFirst(3)
            if rest.isEmpty || rest.first == " " || rest.first == "\t" || rest.first == "#" { return true }
        }
        return false
    }
}
