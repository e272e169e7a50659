import Crypto
import Manifests

/// A digest of a manifest tree's files (paths and bytes), so a saved plan can tell whether the
/// manifests it was made from have changed: `sha256:<hex>`.
public enum SourceRevision {
    public static func of(_ tree: some ManifestFileTree) throws -> String {
        var hash = SHA256()
        for path in try tree.yamlFiles() {
            // A file the loader refuses to read (too large) is hashed by why, which names its size.
            let contents: [UInt8]
            do { contents = try tree.contents(of: path) } catch { contents = Array("unreadable: \(error)".utf8) }
            // Length-prefixed, so no two different trees hash the same bytes.
            for field in [Array(path.utf8), contents] {
                withUnsafeBytes(of: UInt64(field.count).littleEndian) { hash.update(bufferPointer: $0) }
                hash.update(data: field)
            }
        }
        let hex = hash.finalize().map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        return "sha256:" + hex.joined()
    }
}
