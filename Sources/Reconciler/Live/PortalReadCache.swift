import Foundation
import PortalAPI
import Synchronization

/// The portal's collections as the last read saw them, each with the delta token that read
/// ended at: the next read asks the portal only for what changed since and merges it in. Holds
/// what the portal showed the caller, no credential; a delta token is opaque and useful only
/// with a credential for that portal.
///
/// The state folder keeps it (StateStore's `load` and `save`) as one file per collection.
public struct PortalReadCache: Sendable {

    /// The portal it was read from (its endpoint description).
    public let portal: String
    package var rooms: CachedCollection<PortalRoom>?
    package var devices: CachedCollection<PortalDevice>?
    package var roles: CachedCollection<PortalRole>?
    package var roleAssignments: CachedCollection<PortalRoleAssignment>?
    package var roomGroups: CachedCollection<PortalRoomGroup>?
    package var updateRings: CachedCollection<PortalUpdateRing>?
    package var users: CachedCollection<DirectoryUser>?
    package var groups: CachedCollection<DirectoryGroup>?
    /// Collections changed since loaded: what `save` writes.
    package private(set) var changed: Set<PortalCollection> = []

    /// How many objects came from the portal in the read that made this cache: all of a
    /// collection read whole, only the changes of one read by delta.
    public internal(set) var objectsRead = 0

    public init(portal: String) {
        self.portal = portal
    }

    /// Whether any collection changed since the cache was loaded.
    public var hasChanges: Bool { !changed.isEmpty }

    /// The cache as it stands once saved: nothing changed since, nothing read yet.
    public var saved: PortalReadCache {
        var saved = self
        saved.changed = []
        saved.objectsRead = 0
        return saved
    }

    /// Puts a collection's new read in its place, noting whether it changed.
    mutating func store<R: PortalResource>(
        _ collection: CachedCollection<R>, at slot: WritableKeyPath<PortalReadCache, CachedCollection<R>?>, objectsRead: Int, changed isChanged: Bool
    ) {
        self[keyPath: slot] = collection
        self.objectsRead += objectsRead
        if isChanged { changed.insert(R.collection) }
    }
}

/// One collection as last read, and the token to ask from next time.
package struct CachedCollection<R: PortalResource>: Codable, Sendable {
    var token: DeltaToken
    var items: [Tagged<R>]

    init(token: DeltaToken, items: [Tagged<R>]) {
        self.token = token
        self.items = items
    }

    /// Objects and their entity tags are kept apart: each object is then one container to
    /// read, not the two a `Tagged` object takes.
    private enum CodingKeys: String, CodingKey {
        case token, objects, etags
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        token = try container.decode(DeltaToken.self, forKey: .token)
        let objects = try container.decode([R].self, forKey: .objects)
        let etags = try container.decode([String].self, forKey: .etags)
        guard objects.count == etags.count else {
            throw DecodingError.dataCorruptedError(forKey: .etags, in: container, debugDescription: "an entity tag for every object")
        }
        items = zip(objects, etags).map { Tagged($0, etag: $1) }
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(token, forKey: .token)
        try container.encode(items.map(\.resource), forKey: .objects)
        try container.encode(items.map(\.etag), forKey: .etags)
    }

    /// The collection with `changes` merged in, in id order. With no changes it keeps its
    /// token: still good, and a cache that did not change need not be written again.
    func merging(_ changes: CollectionChanges<R>) -> CachedCollection<R> {
        guard !changes.changed.isEmpty || !changes.removed.isEmpty else { return self }
        var byId = Dictionary(items.map { ($0.resource.id, $0) }, uniquingKeysWith: { _, last in last })
        for id in changes.removed { byId[id] = nil }
        for object in changes.changed { byId[object.resource.id] = object }
        return CachedCollection(token: changes.token, items: byId.values.sorted { $0.resource.id < $1.resource.id })
    }
}
