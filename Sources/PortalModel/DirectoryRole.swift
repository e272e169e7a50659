/// The Microsoft Entra directory roles that reach the Pro Management portal with no portal role
/// assignment at all. Since 2025 a Global Administrator is no longer made a Teams Rooms Pro
/// Manager automatically; these four roles enter the portal on their own terms, over all rooms:
/// Global Administrator, Teams Administrator and Teams Devices Administrator read and write
/// (the last without Roles), Global Reader reads only. Admins scoped by an administrative unit do
/// not enter (learn.microsoft.com/microsoftteams/rooms/enrolling-mtrp-managed-service).
public enum DirectoryRole: String, CaseIterable, Sendable, Hashable, Codable {
    case globalAdministrator
    case globalReader
    case teamsAdministrator
    case teamsDevicesAdministrator

    /// The role's name in the Entra admin center.
    public var displayName: String {
        switch self {
        case .globalAdministrator: "Global Administrator"
        case .globalReader: "Global Reader"
        case .teamsAdministrator: "Teams Administrator"
        case .teamsDevicesAdministrator: "Teams Devices Administrator"
        }
    }

    /// The Entra role template id, the same in every tenant.
    public var templateId: String {
        switch self {
        case .globalAdministrator: "62e90394-69f5-4237-9190-012177145e10"
        case .globalReader: "f2ef992c-3afb-46b9-b7cf-a126ee74c451"
        case .teamsAdministrator: "69091246-20e8-4a56-aa4d-066075b2a7a8"
        case .teamsDevicesAdministrator: "3d762c5a-1b6c-493f-843e-55a3b42923d4"
        }
    }

    /// What the role may do in the portal, over every room. Remote access is granted through
    /// custom roles only, so no directory role carries it.
    public var permissions: Set<Permission> {
        let grantable = Permission.allCases.filter { !$0.isCustomRoleOnly }
        switch self {
        case .globalAdministrator, .teamsAdministrator: return Set(grantable)
        case .globalReader: return Set(grantable.filter(\.isReadOnly))
        case .teamsDevicesAdministrator:
            return Set(grantable.filter { $0 != .roleManagementView && $0 != .roleManagementModify })
        }
    }
}

extension Permission {
    /// Whether the permission only reads: a view, or the read-only room actions.
    public var isReadOnly: Bool { rawValue.hasSuffix(".view") || self == .roomActionsReadOnly }
}
