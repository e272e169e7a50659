/// The portal's built-in roles. They can be assigned but never edited or deleted.
///
/// Manifests reference them as `builtin:<name>`, e.g. `builtin:site-lead`.
public enum BuiltInRole: String, CaseIterable, Sendable, Hashable {
    case teamsRoomsProManager = "teams-rooms-pro-manager"
    case siteLead = "site-lead"
    case siteTechnician = "site-technician"

    /// The prefix that marks a reference to a built-in role in a RoleAssignment.
    public static let referencePrefix = "builtin:"

    /// The reference written in manifests, e.g. `builtin:site-lead`.
    public var reference: String { Self.referencePrefix + rawValue }

    /// The display name the portal shows.
    public var displayName: String {
        switch self {
        case .teamsRoomsProManager: "Teams Rooms Pro Manager"
        case .siteLead: "Site Lead"
        case .siteTechnician: "Site Technician"
        }
    }

    /// The permissions the portal grants this role (the table on the portal's Roles page).
    public var permissions: Set<Permission> {
        switch self {
        case .teamsRoomsProManager:
            Set(Permission.allCases.filter { !$0.isCustomRoleOnly })
        case .siteLead:
            [
                .roomManagementView, .roomManagementModify, .roomManagementUnenroll,
                .roomActionsReadOnly, .roomActionsReadWrite, .roomGroupsView, .reportsView,
                .ticketManagementView, .ticketManagementModify,
            ]
        case .siteTechnician:
            [
                .roomManagementView, .roomManagementModify, .roomManagementUnenroll,
                .roomActionsReadOnly, .ticketManagementView, .ticketManagementModify,
            ]
        }
    }

    /// Parses a `builtin:<name>` reference; nil when the text is not one.
    public init?(reference: String) {
        guard reference.hasPrefix(Self.referencePrefix) else { return nil }
        self.init(rawValue: String(reference.dropFirst(Self.referencePrefix.count)))
    }
}
