import Foundation
import PortalModel

/// What Microsoft's own directory says about a tenant, read through Microsoft Graph: people and
/// security groups (Entra ID), room mailboxes and room lists (Exchange, through Places), the
/// rooms' licences and who holds the directory roles that reach the portal.
///
/// When a tenant is connected this is the source of truth for everything the manifests refer to;
/// the portal contract keeps the portal-only kinds.
public struct TenantDirectory: Sendable, Equatable {
    public var users: [DirectoryUser]
    public var groups: [DirectoryGroup]
    public var rooms: [DirectoryRoom]
    public var roomLists: [DirectoryRoomList]
    /// Intune's and Autopilot's devices; nil when they could not be read (the app lacks the
    /// device permissions): device checks are then not made, never made against nothing.
    public var devices: DeviceRegistry?
    /// What the tenant's Microsoft cloud offers: without Places, `rooms` and `roomLists` are
    /// empty because nothing could be read, not because the tenant has none.
    public var cloud: CloudOffering

    public init(
        users: [DirectoryUser] = [], groups: [DirectoryGroup] = [], rooms: [DirectoryRoom] = [], roomLists: [DirectoryRoomList] = [],
        devices: DeviceRegistry? = nil, cloud: CloudOffering = .global
    ) {
        self.cloud = cloud
        self.users = users
        self.groups = groups
        self.rooms = rooms
        self.roomLists = roomLists
        self.devices = devices
    }
}

/// A room mailbox as Places describes it.
public struct DirectoryRoom: Sendable, Equatable {
    /// The room's address in lower case: the same key the portal's rooms have.
    public var email: String
    public var displayName: String
    public var location: RoomLocation
    public var capacity: Int?
    public var tags: [String]
    /// The addresses (lower case) of the room lists the room is in.
    public var roomLists: [String]
    /// The Teams Rooms licence the resource account holds; nil when it was not read.
    public var licence: RoomLicence?

    public init(
        email: String, displayName: String, location: RoomLocation = RoomLocation(), capacity: Int? = nil, tags: [String] = [],
        roomLists: [String] = [], licence: RoomLicence? = nil
    ) {
        self.email = email.lowercased()
        self.displayName = displayName
        self.location = location
        self.capacity = capacity
        self.tags = tags
        self.roomLists = roomLists.map { $0.lowercased() }
        self.licence = licence
    }
}

/// A room list: a named set of rooms, usually a building or a site.
public struct DirectoryRoomList: Sendable, Equatable {
    /// The list's address in lower case.
    public var email: String
    public var displayName: String

    public init(email: String, displayName: String) {
        self.email = email.lowercased()
        self.displayName = displayName
    }
}

/// Where a tenant's own directory is read from: Microsoft Graph for a real tenant, or the Graph
/// emulator.
public protocol DirectorySource: Sendable {
    /// What messages name, e.g. `Microsoft Graph at https://graph.microsoft.com (tenant …)`.
    var directoryDescription: String { get }
    /// Which tenant it is, however Roomkeeper signs in: what state kept per tenant is filed under.
    var tenantKey: String { get }
    /// The whole directory; a failure is never a partial answer. A source that keeps part of an
    /// earlier read (rooms and devices, which Graph cannot read by delta) reads that part again
    /// when it lacks one of the `lookups`, so an object git names just after it was created is found.
    func readDirectory(lookingUp lookups: DirectoryLookups) async throws -> TenantDirectory
    /// The users in each of these groups, directly or through nested groups, by group id; a
    /// group the directory does not have maps to none.
    func transitiveMembers(ofGroups ids: Set<String>) async throws -> [String: Set<String>]
}

extension DirectorySource {
    /// The whole directory, with nothing in particular to look up.
    public func readDirectory() async throws -> TenantDirectory { try await readDirectory(lookingUp: DirectoryLookups()) }
}

/// What a caller will look up in a directory read: room addresses and device serial numbers.
public struct DirectoryLookups: Sendable, Equatable {
    /// Room addresses, in lower case.
    public var rooms: Set<String>
    /// Serial numbers, in upper case.
    public var serialNumbers: Set<String>

    public init(rooms: some Sequence<String> = [], serialNumbers: some Sequence<String> = []) {
        self.rooms = Set(rooms.lazy.map(\.lowercasedIfNeeded))
        self.serialNumbers = Set(serialNumbers.lazy.map(\.uppercasedIfNeeded))
    }

    /// Whether a read looking up `other` also looks up everything these ask for.
    public func isCovered(by other: DirectoryLookups) -> Bool {
        rooms.isSubset(of: other.rooms) && serialNumbers.isSubset(of: other.serialNumbers)
    }
}

/// An error saying the caller's credential or permissions were refused: a person must fix
/// them, and trying again will not help.
public protocol AccessRefusal: Error {
    var isAccessRefused: Bool { get }
}

/// What Intune and Windows Autopilot know of the tenant's devices.
public struct DeviceRegistry: Codable, Sendable, Equatable {
    public var managed: [RegisteredDevice]
    public var autopilot: [AutopilotRegistration]

    public init(managed: [RegisteredDevice] = [], autopilot: [AutopilotRegistration] = []) {
        self.managed = managed
        self.autopilot = autopilot
    }
}

/// A device Intune manages.
public struct RegisteredDevice: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var serialNumber: String
    public var manufacturer: String?
    public var model: String?
    public var operatingSystem: String?
    /// When it last checked in with Intune; nil when it never has.
    public var lastSync: Date?
    public var compliance: String?
    /// The account it signs in with, in lower case: a room's resource account for a Teams Rooms device.
    public var account: String?

    public init(
        id: String, name: String, serialNumber: String, manufacturer: String?, model: String?, operatingSystem: String?, lastSync: Date?,
        compliance: String?, account: String?
    ) {
        self.id = id
        self.name = name
        self.serialNumber = serialNumber
        self.manufacturer = manufacturer
        self.model = model
        self.operatingSystem = operatingSystem
        self.lastSync = lastSync
        self.compliance = compliance
        self.account = account?.lowercased()
    }
}

/// A device registered in Windows Autopilot.
public struct AutopilotRegistration: Codable, Sendable, Equatable {
    public var id: String
    public var serialNumber: String
    public var manufacturer: String?
    public var model: String?
    public var groupTag: String?

    public init(id: String, serialNumber: String, manufacturer: String?, model: String?, groupTag: String?) {
        self.id = id
        self.serialNumber = serialNumber
        self.manufacturer = manufacturer
        self.model = model
        self.groupTag = groupTag
    }
}

/// Where Roomkeeper may change what Intune and Windows Autopilot hold (Microsoft Graph).
public protocol DeviceRegistryWriter: Sendable {
    /// Gives the Autopilot registration `id` the group tag `tag`; setting the tag it has is no change.
    func setAutopilotGroupTag(_ tag: String, registration id: String) async throws
}

/// What a Microsoft cloud offers of what Roomkeeper reads and manages.
public struct CloudOffering: Sendable, Equatable {
    /// The cloud's name, as `--cloud` takes it.
    public var name: String
    /// Places (rooms and room lists): the global cloud only (place-list).
    public var places: Bool
    /// The Teams Rooms Pro Management portal: commercial, GCC and GCC High (managed-meeting-rooms-portal).
    public var proManagementPortal: Bool
    /// Remote access to Teams Rooms: not in GCC, GCC High or DoD (remotely-access-teams-rooms).
    public var remoteAccess: Bool

    public init(name: String, places: Bool, proManagementPortal: Bool, remoteAccess: Bool) {
        self.name = name
        self.places = places
        self.proManagementPortal = proManagementPortal
        self.remoteAccess = remoteAccess
    }

    /// The global (commercial) cloud, which offers all three.
    public static let global = CloudOffering(name: "global", places: true, proManagementPortal: true, remoteAccess: true)
}
