import Foundation
import PortalAPI
import Synchronization

/// The portal's collections as the last read saw them, each with the delta token that read
/// ended at: the next read asks the portal only for what changed since and merges it in. Holds
/// what the portal showed the caller, no credential; a delta token is opaque and useful only
/// with a credential for that portal.
///
/// Kept in the state folder as one file per collection, in `BinaryCoding`'s form (which a cold
/// process reads several times faster than JSON): the files load in parallel, only collections
/// that changed are written again, and each file is a consistent pair of objects and token, so
/// files of different reads mix safely.
public struct PortalReadCache: Sendable {
    /// Bumped when the layout changes; a file of another format is not read.
    public static let currentFormat = 2

    /// The portal it was read from (its endpoint description).
    public let portal: String
    var rooms: CachedCollection<PortalRoom>?
    var devices: CachedCollection<PortalDevice>?
    var roles: CachedCollection<PortalRole>?
    var roleAssignments: CachedCollection<PortalRoleAssignment>?
    var roomGroups: CachedCollection<PortalRoomGroup>?
    var updateRings: CachedCollection<PortalUpdateRing>?
    var users: CachedCollection<DirectoryUser>?
    var groups: CachedCollection<DirectoryGroup>?
    /// Collections changed since loaded: what `save` writes.
    private(set) var changed: Set<PortalCollection> = []

    /// How many objects came from the portal in the read that made this cache: all of a
    /// collection read whole, only the changes of one read by delta.
    public internal(set) var objectsRead = 0

    public init(portal: String) {
        self.portal = portal
    }

    /// The largest file read: far above a tenant of 100,000 rooms.
    public static let maximumFileBytes = 1 << 30

    /// The cache for `portal` in `folder`, one collection per file, read in parallel. A
    /// collection whose file is missing, damaged, of another format or of another portal is
    /// left out, and the next read reads it whole. Blocks while it reads.
    public static func load(from folder: URL, portal: String) -> PortalReadCache {
        let readers: [@Sendable () -> Loaded] = [
            { .rooms(read(folder, portal)) }, { .devices(read(folder, portal)) }, { .roles(read(folder, portal)) },
            { .roleAssignments(read(folder, portal)) }, { .roomGroups(read(folder, portal)) }, { .updateRings(read(folder, portal)) },
            { .users(read(folder, portal)) }, { .groups(read(folder, portal)) },
        ]
        let results = Results(count: readers.count)
        DispatchQueue.concurrentPerform(iterations: readers.count) { index in results.set(index, readers[index]()) }
        var cache = PortalReadCache(portal: portal)
        for loaded in results.all {
            switch loaded {
            case .rooms(let collection): cache.rooms = collection
            case .devices(let collection): cache.devices = collection
            case .roles(let collection): cache.roles = collection
            case .roleAssignments(let collection): cache.roleAssignments = collection
            case .roomGroups(let collection): cache.roomGroups = collection
            case .updateRings(let collection): cache.updateRings = collection
            case .users(let collection): cache.users = collection
            case .groups(let collection): cache.groups = collection
            }
        }
        return cache
    }

    /// Writes the collections that changed since the cache was loaded, each atomically.
    public func save(to folder: URL) throws {
        try write(rooms, folder)
        try write(devices, folder)
        try write(roles, folder)
        try write(roleAssignments, folder)
        try write(roomGroups, folder)
        try write(updateRings, folder)
        try write(users, folder)
        try write(groups, folder)
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

    // MARK: - Files

    /// One collection's file: the format and portal it belongs to, and the collection.
    private struct File<R: PortalResource>: Codable {
        var format: Int
        var portal: String
        var collection: CachedCollection<R>
    }

    private static func url(_ folder: URL, _ collection: PortalCollection) -> URL {
        folder.appendingPathComponent("\(collection.rawValue).bin")
    }

    private static func read<R: PortalResource>(_ folder: URL, _ portal: String) -> CachedCollection<R>? {
        guard let data = try? FileHandle.readBounded(path: url(folder, R.collection).path, limit: maximumFileBytes),
            let file = try? BinaryCoding.decode(File<R>.self, from: [UInt8](data)),
            file.format == currentFormat, file.portal == portal
        else { return nil }
        return file.collection
    }

    private func write<R: PortalResource>(_ collection: CachedCollection<R>?, _ folder: URL) throws {
        guard let collection, changed.contains(R.collection) else { return }
        let file = File(format: Self.currentFormat, portal: portal, collection: collection)
        try PrivateFiles.write(Data(try BinaryCoding.encode(file)), to: Self.url(folder, R.collection))
    }

    private enum Loaded: Sendable {
        case rooms(CachedCollection<PortalRoom>?)
        case devices(CachedCollection<PortalDevice>?)
        case roles(CachedCollection<PortalRole>?)
        case roleAssignments(CachedCollection<PortalRoleAssignment>?)
        case roomGroups(CachedCollection<PortalRoomGroup>?)
        case updateRings(CachedCollection<PortalUpdateRing>?)
        case users(CachedCollection<DirectoryUser>?)
        case groups(CachedCollection<DirectoryGroup>?)
    }

    /// Slots the parallel readers fill, one each.
    private final class Results: Sendable {
        private let slots: Mutex<[Loaded?]>

        init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }
        func set(_ index: Int, _ value: Loaded) { slots.withLock { $0[index] = value } }
        var all: [Loaded] { slots.withLock { $0.compactMap { $0 } } }
    }
}

/// One collection as last read, and the token to ask from next time.
struct CachedCollection<R: PortalResource>: Codable, Sendable {
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

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        token = try container.decode(DeltaToken.self, forKey: .token)
        let objects = try container.decode([R].self, forKey: .objects)
        let etags = try container.decode([String].self, forKey: .etags)
        guard objects.count == etags.count else {
            throw DecodingError.dataCorruptedError(forKey: .etags, in: container, debugDescription: "an entity tag for every object")
        }
        items = zip(objects, etags).map { Tagged($0, etag: $1) }
    }

    func encode(to encoder: any Encoder) throws {
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
