import PortalAPI
import PortalModel

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
}
