import PortalAPI
import PortalModel

/// Everything the planner needs from the portal, read once per plan.
public struct LiveState: Sendable {
    public var rooms: [Tagged<PortalRoom>] = []
    public var devices: [Tagged<PortalDevice>] = []
    public var roles: [Tagged<PortalRole>] = []
    public var roleAssignments: [Tagged<PortalRoleAssignment>] = []
    public var roomGroups: [Tagged<PortalRoomGroup>] = []
    public var updateRings: [Tagged<PortalUpdateRing>] = []
    public var users: [Tagged<DirectoryUser>] = []
    public var groups: [Tagged<DirectoryGroup>] = []
    /// Who Roomkeeper signs in as; nil when not read (the plan's lock-out guard then checks only
    /// that a Pro Manager assignment remains).
    public var me: Me?
    /// Nil when the caller may not read them: checks that need them are then skipped.
    public var tenantSettings: TenantSettings?
    /// The tenant's own directory (Microsoft Graph), when one is connected: then the source of
    /// users, groups, the rooms' places and licences, and room lists.
    public var directory: TenantDirectory?

    public init() {}

    /// What can be known from the directory alone, with no portal: its users, groups and room
    /// mailboxes (as rooms in the default ring), and the portal's fixed objects (the built-in
    /// roles and default rings), for checking manifests against the directory and listing the
    /// portal steps no API can take.
    public init(directory: TenantDirectory) {
        roles = BuiltInRole.allCases.map { role in
            Tagged(
                PortalRole(id: role.rawValue, displayName: role.displayName, isBuiltIn: true, permissions: role.permissions.map(\.slug).sorted()),
                etag: "")
        }
        updateRings = DefaultUpdateRing.allCases.map { ring in
            Tagged(
                PortalUpdateRing(
                    id: ring.rawValue, displayName: ring.displayName, order: ring.order, rolloutDays: ring.rolloutDays, testDays: ring.testDays,
                    isDefault: true),
                etag: "")
        }
        // The rooms are the directory's own, so they need nothing of it merged in; a tenant's
        // users, its most objects, are taken while they are made.
        let (rooms, users) = inParallel(
            {
                directory.rooms.map { room in
                    Tagged(
                        PortalRoom(
                            id: room.email, displayName: room.displayName, email: room.email, location: room.location,
                            updateRingId: DefaultUpdateRing.general.rawValue, licence: .known(room.licence ?? .unlicensed), capacity: room.capacity),
                        etag: "")
                }
            }, { directory.users.map { Tagged($0, etag: "") } })
        self.rooms = rooms
        self.users = users
        groups = directory.groups.map { Tagged($0, etag: "") }
        self.directory = directory
    }

    /// Records which of these groups each user is in.
    mutating func place(inGroups members: [String: Set<String>]) {
        var groupsByUser: [String: [String]] = [:]
        for (group, users) in members {
            for user in users { groupsByUser[user, default: []].append(group) }
        }
        for index in users.indices {
            users[index].resource.groupIds = (groupsByUser[users[index].resource.id] ?? []).sorted()
        }
    }

    /// Takes the directory as the source of truth for what it knows: users and groups replace
    /// the portal's copies, and each room the directory lists takes its place (address, building,
    /// floor), capacity and licence from it.
    public mutating func connect(_ directory: TenantDirectory) {
        self.directory = directory
        users = directory.users.map { Tagged($0, etag: "") }
        groups = directory.groups.map { Tagged($0, etag: "") }
        let places = Dictionary(directory.rooms.map { ($0.email, $0) }, uniquingKeysWith: { first, _ in first })
        for index in rooms.indices {
            guard let place = places[rooms[index].resource.id] else { continue }
            let campus = rooms[index].resource.location.campus
            rooms[index].resource.location = place.location
            rooms[index].resource.location.campus = campus
            rooms[index].resource.capacity = place.capacity ?? rooms[index].resource.capacity
            if let licence = place.licence { rooms[index].resource.licence = .known(licence) }
        }
    }

    /// Reads every collection, at most `concurrency` at a time: by delta from `cache` (only what
    /// changed since, merged into the cached copy), else whole; a collection whose token the
    /// portal no longer honours (410) is read whole. Returns the state and the cache for next time.
    ///
    /// Any failure fails the read: a partial picture of the portal is never planned against,
    /// because an object missing from a failed read is not an object that is absent.
    public static func read(
        from portal: some Portal, directory source: (any DirectorySource)? = nil, lookingUp lookups: DirectoryLookups = DirectoryLookups(),
        cache: PortalReadCache? = nil, concurrency: Int = 4
    ) async throws -> (state: LiveState, cache: PortalReadCache) {
        var state = LiveState()
        var directory: TenantDirectory?
        var next = PortalReadCache(portal: portal.endpointDescription)
        var readers: [@Sendable () async throws -> Part] = [
            { .rooms(try await refresh(from: portal, cache?.rooms)) },
            { .devices(try await refresh(from: portal, cache?.devices)) },
            { .roles(try await refresh(from: portal, cache?.roles)) },
            { .roleAssignments(try await refresh(from: portal, cache?.roleAssignments)) },
            { .roomGroups(try await refresh(from: portal, cache?.roomGroups)) },
            { .updateRings(try await refresh(from: portal, cache?.updateRings)) },
            { .users(try await refresh(from: portal, cache?.users)) },
            { .groups(try await refresh(from: portal, cache?.groups)) },
            { .me(try await portal.me()) },
            { .tenantSettings(try await Self.readable { try await portal.tenantSettings() }) },
        ]
        if let source {
            // First, since it is the longest read.
            readers.insert(
                {
                    do {
                        return .directory(try await source.readDirectory(lookingUp: lookups))
                    } catch {
                        throw DirectoryReadError(source: source.directoryDescription, underlying: error)
                    }
                }, at: 0)
        }
        try await withThrowingTaskGroup(of: Part.self) { group in
            var pending = readers[...]
            for _ in 0..<max(1, concurrency) {
                if let reader = pending.popFirst() { group.addTask(operation: reader) }
            }
            while let part = try await group.next() {
                if case .directory(let read) = part { directory = read } else { state.merge(part, into: &next) }
                if let reader = pending.popFirst() { group.addTask(operation: reader) }
            }
        }
        if let source, let directory {
            state.connect(directory)
            // Who is in the groups the portal's assignments name: for the access report and the
            // lock-out guard, which follow grants through groups.
            let groups = Set(state.roleAssignments.flatMap(\.resource.members).filter { $0.kind == .group }.map(\.id))
            if !groups.isEmpty {
                do {
                    state.place(inGroups: try await source.transitiveMembers(ofGroups: groups))
                } catch {
                    throw DirectoryReadError(source: source.directoryDescription, underlying: error)
                }
            }
        }
        return (state, next)
    }

    /// One collection brought up to date: by delta from the cached copy, else whole.
    private static func refresh<R: PortalResource>(
        from portal: some Portal, _ cached: CachedCollection<R>?
    ) async throws -> Refreshed<R> {
        if let cached {
            do {
                let changes = try await portal.changes(R.self, since: cached.token)
                let count = changes.changed.count + changes.removed.count
                return Refreshed(collection: cached.merging(changes), objectsRead: count, changed: count > 0)
            } catch let error as PortalError where error.status == 410 {
                // The portal can no longer say what changed since that token: read it whole.
            }
        }
        let whole = try await portal.changes(R.self, since: nil)
        return Refreshed(collection: CachedCollection(token: whole.token, items: whole.changed), objectsRead: whole.changed.count, changed: true)
    }

    private struct Refreshed<R: PortalResource>: Sendable {
        var collection: CachedCollection<R>
        var objectsRead: Int
        /// Whether the collection differs from the cached one (or there was none).
        var changed: Bool
    }

    private enum Part: Sendable {
        case rooms(Refreshed<PortalRoom>)
        case devices(Refreshed<PortalDevice>)
        case roles(Refreshed<PortalRole>)
        case roleAssignments(Refreshed<PortalRoleAssignment>)
        case roomGroups(Refreshed<PortalRoomGroup>)
        case updateRings(Refreshed<PortalUpdateRing>)
        case users(Refreshed<DirectoryUser>)
        case groups(Refreshed<DirectoryGroup>)
        case me(Me)
        case tenantSettings(TenantSettings?)
        case directory(TenantDirectory)
    }

    /// The value, or nil when the portal says the caller may not read it or does not have it.
    private static func readable<T: Sendable>(_ read: @Sendable () async throws -> T) async throws -> T? {
        do {
            return try await read()
        } catch let error as PortalError where [403, 404].contains(error.status) {
            return nil
        }
    }

    private mutating func merge(_ part: Part, into cache: inout PortalReadCache) {
        func take<R>(_ refreshed: Refreshed<R>, _ slot: WritableKeyPath<PortalReadCache, CachedCollection<R>?>) -> [Tagged<R>] {
            cache.store(refreshed.collection, at: slot, objectsRead: refreshed.objectsRead, changed: refreshed.changed)
            return refreshed.collection.items
        }
        switch part {
        case .rooms(let read): rooms = take(read, \.rooms)
        case .devices(let read): devices = take(read, \.devices)
        case .roles(let read): roles = take(read, \.roles)
        case .roleAssignments(let read): roleAssignments = take(read, \.roleAssignments)
        case .roomGroups(let read): roomGroups = take(read, \.roomGroups)
        case .updateRings(let read): updateRings = take(read, \.updateRings)
        case .users(let read): users = take(read, \.users)
        case .groups(let read): groups = take(read, \.groups)
        case .me(let value): me = value
        case .tenantSettings(let value): tenantSettings = value
        case .directory: break
        }
    }
}

/// The tenant's directory could not be read whole.
public struct DirectoryReadError: Error, CustomStringConvertible {
    public var source: String
    public var underlying: any Error

    public init(source: String, underlying: any Error) {
        self.source = source
        self.underlying = underlying
    }

    public var description: String { "cannot read the tenant's directory from \(source): \(underlying)" }
}
