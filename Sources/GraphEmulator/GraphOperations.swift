/// Each request `graph serve` answers, with the application permissions Microsoft's reference
/// lists for it. The tables are those of microsoftgraph/microsoft-graph-docs-contrib: the
/// generated `api-reference/v1.0/includes/permissions/<name>-permissions.md` files, or for the
/// Intune pages, which keep their table inline, `api-reference/v1.0/api/<name>.md`.
/// A token passes when it holds the least privileged permission or any higher one.
public enum GraphOperation: CaseIterable, Sendable {
    case listUsers
    case userDelta
    case getUser
    case listLicenseDetails
    case listSubscribedSkus
    case listGroups
    case groupDelta
    case listTransitiveMembers
    case listPlaces
    case listRoomsOfList
    case listRoleAssignments
    case listManagedDevices
    case listAutopilotDevices
    case updateAutopilotDeviceProperties

    /// What an application may call the operation with.
    public enum ApplicationAccess: Equatable, Sendable {
        /// "Application | Not supported."
        case notSupported
        case allowed(least: String, higher: Set<String>)

        public func permits(_ granted: Set<String>) -> Bool {
            switch self {
            case .notSupported: false
            case .allowed(let least, let higher): granted.contains(least) || !granted.isDisjoint(with: higher)
            }
        }
    }

    /// The operation a request is, or nil when `graph serve` does not serve it.
    public init?(method: String, path parts: [String]) {
        switch (method, parts) {
        case ("POST", let p)
        where p.count == 4 && p[0] == "deviceManagement" && p[1] == "windowsAutopilotDeviceIdentities"
            && p[3] == "updateDeviceProperties":
            self = .updateAutopilotDeviceProperties
        case ("GET", ["users"]): self = .listUsers
        case ("GET", ["users", "delta"]): self = .userDelta
        case ("GET", let p) where p.count == 2 && p[0] == "users": self = .getUser
        case ("GET", let p) where p.count == 3 && p[0] == "users" && p[2] == "licenseDetails": self = .listLicenseDetails
        case ("GET", ["subscribedSkus"]): self = .listSubscribedSkus
        case ("GET", ["groups"]): self = .listGroups
        case ("GET", ["groups", "delta"]): self = .groupDelta
        case ("GET", let p) where (3...4).contains(p.count) && p[0] == "groups" && p[2] == "transitiveMembers":
            self = .listTransitiveMembers
        case ("GET", ["places", "microsoft.graph.room"]), ("GET", ["places", "microsoft.graph.roomlist"]): self = .listPlaces
        case ("GET", let p) where p.count == 4 && p[0] == "places" && p[2] == "microsoft.graph.roomlist" && p[3] == "rooms":
            self = .listRoomsOfList
        case ("GET", ["roleManagement", "directory", "roleAssignments"]): self = .listRoleAssignments
        case ("GET", ["deviceManagement", "managedDevices"]): self = .listManagedDevices
        case ("GET", ["deviceManagement", "windowsAutopilotDeviceIdentities"]): self = .listAutopilotDevices
        default: return nil
        }
    }

    /// The file of Microsoft's reference the permissions come from.
    public var reference: String {
        switch self {
        case .listUsers: "includes/permissions/user-list-permissions.md"
        case .userDelta: "includes/permissions/user-delta-permissions.md"
        case .getUser: "includes/permissions/user-get-permissions.md"
        case .listLicenseDetails: "includes/permissions/user-list-licensedetails-permissions.md"
        case .listSubscribedSkus: "includes/permissions/subscribedsku-list-permissions.md"
        case .listGroups: "includes/permissions/group-list-permissions.md"
        case .groupDelta: "includes/permissions/group-delta-permissions.md"
        case .listTransitiveMembers: "includes/permissions/group-list-transitivemembers-permissions.md"
        // Rooms, room lists and a list's rooms are one page of the reference, place-list.
        case .listPlaces, .listRoomsOfList: "includes/permissions/place-list-permissions.md"
        case .listRoleAssignments: "api/rbacapplication-list-roleassignments.md"
        case .listManagedDevices: "api/intune-devices-manageddevice-list.md"
        case .listAutopilotDevices: "api/intune-enrollment-windowsautopilotdeviceidentity-list.md"
        case .updateAutopilotDeviceProperties: "api/intune-enrollment-windowsautopilotdeviceidentity-updatedeviceproperties.md"
        }
    }

    /// The "Application" row of the reference's table.
    public var application: ApplicationAccess {
        let directoryRead: Set = ["Directory.Read.All", "Directory.ReadWrite.All"]
        switch self {
        // User.ReadBasic.All is declared as an application permission, but no /users operation
        // honours it: the service answers 403 (Microsoft Q&A 6019739), and the tables omit it.
        case .listUsers, .getUser, .userDelta:
            return .allowed(least: GraphPermission.userRead, higher: directoryRead.union(["User.ReadWrite.All"]))
        case .listLicenseDetails:
            return .notSupported
        case .listSubscribedSkus:
            return .allowed(least: GraphPermission.organizationRead, higher: directoryRead.union(["Organization.ReadWrite.All"]))
        case .listGroups, .groupDelta:
            return .allowed(least: GraphPermission.groupMemberRead, higher: directoryRead.union(["Group.Read.All", "Group.ReadWrite.All"]))
        case .listTransitiveMembers:
            return .allowed(
                least: "GroupMember.ReadBasic.All",
                higher: directoryRead.union([
                    "Group.Read.All", "Group.ReadBasic.All", "Group.ReadWrite.All", "GroupMember.Read.All", "GroupMember.ReadWrite.All",
                ]))
        case .listPlaces, .listRoomsOfList:
            return .allowed(least: GraphPermission.placeRead, higher: ["Place.ReadWrite.All"])
        case .listRoleAssignments:
            return .allowed(
                least: GraphPermission.roleManagementRead,
                higher: directoryRead.union(["RoleManagement.Read.All", "RoleManagement.ReadWrite.Directory"]))
        case .listManagedDevices:
            return .allowed(least: GraphPermission.managedDevicesRead, higher: ["DeviceManagementManagedDevices.ReadWrite.All"])
        case .listAutopilotDevices:
            return .allowed(least: GraphPermission.autopilotRead, higher: [GraphPermission.autopilotWrite])
        case .updateAutopilotDeviceProperties:
            return .allowed(least: GraphPermission.autopilotWrite, higher: [])
        }
    }
}
