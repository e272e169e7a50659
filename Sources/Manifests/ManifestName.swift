/// Manifest names (lower-case DNS labels) made from other text.
public enum ManifestName {
    /// A valid name close to `text`: lower-cased, every other character turned into '-', runs of
    /// '-' collapsed, at most 63 characters; `fallback` when nothing of `text` is left.
    public static func derived(from text: String, fallback: String) -> String {
        var label = String(text.lowercased().map { $0.isASCII && ($0.isLetter || $0.isNumber) ? $0 : "-" })
        while label.contains("--") { label = label.replacingOccurrences(of: "--", with: "-") }
        label = String(label.drop { $0 == "-" }.prefix(63))
        while label.hasSuffix("-") { label.removeLast() }
        return label.isEmpty ? fallback : label
    }
}
