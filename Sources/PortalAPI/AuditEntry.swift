import Foundation

/// One write, as the audit log records it: who, what, when, and the object before and after.
public struct AuditEntry: Codable, Sendable, Equatable {
    public var sequence: Int64
    public var time: Date
    public var actor: String
    /// create, replace, delete, enroll, unenroll, checkin, ...
    public var action: String
    public var collection: String
    public var objectId: String
    public var before: String?
    public var after: String?

    public init(
        sequence: Int64, time: Date, actor: String, action: String, collection: String, objectId: String, before: String?, after: String?
    ) {
        self.sequence = sequence
        self.time = time
        self.actor = actor
        self.action = action
        self.collection = collection
        self.objectId = objectId
        self.before = before
        self.after = after
    }
}

extension AuditEntry {
    /// The `$filter` value the audit log takes to list only deletions.
    public static let deletionsFilter = "action eq 'delete'"

    /// The manifest a deleted object carried, read from its last state (`before`); nil for an
    /// object Roomkeeper did not manage or a state that cannot be read.
    public var deletedManifestName: String? {
        struct Marker: Decodable {
            var managedBy: String?
            var manifestName: String?
        }
        guard action == "delete", let before, let marker = try? JSONDecoder().decode(Marker.self, from: Data(before.utf8)),
            marker.managedBy == Ownership.roomkeeper
        else { return nil }
        return marker.manifestName
    }
}
