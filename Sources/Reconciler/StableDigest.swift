import Crypto
import Foundation

/// Short, stable names derived from text: file names per portal, drift fingerprints.
public enum StableDigest {
    /// The first `length` hex digits of the text's SHA-256.
    public static func hex(_ text: String, length: Int) -> String {
        let bytes = SHA256.hash(data: Data(text.utf8)).prefix((length + 1) / 2)
        return String(bytes.map { String(format: "%02x", $0) }.joined().prefix(length))
    }
}
