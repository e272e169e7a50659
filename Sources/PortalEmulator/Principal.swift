import PortalAPI
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

    mutating func formUnion(_ other: RoomSet) {
        allRooms = allRooms || other.allRooms
        rooms.formUnion(other.rooms)
    }
}

/// A caller: a directory user and the permissions their role assignments grant, each over the
/// union of the assignments' scopes, as the portal evaluates them.
public struct Principal: Sendable, Equatable {
    public var userPrincipalName: String
    public var grants: [Permission: RoomSet]

    public init(userPrincipalName: String, grants: [Permission: RoomSet]) {
        self.userPrincipalName = userPrincipalName
        self.grants = grants
    }

    /// Whether the permission is held at all (for objects that are not rooms: roles, groups, rings).
    public func holds(_ permission: Permission) -> Bool { grants[permission] != nil }

    /// Whether the permission is held over the room (nil: a device in no room, which needs allRooms).
    public func holds(_ permission: Permission, over room: String?) -> Bool {
        grants[permission]?.contains(room) == true
    }

    /// Works out a user's grants from the tenant's assignments: an assignment applies when it
    /// names the user or one of the user's groups; its scope is all rooms, or its rooms plus
    /// the rooms of its room groups.
    public static func grants(
        for user: DirectoryUser, assignments: [PortalRoleAssignment], roles: [String: PortalRole],
        roomGroups: [String: PortalRoomGroup]
    ) -> [Permission: RoomSet] {
        let groups = Set(user.groupIds)
        var grants: [Permission: RoomSet] = [:]
        for assignment in assignments {
            let applies = assignment.members.contains { member in
                member.kind == .user ? member.id == user.id : groups.contains(member.id)
            }
            guard applies, let role = roles[assignment.roleId] else { continue }
            var scope = RoomSet(allRooms: assignment.scope.allRooms, rooms: Set(assignment.scope.roomIds))
            for groupId in assignment.scope.roomGroupIds {
                scope.rooms.formUnion(roomGroups[groupId]?.roomIds ?? [])
            }
            for permission in role.permissions.compactMap(Permission.init(rawValue:)) {
                grants[permission, default: RoomSet()].formUnion(scope)
            }
        }
        return grants
    }
}
