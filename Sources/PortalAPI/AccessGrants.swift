import PortalModel

/// Where a permission applies: every room, or a set of rooms (by id).
public struct RoomSet: Sendable, Equatable {
    public var allRooms: Bool
    public var rooms: Set<String>

    public init(allRooms: Bool = false, rooms: Set<String> = []) {
        self.allRooms = allRooms
        self.rooms = rooms
    }

    public func contains(_ room: String?) -> Bool {
        allRooms || room.map(rooms.contains) == true
    }

    public mutating func formUnion(_ other: RoomSet) {
        allRooms = allRooms || other.allRooms
        rooms.formUnion(other.rooms)
    }
}

/// What the portal grants a user: the permissions of their directory roles (each over all
/// rooms) and of every role assignment that names them or a group of theirs, each permission
/// over the union of those scopes. The emulator authorises with it; `access` and the plan's
/// lock-out guard evaluate it on what the portal holds or will hold.
public enum AccessGrants {
    /// Works out a user's grants from their directory roles (each over all rooms) and the
    /// tenant's assignments: an assignment applies when it names the user or one of the user's
    /// groups; its scope is all rooms, or its rooms plus the rooms of its room groups.
    public static func grants(
        for user: DirectoryUser, assignments: [PortalRoleAssignment], roles: [String: PortalRole],
        roomGroups: [String: PortalRoomGroup]
    ) -> [Permission: RoomSet] {
        let groups = Set(user.groupIds)
        var grants: [Permission: RoomSet] = [:]
        for role in user.directoryRoles ?? [] {
            for permission in role.value?.permissions ?? [] { grants[permission] = RoomSet(allRooms: true) }
        }
        for assignment in assignments {
            let applies = assignment.members.contains { member in
                member.kind == .user ? member.id == user.id : groups.contains(member.id)
            }
            guard applies, let role = roles[assignment.roleId] else { continue }
            let scope = reach(of: assignment, roomGroups: roomGroups)
            for permission in role.permissions.compactMap(Permission.init(rawValue:)) {
                grants[permission, default: RoomSet()].formUnion(scope)
            }
        }
        return grants
    }

    /// The rooms an assignment reaches: all rooms, or its rooms plus the rooms of its room groups.
    public static func reach(of assignment: PortalRoleAssignment, roomGroups: [String: PortalRoomGroup]) -> RoomSet {
        var rooms = Set(assignment.scope.roomIds)
        for groupId in assignment.scope.roomGroupIds { rooms.formUnion(roomGroups[groupId]?.roomIds ?? []) }
        return RoomSet(allRooms: assignment.scope.allRooms, rooms: rooms)
    }
}
