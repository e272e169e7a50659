import Foundation
import PortalAPI
import PortalModel

/// Scope on every write and read: a permission held over some rooms lets a caller act on what
/// lies within those rooms, never beyond them.
///
/// Microsoft documents the permission table, that assignments are scoped to rooms and room
/// groups, and that roles are created or edited by a Global Administrator or a Teams Rooms Pro
/// Manager and assigned also by holders of Role management
/// (learn.microsoft.com/microsoftteams/rooms/rooms-pro-rbac). It does not say how far a scoped
/// role manager's rights reach; these rules are the safe reading, and Roomkeeper's own design:
/// - a room group, or a role assignment's scope, may be created, changed or deleted only by a
///   caller whose permission covers every room it reaches, before and after the change;
/// - a caller whose role management is scoped may grant in an assignment only permissions it
///   holds itself over the assignment's whole scope, and never Teams Rooms Pro Manager (which is
///   tenant-wide); a caller with role management over all rooms (a Pro Manager) may assign any
///   role, custom-role-only permissions such as remote access included, as the portal documents;
/// - custom roles and update rings reach every room they may be assigned to or hold, so changing
///   them needs the permission over all rooms; moving a room to a ring needs it over that room;
/// - an object the caller may not act on answers exactly as a missing one does (404), so no
///   answer tells whether it exists.
extension PortalService {
    /// The rooms an object reaches: its rooms, its scope's rooms and room groups, or all rooms.
    func reach(_ resource: some OwnedResource) async throws -> RoomSet {
        switch resource {
        case let group as PortalRoomGroup:
            return RoomSet(rooms: Set(group.roomIds))
        case let assignment as PortalRoleAssignment:
            return AccessGrants.reach(of: assignment, roomGroups: try await accessState().roomGroups)
        default:
            return RoomSet(allRooms: true)
        }
    }

    /// Refuses a write unless `permission` covers everything `resource` reaches, and, for an
    /// assignment, unless the caller holds each permission it grants over its whole scope.
    func authorizeScope(_ permission: Permission, for resource: some OwnedResource, as principal: Principal) async throws {
        let reach = try await reach(resource)
        guard principal.covers(permission, reach) else { throw forbidden(permission, target: resource.id) }
        guard let assignment = resource as? PortalRoleAssignment, !principal.covers(permission, RoomSet(allRooms: true)) else { return }
        if assignment.roleId == BuiltInRole.teamsRoomsProManager.rawValue { throw forbidden(permission, target: resource.id) }
        let granted = try await accessState().roles[assignment.roleId]?.permissions.compactMap(Permission.init(rawValue:)) ?? []
        if let beyond = granted.first(where: { !principal.covers($0, reach) }) {
            throw PortalError.forbidden(
                "an assignment may grant only what its author holds over its scope; this one grants \(beyond.slug)", target: resource.id)
        }
    }

    /// Whether an existing object is one the caller may act on with `permission`; answers to
    /// objects it may not are those for missing ones.
    func isWithinScope(_ resource: some OwnedResource, _ permission: Permission, of principal: Principal) async throws -> Bool {
        principal.covers(permission, try await reach(resource))
    }

    /// Whether the caller may see an audit entry: everything with the view permission over all
    /// rooms; otherwise only entries about rooms and devices in scope.
    func isVisible(_ entry: AuditEntry, to principal: Principal, devices: [String: String?]) -> Bool {
        if principal.covers(.serviceSettingsView, RoomSet(allRooms: true)) { return true }
        switch entry.collection {
        case PortalCollection.rooms.rawValue: return principal.holds(.serviceSettingsView, over: entry.objectId)
        case PortalCollection.devices.rawValue:
            return devices[entry.objectId].map { principal.holds(.serviceSettingsView, over: $0) } ?? false
        default: return false
        }
    }
}

extension Principal {
    /// Whether the permission is held over every room of `set` (over all rooms, if it is all rooms).
    public func covers(_ permission: Permission, _ set: RoomSet) -> Bool {
        guard let grant = grants[permission] else { return false }
        if grant.allRooms { return true }
        return !set.allRooms && set.rooms.isSubset(of: grant.rooms)
    }
}
