import Foundation
import PortalAPI
import PortalModel
import Reconciler

/// The read cache in the state folder: one file per collection, in `BinaryCoding`'s form (which
/// a cold process reads several times faster than JSON). The files load in parallel, only
/// collections that changed are written again, and each file is a consistent pair of objects and
/// token, so files of different reads mix safely.
extension PortalReadCache {
    /// Bumped when the layout changes; a file of another format is not read.
    public static let currentFormat = 2

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
        var cache = PortalReadCache(portal: portal)
        for loaded in inParallel(readers) {
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
}
