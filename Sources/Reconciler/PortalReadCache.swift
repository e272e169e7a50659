import Foundation
import PortalAPI

/// The portal's collections as the last read saw them, each with the delta token that read
/// ended at: the next read asks the portal only for what changed since and merges it in. Holds
/// what the portal showed the caller, no credential; a delta token is opaque and useful only
/// with a credential for that portal.
public struct PortalReadCache: Codable, Sendable {
    /// Bumped when the layout changes; a cache of another format is not read.
    public static let currentFormat = 1

    public var format = Self.currentFormat
    /// The portal it was read from (its endpoint description).
    public var portal: String
    var rooms: CachedCollection<PortalRoom>?
    var devices: CachedCollection<PortalDevice>?
    var roles: CachedCollection<PortalRole>?
    var roleAssignments: CachedCollection<PortalRoleAssignment>?
    var roomGroups: CachedCollection<PortalRoomGroup>?
    var updateRings: CachedCollection<PortalUpdateRing>?
    var users: CachedCollection<DirectoryUser>?
    var groups: CachedCollection<DirectoryGroup>?

    public init(portal: String) {
        self.portal = portal
    }

    /// How many objects came from the portal in the read that made this cache: all of a
    /// collection read whole, only the changes of one read by delta.
    public internal(set) var objectsRead = 0

    private enum CodingKeys: String, CodingKey {
        case format, portal, rooms, devices, roles, roleAssignments, roomGroups, updateRings, users, groups
    }

    /// Where the cache for `portal` lives in the state folder.
    public static func url(in stateFolder: URL, portal: String) -> URL {
        stateFolder.appendingPathComponent("cache/\(StableDigest.hex(portal, length: 16)).json")
    }

    /// The largest cache file read: far above a tenant of 100,000 rooms.
    public static let maximumBytes = 1 << 30

    /// The cache for `portal` at `url`, or nil when there is none, it is of another format or
    /// portal, or it cannot be read (the read then starts over, whole).
    public static func load(from url: URL, portal: String) -> PortalReadCache? {
        guard let data = try? FileHandle.readBounded(path: url.path, limit: maximumBytes),
              let cache = try? PortalJSON.decoder.decode(PortalReadCache.self, from: data),
              cache.format == currentFormat, cache.portal == portal
        else { return nil }
        return cache
    }

    public func save(to url: URL) throws {
        try PrivateFiles.write(try PortalJSON.encoder.encode(self), to: url)
    }
}

/// One collection as last read, and the token to ask from next time.
struct CachedCollection<R: PortalResource>: Codable, Sendable {
    var token: DeltaToken
    var items: [Tagged<R>]

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
