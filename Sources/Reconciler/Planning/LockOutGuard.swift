import PortalAPI
import PortalModel

/// Refuses a plan that would lock people out of the portal: one that removes the last Teams
/// Rooms Pro Manager assignment with members, or takes from Roomkeeper's own account what it
/// needs to reconcile. Evaluated on the access the portal would grant once the plan is applied.
enum LockOutGuard {
    /// The permissions Roomkeeper uses to read and write what manifests declare.
    static let reconcilerPermissions: Set<Permission> = [
        .roleManagementView, .roleManagementModify, .roomGroupsView, .roomGroupsCreate, .roomGroupsModify,
        .updateManagementView, .updateManagementCreate, .updateManagementModify, .roomManagementView, .roomManagementModify,
    ]

    static func blockers(live: LiveState, actions: [PlannedAction]) -> [PlanBlocker] {
        let before = Access(live: live)
        var after = before
        for action in actions { after.apply(action) }
        var blockers: [PlanBlocker] = []
        if before.proManagerCount > 0 && after.proManagerCount == 0 { blockers.append(.lastProManager) }
        if let account = live.me?.userPrincipalName,
            let user = live.users.first(where: { $0.resource.userPrincipalName.lowercased() == account.lowercased() })?.resource
        {
            let held = before.grants(for: user)
            let kept = after.grants(for: user)
            let lost = reconcilerPermissions.filter { held[$0]?.allRooms == true && kept[$0]?.allRooms != true }
            if !lost.isEmpty { blockers.append(.selfLockOut(account: account, lost: lost.map(\.slug).sorted())) }
        }
        return blockers
    }

    /// The objects that decide access, before or after a plan.
    private struct Access {
        var assignments: [String: PortalRoleAssignment]
        var roles: [String: PortalRole]
        var roomGroups: [String: PortalRoomGroup]

        init(live: LiveState) {
            assignments = Dictionary(live.roleAssignments.map { ($0.resource.id, $0.resource) }, uniquingKeysWith: { first, _ in first })
            roles = Dictionary(live.roles.map { ($0.resource.id, $0.resource) }, uniquingKeysWith: { first, _ in first })
            roomGroups = Dictionary(live.roomGroups.map { ($0.resource.id, $0.resource) }, uniquingKeysWith: { first, _ in first })
        }

        mutating func apply(_ action: PlannedAction) {
            switch (action.type, action.payload) {
            case (.create, .roleAssignment(let value)?), (.update, .roleAssignment(let value)?): assignments[value.id] = value
            case (.create, .role(let value)?), (.update, .role(let value)?): roles[value.id] = value
            case (.create, .roomGroup(let value)?), (.update, .roomGroup(let value)?): roomGroups[value.id] = value
            case (.delete, _):
                guard let id = action.target.portalId else { return }
                switch action.target.kind {
                case .manifest(.roleAssignment): assignments[id] = nil
                case .manifest(.role): roles[id] = nil
                case .manifest(.roomGroup): roomGroups[id] = nil
                default: break
                }
            default: break
            }
        }

        var proManagerCount: Int {
            assignments.values.filter { $0.roleId == BuiltInRole.teamsRoomsProManager.rawValue && !$0.members.isEmpty }.count
        }

        func grants(for user: DirectoryUser) -> [Permission: RoomSet] {
            AccessGrants.grants(for: user, assignments: Array(assignments.values), roles: roles, roomGroups: roomGroups)
        }
    }
}
