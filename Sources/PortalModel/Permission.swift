/// One grantable permission of the Teams Rooms Pro Management portal: a feature and a level.
///
/// Microsoft publishes the permission table only as UI labels (Settings > Roles), so Roomkeeper
/// names each entry with a stable slug, `feature.level`, used in manifests, the portal contract and
/// RBAC checks alike. The raw value is that slug.
public enum Permission: String, CaseIterable, Sendable, Hashable, Comparable {
    case roomManagementView = "roomManagement.view"
    case roomManagementModify = "roomManagement.modify"
    case roomManagementUnenroll = "roomManagement.unenroll"
    case roomActionsReadOnly = "roomActions.readOnly"
    case roomActionsReadWrite = "roomActions.readWrite"
    case roomGroupsCreate = "roomGroups.create"
    case roomGroupsView = "roomGroups.view"
    case roomGroupsModify = "roomGroups.modify"
    case updateManagementCreate = "updateManagement.create"
    case updateManagementView = "updateManagement.view"
    case updateManagementModify = "updateManagement.modify"
    case reportsView = "reports.view"
    case ticketManagementView = "ticketManagement.view"
    case ticketManagementModify = "ticketManagement.modify"
    case roleManagementView = "roleManagement.view"
    case roleManagementModify = "roleManagement.modify"
    case inventoryManagementView = "inventoryManagement.view"
    case inventoryManagementModify = "inventoryManagement.modify"
    case serviceSettingsView = "serviceSettings.view"
    case serviceSettingsModify = "serviceSettings.modify"
    case remoteAccessView = "remoteAccess.view"
    case remoteAccessModify = "remoteAccess.modify"

    /// The slug written in manifests, e.g. `roomGroups.modify`.
    public var slug: String { rawValue }

    /// The feature and level as the portal's Roles page labels them.
    public var label: String {
        switch self {
        case .roomManagementView: "Room management: View"
        case .roomManagementModify: "Room management: Modify"
        case .roomManagementUnenroll: "Room management: Unenroll"
        case .roomActionsReadOnly: "Room actions: Read-only actions"
        case .roomActionsReadWrite: "Room actions: Read-write actions"
        case .roomGroupsCreate: "Room groups: Create"
        case .roomGroupsView: "Room groups: View"
        case .roomGroupsModify: "Room groups: Modify"
        case .updateManagementCreate: "Update management: Create"
        case .updateManagementView: "Update management: View"
        case .updateManagementModify: "Update management: Modify"
        case .reportsView: "Reports: View"
        case .ticketManagementView: "Ticket management: View"
        case .ticketManagementModify: "Ticket management: Modify"
        case .roleManagementView: "Role management: View"
        case .roleManagementModify: "Role management: Modify"
        case .inventoryManagementView: "Inventory management: View"
        case .inventoryManagementModify: "Inventory management: Modify"
        case .serviceSettingsView: "Pro Management service settings: View"
        case .serviceSettingsModify: "Pro Management service settings: Modify"
        case .remoteAccessView: "Remote Access: View"
        case .remoteAccessModify: "Remote Access: Modify"
        }
    }

    /// Whether only a custom role may grant this permission.
    ///
    /// Remote Access is never part of a built-in role, not even Teams Rooms Pro Manager; the portal
    /// grants it through custom roles only (and only after the tenant opts in).
    public var isCustomRoleOnly: Bool {
        self == .remoteAccessView || self == .remoteAccessModify
    }

    public static func < (lhs: Permission, rhs: Permission) -> Bool { lhs.rawValue < rhs.rawValue }
}
