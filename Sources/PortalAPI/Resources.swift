import Foundation
import PortalModel

/// Where a room is, in the portal inventory's location hierarchy.
public struct RoomLocation: Codable, Sendable, Equatable {
    public var country: String?
    public var state: String?
    public var city: String?
    public var campus: String?
    public var building: String?
    public var floor: String?

    public init(
        country: String? = nil, state: String? = nil, city: String? = nil, campus: String? = nil, building: String? = nil,
        floor: String? = nil
    ) {
        self.country = country
        self.state = state
        self.city = city
        self.campus = campus
        self.building = building
        self.floor = floor
    }
}

/// A room: a Teams Rooms resource account. Its `id` is the account's address in lower case.
///
/// Enrollment belongs to the room: its main unit's agent puts it in onboarding, and an admin
/// enrolls or unenrolls the room (learn.microsoft.com/microsoftteams/rooms/enroll-a-device).
public struct PortalRoom: PortalResource, ModificationStamped {
    public static let collection = PortalCollection.rooms
    public var id: String
    public var displayName: String
    public var email: String
    public var location: RoomLocation
    public var labels: [String: String]
    /// The update ring the room is in; every room is in exactly one.
    public var updateRingId: String
    /// Nil until the room's main unit has checked in.
    public var enrollmentState: Vocabulary<EnrollmentState>?
    public var licence: Vocabulary<RoomLicence>
    public var roomType: Vocabulary<RoomType>
    public var capacity: Int?
    public var health: Vocabulary<RoomHealth>
    public var lastModifiedBy: String?
    public var lastModifiedDateTime: Date?

    public init(
        id: String, displayName: String, email: String, location: RoomLocation = RoomLocation(),
        labels: [String: String] = [:], updateRingId: String, enrollmentState: Vocabulary<EnrollmentState>? = nil,
        licence: Vocabulary<RoomLicence> = .known(.pro), roomType: Vocabulary<RoomType> = .known(.teamsRooms), capacity: Int? = nil,
        health: Vocabulary<RoomHealth> = .known(.healthy)
    ) {
        self.id = id
        self.displayName = displayName
        self.email = email
        self.location = location
        self.labels = labels
        self.updateRingId = updateRingId
        self.enrollmentState = enrollmentState
        self.licence = licence
        self.roomType = roomType
        self.capacity = capacity
        self.health = health
    }
}

/// A device the portal knows: a room's main unit that checked in with the tenant's enrollment
/// key, or a peripheral its main unit reports. Devices do not enroll; rooms do.
public struct PortalDevice: PortalResource {
    public static let collection = PortalCollection.devices
    public var id: String
    public var serialNumber: String
    public var deviceType: Vocabulary<DeviceType>
    public var manufacturer: String?
    public var model: String?
    /// The room (its id) the device serves, if it reported one.
    public var roomId: String?
    /// As the device reports it, e.g. `Windows 11 IoT Enterprise`; remote access needs Windows 11.
    public var operatingSystem: String?
    public var connectivity: Vocabulary<Connectivity>
    public var health: Vocabulary<DeviceHealth>
    public var lastSeen: Date?

    public init(
        id: String, serialNumber: String, deviceType: Vocabulary<DeviceType>, manufacturer: String? = nil, model: String? = nil,
        roomId: String? = nil, operatingSystem: String? = nil, connectivity: Vocabulary<Connectivity> = .known(.connected),
        health: Vocabulary<DeviceHealth> = .known(.healthy), lastSeen: Date? = nil
    ) {
        self.id = id
        self.serialNumber = serialNumber
        self.deviceType = deviceType
        self.manufacturer = manufacturer
        self.model = model
        self.roomId = roomId
        self.operatingSystem = operatingSystem
        self.connectivity = connectivity
        self.health = health
        self.lastSeen = lastSeen
    }

    /// Manufacturer and serial number: how a device is told apart, since Microsoft "can't
    /// guarantee that devices provide unique data like serial numbers"
    /// (learn.microsoft.com/microsoftteams/rooms/bring-your-own-device).
    public var hardwareIdentity: HardwareIdentity { HardwareIdentity(manufacturer: manufacturer, serialNumber: serialNumber) }
}

/// A role: built-in (never changed) or custom.
public struct PortalRole: OwnedResource {
    public static let collection = PortalCollection.roles
    public var id: String
    public var displayName: String
    public var description: String?
    public var isBuiltIn: Bool
    /// Permission slugs, e.g. `roomGroups.modify`.
    public var permissions: [String]
    public var managedBy: String?
    public var manifestName: String?
    public var protected: Bool?
    public var lastModifiedBy: String?
    public var lastModifiedDateTime: Date?

    public init(
        id: String, displayName: String, description: String? = nil, isBuiltIn: Bool = false, permissions: [String],
        managedBy: String? = nil, manifestName: String? = nil,
        protected: Bool? = nil
    ) {
        self.id = id
        self.displayName = displayName
        self.description = description
        self.isBuiltIn = isBuiltIn
        self.permissions = permissions
        self.managedBy = managedBy
        self.manifestName = manifestName
        self.protected = protected
    }
}

/// A member of a role assignment: a directory user or security group, by id.
public struct PortalMember: Codable, Sendable, Equatable, Hashable {
    public enum Kind: String, Codable, Sendable {
        case user, group
    }

    public var kind: Kind
    public var id: String

    public init(kind: Kind, id: String) {
        self.kind = kind
        self.id = id
    }
}

/// Where an assignment applies: every room, or listed room groups and rooms.
public struct PortalScope: Codable, Sendable, Equatable {
    public var allRooms: Bool
    public var roomGroupIds: [String]
    public var roomIds: [String]

    public init(allRooms: Bool = false, roomGroupIds: [String] = [], roomIds: [String] = []) {
        self.allRooms = allRooms
        self.roomGroupIds = roomGroupIds
        self.roomIds = roomIds
    }
}

/// A role granted to members over a scope.
public struct PortalRoleAssignment: OwnedResource {
    public static let collection = PortalCollection.roleAssignments
    public var id: String
    public var roleId: String
    public var displayName: String
    public var description: String?
    public var emailNotifications: Bool
    public var members: [PortalMember]
    public var scope: PortalScope
    public var managedBy: String?
    public var manifestName: String?
    public var protected: Bool?
    public var lastModifiedBy: String?
    public var lastModifiedDateTime: Date?

    public init(
        id: String, roleId: String, displayName: String, description: String? = nil, emailNotifications: Bool = false,
        members: [PortalMember], scope: PortalScope, managedBy: String? = nil, manifestName: String? = nil,
        protected: Bool? = nil
    ) {
        self.id = id
        self.roleId = roleId
        self.displayName = displayName
        self.description = description
        self.emailNotifications = emailNotifications
        self.members = members
        self.scope = scope
        self.managedBy = managedBy
        self.manifestName = manifestName
        self.protected = protected
    }
}

/// A named set of rooms.
public struct PortalRoomGroup: OwnedResource {
    public static let collection = PortalCollection.roomGroups
    /// The group every tenant starts with: "By default, there is one room group, and more can be
    /// added" (learn.microsoft.com/microsoftteams/rooms/microsoft-teams-rooms-configure-servicenow).
    /// It cannot be deleted.
    public static let defaultGroupId = "default"
    public var id: String
    public var displayName: String
    public var description: String?
    public var roomIds: [String]
    public var managedBy: String?
    public var manifestName: String?
    public var protected: Bool?
    public var lastModifiedBy: String?
    public var lastModifiedDateTime: Date?

    public init(
        id: String, displayName: String, description: String? = nil, roomIds: [String], managedBy: String? = nil,
        manifestName: String? = nil,
        protected: Bool? = nil
    ) {
        self.id = id
        self.displayName = displayName
        self.description = description
        self.roomIds = roomIds
        self.managedBy = managedBy
        self.manifestName = manifestName
        self.protected = protected
    }
}

/// An update ring. The three default rings (`staging`, `general`, `executive`) cannot be deleted.
/// `deferralDays` is the portal's to work out (the days of the rings before this one); a
/// value sent with a write is ignored.
public struct PortalUpdateRing: OwnedResource {
    public static let collection = PortalCollection.updateRings
    public var id: String
    public var displayName: String
    public var description: String?
    public var order: Int
    public var rolloutDays: Int
    public var testDays: Int
    public var deferralDays: Int
    public var isDefault: Bool
    public var managedBy: String?
    public var manifestName: String?
    public var protected: Bool?
    public var lastModifiedBy: String?
    public var lastModifiedDateTime: Date?

    public init(
        id: String, displayName: String, description: String? = nil, order: Int, rolloutDays: Int, testDays: Int,
        deferralDays: Int = 0, isDefault: Bool = false, managedBy: String? = nil, manifestName: String? = nil,
        protected: Bool? = nil
    ) {
        self.id = id
        self.displayName = displayName
        self.description = description
        self.order = order
        self.rolloutDays = rolloutDays
        self.testDays = testDays
        self.deferralDays = deferralDays
        self.isDefault = isDefault
        self.managedBy = managedBy
        self.manifestName = manifestName
        self.protected = protected
    }
}

/// A user of the tenant's directory.
public struct DirectoryUser: PortalResource {
    public static let collection = PortalCollection.users
    /// The directory's object id: never changes, unlike the UPN.
    public var id: String
    public var userPrincipalName: String
    public var displayName: String
    /// Security groups the user belongs to (their ids).
    public var groupIds: [String]
    /// The Entra directory roles the user holds that reach the portal (absent: none). Read-only:
    /// they are managed in Entra ID, not in the portal.
    public var directoryRoles: [Vocabulary<DirectoryRole>]?
    /// False when the account is disabled and cannot sign in; nil when the source does not say.
    public var accountEnabled: Bool?

    public init(
        id: String, userPrincipalName: String, displayName: String, groupIds: [String] = [],
        directoryRoles: [Vocabulary<DirectoryRole>]? = nil, accountEnabled: Bool? = nil
    ) {
        self.id = id
        self.userPrincipalName = userPrincipalName
        self.displayName = displayName
        self.groupIds = groupIds
        self.directoryRoles = directoryRoles
        self.accountEnabled = accountEnabled
    }
}

/// A security group of the tenant's directory.
public struct DirectoryGroup: PortalResource {
    public static let collection = PortalCollection.groups
    public var id: String
    public var displayName: String
    public var mail: String?
    /// False for a group that is not security-enabled (a distribution or plain Microsoft 365
    /// group), which cannot be a member of a role assignment; nil when the source does not say.
    public var securityEnabled: Bool?

    public init(id: String, displayName: String, mail: String? = nil, securityEnabled: Bool? = nil) {
        self.id = id
        self.displayName = displayName
        self.mail = mail
        self.securityEnabled = securityEnabled
    }
}
