import Foundation
import GraphAPI
import PortalModel

/// The tenant the Graph emulator serves: its app registrations, people, groups, rooms, room
/// lists, licences and directory role holders.
public struct GraphTenant: Sendable {
    public var tenantId: String
    public var apps: [App]
    public var users: [User]
    public var groups: [Group]
    public var rooms: [Room]
    public var roomLists: [RoomList]
    public var roleHolders: [RoleHolder]
    /// Intune's managed devices and Windows Autopilot's registrations.
    public var managedDevices: [ManagedDevice]
    public var autopilotDevices: [AutopilotDevice]

    public init(
        tenantId: String, apps: [App] = [], users: [User] = [], groups: [Group] = [], rooms: [Room] = [], roomLists: [RoomList] = [],
        roleHolders: [RoleHolder] = [], managedDevices: [ManagedDevice] = [], autopilotDevices: [AutopilotDevice] = []
    ) {
        self.managedDevices = managedDevices
        self.autopilotDevices = autopilotDevices
        self.tenantId = tenantId.lowercased()
        self.apps = apps
        self.users = users
        self.groups = groups
        self.rooms = rooms
        self.roomLists = roomLists
        self.roleHolders = roleHolders
    }

    /// Copy `index` of this directory in another tenant, for `graph serve --copies`: its tenant id
    /// is this one's with the last twelve hex digits the index's.
    public func copy(_ index: Int) -> GraphTenant {
        var copy = self
        copy.tenantId = Self.tenantId(ofCopy: index, of: tenantId)
        return copy
    }

    /// The tenant id of copy `index` of the tenant `tenantId`.
    public static func tenantId(ofCopy index: Int, of tenantId: String) -> String {
        let digits = String(index, radix: 16)
        return String(tenantId.lowercased().dropLast(12)) + String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }

    /// An app registration: its credentials and the application permissions an admin consented to.
    public struct App: Sendable {
        public var clientId: String
        /// Registered certificates, PEM.
        public var certificates: [String]
        /// Client secrets, as the SHA-256 of the secret in hexadecimal, with their expiry.
        public var secrets: [Secret]
        public var federated: [FederatedCredential]
        public var permissions: Set<String>
        /// The web platform's redirect URIs, where people signing in are sent back (exact matches).
        public var redirectURIs: [String]
        /// The app roles assigned to people: user principal name (lower case) to role values.
        public var appRoles: [String: Set<String>]

        public init(
            clientId: String, certificates: [String] = [], secrets: [Secret] = [], federated: [FederatedCredential] = [],
            permissions: Set<String> = GraphPermission.leastPrivileged, redirectURIs: [String] = [], appRoles: [String: Set<String>] = [:]
        ) {
            self.clientId = clientId.lowercased()
            self.certificates = certificates
            self.secrets = secrets
            self.federated = federated
            self.permissions = permissions
            self.redirectURIs = redirectURIs
            self.appRoles = Dictionary(appRoles.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { $0.union($1) })
        }
    }

    public struct Secret: Sendable {
        public var sha256: String
        public var expires: Date?
        public init(sha256: String, expires: Date? = nil) {
            self.sha256 = sha256.lowercased()
            self.expires = expires
        }

        /// A secret registered by its value (tests): only its hash is kept.
        public init(value: String, expires: Date? = nil) {
            self.init(sha256: GraphDirectoryStore.sha256(value), expires: expires)
        }
    }

    /// A federated identity credential: tokens from `issuer` about `subject`, signed by the
    /// issuer's key (given here as a certificate, PEM, where Entra would fetch the issuer's keys).
    public struct FederatedCredential: Sendable {
        public var issuer: String
        public var subject: String
        public var signingCertificate: String
        public init(issuer: String, subject: String, signingCertificate: String) {
            self.issuer = issuer
            self.subject = subject
            self.signingCertificate = signingCertificate
        }
    }

    public struct User: Sendable {
        public var id: String
        public var userPrincipalName: String
        public var displayName: String
        public var mail: String?
        public var accountEnabled: Bool
        /// SKU part numbers of the licences assigned, e.g. `Microsoft_Teams_Rooms_Pro`.
        public var licences: [String]
        public var jobTitle: String?

        public init(
            id: String? = nil, userPrincipalName: String, displayName: String, mail: String? = nil, accountEnabled: Bool = true,
            licences: [String] = [], jobTitle: String? = nil
        ) {
            self.id = id ?? GraphDirectoryStore.objectId("user", userPrincipalName.lowercased())
            self.userPrincipalName = userPrincipalName
            self.displayName = displayName
            self.mail = mail
            self.accountEnabled = accountEnabled
            self.licences = licences
            self.jobTitle = jobTitle
        }
    }

    public struct Group: Sendable {
        public var id: String
        public var displayName: String
        public var mail: String?
        public var securityEnabled: Bool
        public var mailEnabled: Bool
        /// `Unified` for a Microsoft 365 group.
        public var groupTypes: [String]
        /// Members: users by principal name, groups by id.
        public var members: [String]

        public init(
            id: String? = nil, displayName: String, mail: String? = nil, securityEnabled: Bool = true, mailEnabled: Bool = false,
            groupTypes: [String] = [], members: [String] = []
        ) {
            self.id = id ?? GraphDirectoryStore.objectId("group", (mail ?? displayName).lowercased())
            self.displayName = displayName
            self.mail = mail
            self.securityEnabled = securityEnabled
            self.mailEnabled = mailEnabled
            self.groupTypes = groupTypes
            self.members = members
        }
    }

    /// A room mailbox; its resource account is a user with the same address.
    public struct Room: Sendable {
        public var email: String
        public var displayName: String
        public var address: GraphPhysicalAddress?
        public var building: String?
        public var floorLabel: String?
        public var floorNumber: Int?
        public var capacity: Int?
        public var tags: [String]
        /// The Teams Rooms licence of the resource account, nil for none.
        public var licence: RoomLicence?
        /// Hidden from the address list: Places does not list it.
        public var hidden: Bool

        public init(
            email: String, displayName: String, address: GraphPhysicalAddress? = nil, building: String? = nil, floorLabel: String? = nil,
            floorNumber: Int? = nil, capacity: Int? = nil, tags: [String] = [], licence: RoomLicence? = .pro, hidden: Bool = false
        ) {
            self.email = email.lowercased()
            self.displayName = displayName
            self.address = address
            self.building = building
            self.floorLabel = floorLabel
            self.floorNumber = floorNumber
            self.capacity = capacity
            self.tags = tags
            self.licence = licence
            self.hidden = hidden
        }
    }

    public struct RoomList: Sendable {
        public var email: String
        public var displayName: String
        public var address: GraphPhysicalAddress?
        public var rooms: [String]

        public init(email: String, displayName: String, address: GraphPhysicalAddress? = nil, rooms: [String]) {
            self.email = email.lowercased()
            self.displayName = displayName
            self.address = address
            self.rooms = rooms.map { $0.lowercased() }
        }
    }

    /// A device Intune manages.
    public struct ManagedDevice: Sendable {
        public var serialNumber: String
        public var manufacturer: String
        public var model: String
        public var name: String
        public var operatingSystem: String
        public var osVersion: String
        /// How long before the emulator started the device last synced; nil for never.
        public var lastSyncHoursAgo: Double?
        /// `compliant`, `noncompliant`, ... as Graph's `complianceState`.
        public var compliance: String
        /// The account it signs in with: a room's resource account for a Teams Rooms device.
        public var account: String?

        public init(
            serialNumber: String, manufacturer: String, model: String, name: String, operatingSystem: String = "Windows",
            osVersion: String = "10.0.22631", lastSyncHoursAgo: Double? = 1, compliance: String = "compliant", account: String? = nil
        ) {
            self.serialNumber = serialNumber
            self.manufacturer = manufacturer
            self.model = model
            self.name = name
            self.operatingSystem = operatingSystem
            self.osVersion = osVersion
            self.lastSyncHoursAgo = lastSyncHoursAgo
            self.compliance = compliance
            self.account = account?.lowercased()
        }

        var id: String { GraphDirectoryStore.objectId("managedDevice", "\(manufacturer.lowercased())/\(serialNumber.uppercased())") }
    }

    /// A device registered in Windows Autopilot.
    public struct AutopilotDevice: Sendable {
        public var serialNumber: String
        public var manufacturer: String
        public var model: String
        public var groupTag: String?

        public init(serialNumber: String, manufacturer: String, model: String, groupTag: String?) {
            self.serialNumber = serialNumber
            self.manufacturer = manufacturer
            self.model = model
            self.groupTag = groupTag
        }

        var id: String { GraphDirectoryStore.objectId("autopilot", "\(manufacturer.lowercased())/\(serialNumber.uppercased())") }
    }

    /// A directory role held by a user (by principal name) or a group (by id), over the whole
    /// tenant (`/`) or an administrative unit.
    public struct RoleHolder: Sendable {
        public var role: DirectoryRole
        public var principal: String
        public var directoryScopeId: String

        public init(role: DirectoryRole, principal: String, directoryScopeId: String = "/") {
            self.role = role
            self.principal = principal
            self.directoryScopeId = directoryScopeId
        }
    }
}

/// The Graph application permissions Roomkeeper needs, least privileged first
/// (learn.microsoft.com/graph/permissions-reference).
public enum GraphPermission {
    public static let userRead = "User.Read.All"
    public static let groupMemberRead = "GroupMember.Read.All"
    public static let placeRead = "Place.Read.All"
    public static let roleManagementRead = "RoleManagement.Read.Directory"
    /// For the part numbers of SKU ids the licensing reference lacks (`GET /subscribedSkus`).
    public static let organizationRead = "Organization.Read.All"
    public static let managedDevicesRead = "DeviceManagementManagedDevices.Read.All"
    public static let autopilotRead = "DeviceManagementServiceConfig.Read.All"
    /// Only for setting group tags (roomkeeper.yaml's devices.autopilotGroupTag).
    public static let autopilotWrite = "DeviceManagementServiceConfig.ReadWrite.All"
    /// What `roomkeeper` asks an admin to consent to.
    public static let leastPrivileged: Set<String> = [
        userRead, groupMemberRead, placeRead, roleManagementRead, managedDevicesRead, autopilotRead, organizationRead,
    ]
}

/// The SKUs the emulated tenant's licences are, by part number: the ids of Microsoft's licensing
/// reference where Roomkeeper's table has them (`LicensingReference`), Office 365 E3's for the
/// seeded people, and a derived id for any other part number, which a client can name only by
/// asking `/subscribedSkus`, as it must in a real tenant.
enum TeamsRoomsSKU {
    /// The canonical part number of each licence, as seeds and fixtures name them.
    static func partNumber(_ licence: RoomLicence) -> String? {
        switch licence {
        case .pro: "Microsoft_Teams_Rooms_Pro"
        case .basic: "Microsoft_Teams_Rooms_Basic"
        case .standard: "MEETING_ROOM"
        case .premium: "MTR_PREM"
        case .shared: "MCOCAP"
        case .unlicensed: nil
        }
    }

    /// Office 365 E3, the licence the seeded people hold.
    static let officeE3 = (id: "6fd2c87f-b296-42f0-b197-1e91e994b900", partNumber: "ENTERPRISEPACK")

    private static let idsByPartNumber = Dictionary(
        LicensingReference.partNumbers.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })

    static func id(partNumber: String) -> String {
        idsByPartNumber[partNumber] ?? (partNumber == officeE3.partNumber ? officeE3.id : GraphDirectoryStore.objectId("sku", partNumber))
    }
}
