import PortalAPI

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

    public init() {}

    /// Reads every collection, at most `concurrency` at a time. Any failure fails the read: a
    /// partial picture of the portal is never planned against, because an object missing from a
    /// failed read is not an object that is absent.
    public static func read(from portal: some Portal, concurrency: Int = 4) async throws -> LiveState {
        var state = LiveState()
        let readers: [@Sendable () async throws -> Part] = [
            { .rooms(try await portal.list(PortalRoom.self)) },
            { .devices(try await portal.list(PortalDevice.self)) },
            { .roles(try await portal.list(PortalRole.self)) },
            { .roleAssignments(try await portal.list(PortalRoleAssignment.self)) },
            { .roomGroups(try await portal.list(PortalRoomGroup.self)) },
            { .updateRings(try await portal.list(PortalUpdateRing.self)) },
            { .users(try await portal.list(DirectoryUser.self)) },
            { .groups(try await portal.list(DirectoryGroup.self)) },
            { .me(try await portal.me()) },
            { .tenantSettings(try await Self.readable { try await portal.tenantSettings() }) },
        ]
        try await withThrowingTaskGroup(of: Part.self) { group in
            var pending = readers[...]
            for _ in 0..<max(1, concurrency) {
                if let reader = pending.popFirst() { group.addTask(operation: reader) }
            }
            while let part = try await group.next() {
                state.merge(part)
                if let reader = pending.popFirst() { group.addTask(operation: reader) }
            }
        }
        return state
    }

    private enum Part: Sendable {
        case rooms([Tagged<PortalRoom>])
        case devices([Tagged<PortalDevice>])
        case roles([Tagged<PortalRole>])
        case roleAssignments([Tagged<PortalRoleAssignment>])
        case roomGroups([Tagged<PortalRoomGroup>])
        case updateRings([Tagged<PortalUpdateRing>])
        case users([Tagged<DirectoryUser>])
        case groups([Tagged<DirectoryGroup>])
        case me(Me)
        case tenantSettings(TenantSettings?)
    }

    /// The value, or nil when the portal says the caller may not read it or does not have it.
    private static func readable<T: Sendable>(_ read: @Sendable () async throws -> T) async throws -> T? {
        do {
            return try await read()
        } catch let error as PortalError where [403, 404].contains(error.status) {
            return nil
        }
    }

    private mutating func merge(_ part: Part) {
        switch part {
        case .rooms(let items): rooms = items
        case .devices(let items): devices = items
        case .roles(let items): roles = items
        case .roleAssignments(let items): roleAssignments = items
        case .roomGroups(let items): roomGroups = items
        case .updateRings(let items): updateRings = items
        case .users(let items): users = items
        case .groups(let items): groups = items
        case .me(let value): me = value
        case .tenantSettings(let value): tenantSettings = value
        }
    }
}
