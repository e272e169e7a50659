import Crypto
import Foundation

/// Short, stable names derived from text: file names per portal, drift fingerprints.
public enum StableDigest {
    /// The first `length` hex digits of the text's SHA-256.
    public static func hex(_ text: String, length: Int) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var hex: [UInt8] = []
        hex.reserveCapacity(length + 1)
        // Not String(format:): thousands of checklist steps each take a digest.
        var text = text
        let digest = text.withUTF8 { SHA256.hash(data: UnsafeRawBufferPointer($0)) }
        for byte in digest.prefix((length + 1) / 2) {
            hex.append(digits[Int(byte >> 4)])
            hex.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: hex.prefix(length), as: UTF8.self)
    }
}
