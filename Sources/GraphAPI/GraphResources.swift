import Foundation

/// The Graph v1.0 entity types Roomkeeper reads, with only the properties it selects. Every
/// property here is declared on its entity type in Microsoft's v1.0 metadata (a test checks them
/// against `v1.0-subset.xml`); instance annotations such as `@removed` are OData's, not properties.
public protocol GraphEntity: Codable, Sendable {
    /// The CSDL entity type, e.g. `microsoft.graph.user`.
    static var entityType: String { get }
    /// The `$select` list a read asks for: exactly the properties this type decodes.
    static var selected: [String] { get }
}

/// An object that a delta round reports removed: `@removed` with its reason (`changed` for a
/// soft delete, `deleted` for a permanent one), per learn.microsoft.com/graph/delta-query-users.
public struct GraphRemoved: Codable, Sendable, Equatable {
    public var reason: String
    public init(reason: String) { self.reason = reason }
}

/// An Entra ID user (`microsoft.graph.user`). Resource accounts of rooms are users too.
public struct GraphUser: GraphEntity, Equatable {
    public static let entityType = "microsoft.graph.user"
    public static let selected = ["id", "userPrincipalName", "displayName", "mail", "accountEnabled", "assignedLicenses"]
    public var id: String
    public var userPrincipalName: String?
    public var displayName: String?
    public var mail: String?
    public var accountEnabled: Bool?
    /// The licences assigned, by SKU id: read so that a delta round notices a licence change.
    public var assignedLicenses: [GraphAssignedLicence]?
    public var removed: GraphRemoved?

    public init(
        id: String, userPrincipalName: String?, displayName: String?, mail: String? = nil, accountEnabled: Bool? = true,
        assignedLicenses: [GraphAssignedLicence]? = [], removed: GraphRemoved? = nil
    ) {
        self.id = id
        self.userPrincipalName = userPrincipalName
        self.displayName = displayName
        self.mail = mail
        self.accountEnabled = accountEnabled
        self.assignedLicenses = assignedLicenses
        self.removed = removed
    }

    enum CodingKeys: String, CodingKey {
        case id, userPrincipalName, displayName, mail, accountEnabled, assignedLicenses
        case removed = "@removed"
    }
}

/// A licence assigned to a user (`microsoft.graph.assignedLicense`).
public struct GraphAssignedLicence: Codable, Sendable, Equatable, Hashable {
    public var skuId: String?
    public var disabledPlans: [String]?

    public init(skuId: String?, disabledPlans: [String]? = []) {
        self.skuId = skuId
        self.disabledPlans = disabledPlans
    }
}

/// An Entra ID group (`microsoft.graph.group`).
public struct GraphGroup: GraphEntity, Equatable {
    public static let entityType = "microsoft.graph.group"
    public static let selected = ["id", "displayName", "mail", "securityEnabled", "mailEnabled", "groupTypes"]
    public var id: String
    public var displayName: String?
    public var mail: String?
    public var securityEnabled: Bool?
    public var mailEnabled: Bool?
    public var groupTypes: [String]?
    public var removed: GraphRemoved?

    public init(
        id: String, displayName: String?, mail: String? = nil, securityEnabled: Bool? = true, mailEnabled: Bool? = false,
        groupTypes: [String]? = [], removed: GraphRemoved? = nil
    ) {
        self.id = id
        self.displayName = displayName
        self.mail = mail
        self.securityEnabled = securityEnabled
        self.mailEnabled = mailEnabled
        self.groupTypes = groupTypes
        self.removed = removed
    }

    enum CodingKeys: String, CodingKey {
        case id, displayName, mail, securityEnabled, mailEnabled, groupTypes
        case removed = "@removed"
    }
}

/// A member of a group as `transitiveMembers` lists it: a directory object whose `@odata.type`
/// says what it is. Only users' principal names are read.
public struct GraphMember: GraphEntity, Equatable {
    public static let entityType = "microsoft.graph.user"
    public static let selected = ["id", "userPrincipalName"]
    public var odataType: String?
    public var id: String
    public var userPrincipalName: String?

    public init(odataType: String? = "#microsoft.graph.user", id: String, userPrincipalName: String?) {
        self.odataType = odataType
        self.id = id
        self.userPrincipalName = userPrincipalName
    }

    /// Whether the member is a user (not a device, service principal or nested group).
    public var isUser: Bool { odataType == "#microsoft.graph.user" }

    enum CodingKeys: String, CodingKey {
        case odataType = "@odata.type"
        case id, userPrincipalName
    }
}

/// A postal address (`microsoft.graph.physicalAddress`).
public struct GraphPhysicalAddress: Codable, Sendable, Equatable {
    public var street: String?
    public var city: String?
    public var state: String?
    public var postalCode: String?
    public var countryOrRegion: String?

    public init(street: String? = nil, city: String? = nil, state: String? = nil, postalCode: String? = nil, countryOrRegion: String? = nil) {
        self.street = street
        self.city = city
        self.state = state
        self.postalCode = postalCode
        self.countryOrRegion = countryOrRegion
    }
}

/// A room mailbox as Places lists it (`microsoft.graph.room`,
/// learn.microsoft.com/graph/api/place-list). Rooms hidden from the address list are not listed.
public struct GraphRoom: GraphEntity, Equatable {
    public static let entityType = "microsoft.graph.room"
    public static let selected = [
        "id", "emailAddress", "displayName", "address", "building", "floorLabel", "floorNumber", "capacity", "tags",
    ]
    public var id: String
    public var emailAddress: String?
    public var displayName: String
    public var address: GraphPhysicalAddress?
    public var building: String?
    public var floorLabel: String?
    public var floorNumber: Int?
    public var capacity: Int?
    public var tags: [String]?

    public init(
        id: String, emailAddress: String?, displayName: String, address: GraphPhysicalAddress? = nil, building: String? = nil,
        floorLabel: String? = nil, floorNumber: Int? = nil, capacity: Int? = nil, tags: [String]? = []
    ) {
        self.id = id
        self.emailAddress = emailAddress
        self.displayName = displayName
        self.address = address
        self.building = building
        self.floorLabel = floorLabel
        self.floorNumber = floorNumber
        self.capacity = capacity
        self.tags = tags
    }
}

/// A room list (`microsoft.graph.roomList`): a named set of rooms, usually a building or site.
public struct GraphRoomList: GraphEntity, Equatable {
    public static let entityType = "microsoft.graph.roomList"
    public static let selected = ["id", "emailAddress", "displayName", "address"]
    public var id: String
    public var emailAddress: String?
    public var displayName: String
    public var address: GraphPhysicalAddress?

    public init(id: String, emailAddress: String?, displayName: String, address: GraphPhysicalAddress? = nil) {
        self.id = id
        self.emailAddress = emailAddress
        self.displayName = displayName
        self.address = address
    }
}

/// A SKU the tenant subscribes to (`microsoft.graph.subscribedSku`): what names a SKU id the
/// licensing reference does not list.
public struct GraphSubscribedSku: GraphEntity, Equatable {
    public static let entityType = "microsoft.graph.subscribedSku"
    public static let selected = ["id", "skuId", "skuPartNumber"]
    public var id: String
    public var skuId: String?
    public var skuPartNumber: String?

    public init(id: String, skuId: String?, skuPartNumber: String?) {
        self.id = id
        self.skuId = skuId
        self.skuPartNumber = skuPartNumber
    }
}

/// A directory role assignment (`microsoft.graph.unifiedRoleAssignment`): a principal holds a
/// role definition over a scope (`/` for the whole tenant, `/administrativeUnits/{id}` for one unit).
public struct GraphRoleAssignment: GraphEntity, Equatable {
    public static let entityType = "microsoft.graph.unifiedRoleAssignment"
    public static let selected = ["id", "principalId", "roleDefinitionId", "directoryScopeId"]
    public var id: String
    public var principalId: String?
    public var roleDefinitionId: String?
    public var directoryScopeId: String?

    public init(id: String, principalId: String?, roleDefinitionId: String?, directoryScopeId: String? = "/") {
        self.id = id
        self.principalId = principalId
        self.roleDefinitionId = roleDefinitionId
        self.directoryScopeId = directoryScopeId
    }
}

/// One page of a collection: `value`, and `@odata.nextLink` while there are more pages, or
/// `@odata.deltaLink` on the last page of a delta round (learn.microsoft.com/graph/paging).
public struct GraphPage<Item: Codable & Sendable>: Codable, Sendable {
    public var value: [Item]
    public var nextLink: String?
    public var deltaLink: String?
    /// The collection's size, when asked for with `$count=true`.
    public var count: Int?

    public init(value: [Item], nextLink: String? = nil, deltaLink: String? = nil, count: Int? = nil) {
        self.value = value
        self.nextLink = nextLink
        self.deltaLink = deltaLink
        self.count = count
    }

    enum CodingKeys: String, CodingKey {
        case value
        case nextLink = "@odata.nextLink"
        case deltaLink = "@odata.deltaLink"
        case count = "@odata.count"
    }
}

/// A device Intune manages (`microsoft.graph.managedDevice`): a Teams Rooms compute or panel
/// signs in as its room's resource account, which is its `userPrincipalName`.
public struct GraphManagedDevice: GraphEntity, Equatable {
    public static let entityType = "microsoft.graph.managedDevice"
    public static let selected = [
        "id", "deviceName", "serialNumber", "manufacturer", "model", "operatingSystem", "osVersion", "lastSyncDateTime", "complianceState",
        "userPrincipalName",
    ]
    public var id: String
    public var deviceName: String?
    public var serialNumber: String?
    public var manufacturer: String?
    public var model: String?
    public var operatingSystem: String?
    public var osVersion: String?
    /// ISO 8601, as Graph sends it.
    public var lastSyncDateTime: String?
    public var complianceState: String?
    public var userPrincipalName: String?

    public init(
        id: String, deviceName: String?, serialNumber: String?, manufacturer: String?, model: String?, operatingSystem: String? = "Windows",
        osVersion: String? = nil, lastSyncDateTime: String?, complianceState: String? = "compliant", userPrincipalName: String? = nil
    ) {
        self.id = id
        self.deviceName = deviceName
        self.serialNumber = serialNumber
        self.manufacturer = manufacturer
        self.model = model
        self.operatingSystem = operatingSystem
        self.osVersion = osVersion
        self.lastSyncDateTime = lastSyncDateTime
        self.complianceState = complianceState
        self.userPrincipalName = userPrincipalName
    }
}

/// A device registered in Windows Autopilot (`microsoft.graph.windowsAutopilotDeviceIdentity`),
/// by its hardware hash: serial number, manufacturer, model and the group tag that picks its
/// deployment profile.
public struct GraphAutopilotDevice: GraphEntity, Equatable {
    public static let entityType = "microsoft.graph.windowsAutopilotDeviceIdentity"
    public static let selected = ["id", "serialNumber", "manufacturer", "model", "groupTag", "lastContactedDateTime", "managedDeviceId"]
    public var id: String
    public var serialNumber: String?
    public var manufacturer: String?
    public var model: String?
    public var groupTag: String?
    public var lastContactedDateTime: String?
    public var managedDeviceId: String?

    public init(
        id: String, serialNumber: String?, manufacturer: String?, model: String?, groupTag: String?, lastContactedDateTime: String? = nil,
        managedDeviceId: String? = nil
    ) {
        self.id = id
        self.serialNumber = serialNumber
        self.manufacturer = manufacturer
        self.model = model
        self.groupTag = groupTag
        self.lastContactedDateTime = lastContactedDateTime
        self.managedDeviceId = managedDeviceId
    }
}
