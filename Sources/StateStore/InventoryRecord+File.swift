import Foundation
import PortalAPI
import Reconciler

/// An inventory record is kept as pretty JSON, one file per portal or directory.
extension InventoryRecord {
    /// The last record for a portal, if any (an unreadable one counts as none).
    public static func load(from url: URL) -> InventoryRecord? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(InventoryRecord.self, from: data)
    }

    public func save(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        try PrivateFiles.write(try encoder.encode(self), to: url)
    }
}
