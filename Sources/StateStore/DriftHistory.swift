import Foundation
import PortalAPI
import Reconciler

/// The drift history: one JSON line per check, appended; trimmed to the most recent `keep`
/// entries when it grows past twice that, and to half of `maximumBytes` when it grows past
/// that (a tenant drifting everywhere writes long lines).
public struct DriftHistory: Sendable {
    public let url: URL
    public let keep: Int
    public let maximumBytes: Int

    public init(url: URL, keep: Int = 500, maximumBytes: Int = 32 << 20) {
        self.url = url
        self.keep = keep
        self.maximumBytes = maximumBytes
    }

    /// The last `limit` entries, oldest first. A missing file is an empty history; a line that
    /// does not decode (a torn write) is skipped.
    public func recent(limit: Int = 100) throws -> [DriftHistoryEntry] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let lines = try Self.lines(of: url)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return lines.suffix(limit).compactMap { try? decoder.decode(DriftHistoryEntry.self, from: Data($0.utf8)) }
    }

    /// Appends an entry, trimming old ones when the file has grown past twice `keep`.
    public func append(_ entry: DriftHistoryEntry) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        let line = String(decoding: try encoder.encode(entry), as: UTF8.self)
        var lines = FileManager.default.fileExists(atPath: url.path) ? try Self.lines(of: url) : []
        lines.append(line)
        var bytes = lines.reduce(0) { $0 + $1.utf8.count + 1 }
        if lines.count > keep * 2 { lines = Array(lines.suffix(keep)) }
        if bytes > maximumBytes {
            // Oldest first, keeping at least the newest line.
            var dropped = 0
            while lines.count - dropped > 1, bytes > maximumBytes / 2 {
                bytes -= lines[dropped].utf8.count + 1
                dropped += 1
            }
            lines.removeFirst(dropped)
        }
        try PrivateFiles.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: url)
    }

    private static func lines(of url: URL) throws -> [String] {
        String(decoding: try Data(contentsOf: url), as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
