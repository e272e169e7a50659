import Synchronization

/// The bytes of one file, with a line index built on first use, to turn byte offsets into
/// line and column and to show a line in a diagnostic. Only files with problems need the index,
/// so loading a valid repository never builds one.
public struct SourceText: Sendable {
    public let path: String
    public let bytes: [UInt8]
    private let index = LineIndex()

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    /// Byte offsets at which lines start, computed once.
    private var lineStarts: [Int] {
        index.starts.withLock { cached in
            if let cached { return cached }
            var starts = [0]
            for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
                starts.append(offset + 1)
            }
            cached = starts
            return starts
        }
    }

    private final class LineIndex: Sendable {
        let starts = Mutex<[Int]?>(nil)
    }

    /// The text of a 1-based line, without its line break; nil past the end of the file.
    public func line(_ number: Int) -> String? {
        let lineStarts = lineStarts
        guard number >= 1, number <= lineStarts.count else { return nil }
        let start = lineStarts[number - 1]
        var end = number < lineStarts.count ? lineStarts[number] : bytes.count
        while end > start, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") {
            end -= 1
        }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    /// The 1-based line and column (in characters) of a byte offset.
    public func location(ofByteOffset offset: Int) -> SourceLocation {
        let lineStarts = lineStarts
        let clamped = min(max(offset, 0), bytes.count)
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= clamped { low = middle } else { high = middle - 1 }
        }
        // Count characters, not bytes: UTF-8 continuation bytes do not start a character.
        let column = bytes[lineStarts[low]..<clamped].reduce(0) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
        return SourceLocation(file: path, line: low + 1, column: column + 1)
    }
}
