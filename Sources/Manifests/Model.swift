import PortalModel

/// The identity and labels every manifest carries.
public struct ManifestMetadata: Sendable, Equatable {
    /// The name in git: a lower-case DNS label, unique per kind. `location` is where the document starts.
    public var name: Located<String>
    public var labels: [String: String]
    /// Names the object had before: a rename in git updates the portal object in place (keeping
    /// its id, and so the assignments and rings that refer to it) instead of replacing it.
    public var previousNames: [Located<String>]
    /// Marks the portal object protected: removing the manifest then leaves the object in place
    /// until the policy's `absent` list names it.
    public var protected: Bool

    public init(
        name: Located<String>, labels: [String: String] = [:], previousNames: [Located<String>] = [], protected: Bool = false
    ) {
        self.name = name
        self.labels = labels
        self.previousNames = previousNames
        self.protected = protected
    }
}

/// A manifest of any kind, by what every kind has.
public protocol DeclaredObject: Sendable {
    var metadata: ManifestMetadata { get }
}

/// A named set of rooms: explicit resource accounts and/or a selector over inventory data.
public struct RoomGroup: DeclaredObject, Equatable {
    public var metadata: ManifestMetadata
    public var displayName: String
    public var description: String?
    /// Room resource-account addresses, as written (compare case-insensitively).
    public var rooms: [Located<String>]
    public var selector: RoomSelector?

    public init(
        metadata: ManifestMetadata, displayName: String, description: String? = nil, rooms: [Located<String>] = [],
        selector: RoomSelector? = nil
    ) {
        self.metadata = metadata
        self.displayName = displayName
        self.description = description
        self.rooms = rooms
        self.selector = selector
    }
}

/// Rooms chosen by their inventory location, labels and Places room list; every given part must match.
public struct RoomSelector: Sendable, Equatable {
    public var location: [LocationPart: String]
    public var labels: [String: String]
    /// A Places room list, by its address or display name: known only from the tenant's
    /// directory (Microsoft Graph).
    public var roomList: Located<String>?

    public init(location: [LocationPart: String] = [:], labels: [String: String] = [:], roomList: Located<String>? = nil) {
        self.location = location
        self.labels = labels
        self.roomList = roomList
    }
}

/// The levels of the portal's inventory location hierarchy.
public enum LocationPart: String, CaseIterable, Sendable, Hashable {
    case country, state, city, campus, building, floor
}

/// A custom role: a named set of permissions. Built-in roles are referenced, never declared.
public struct Role: DeclaredObject, Equatable {
    public var metadata: ManifestMetadata
    public var displayName: String
    public var description: String?
    public var permissions: [Located<Permission>]

    public init(
        metadata: ManifestMetadata, displayName: String, description: String? = nil, permissions: [Located<Permission>]
    ) {
        self.metadata = metadata
        self.displayName = displayName
        self.description = description
        self.permissions = permissions
    }
}

/// The role a RoleAssignment grants: a built-in role or a Role declared in the repository.
public enum RoleReference: Sendable, Equatable, Hashable {
    case builtIn(BuiltInRole)
    case custom(name: String)

    /// As written in manifests: `builtin:site-lead` or a Role's name.
    public var text: String {
        switch self {
        case .builtIn(let role): role.reference
        case .custom(let name): name
        }
    }
}

/// A member of a role assignment: a user by UPN, or a security group by name or address.
public enum AssignmentMember: Sendable, Equatable, Hashable {
    case user(String)
    case group(String)
}

/// Where an assignment applies, as the manifest writes it. The validator judges what was written
/// (all rooms and a list at once, or neither, is an error at the manifest's line); everything
/// after it reads `reach`, so no later step pairs the flag with the lists again.
public struct AssignmentScope: Sendable, Equatable {
    public var allRooms: Bool
    public var roomGroups: [Located<String>]
    public var rooms: [Located<String>]

    public init(allRooms: Bool = false, roomGroups: [Located<String>] = [], rooms: [Located<String>] = []) {
        self.allRooms = allRooms
        self.roomGroups = roomGroups
        self.rooms = rooms
    }

    /// What a valid scope grants: every room, present and future, or the listed ones.
    public enum Reach: Sendable, Equatable {
        case allRooms
        case listed(roomGroups: [Located<String>], rooms: [Located<String>])
    }

    public var reach: Reach { allRooms ? .allRooms : .listed(roomGroups: roomGroups, rooms: rooms) }
}

/// Grants a role to members over a scope, with the portal's e-mail notification switch.
public struct RoleAssignment: DeclaredObject, Equatable {
    public var metadata: ManifestMetadata
    public var role: Located<RoleReference>
    public var displayName: String
    public var description: String?
    public var emailNotifications: Bool
    public var members: [Located<AssignmentMember>]
    public var scope: AssignmentScope

    public init(
        metadata: ManifestMetadata, role: Located<RoleReference>, displayName: String, description: String? = nil,
        emailNotifications: Bool = false, members: [Located<AssignmentMember>], scope: AssignmentScope
    ) {
        self.metadata = metadata
        self.role = role
        self.displayName = displayName
        self.description = description
        self.emailNotifications = emailNotifications
        self.members = members
        self.scope = scope
    }
}

/// A device expected in a room, known by manufacturer and serial number. Apply never creates
/// one: a room's main unit onboards itself, so a missing one is for a person on site to fix.
///
/// A room's main unit (`isRoomUnit`) carries the room's enrollment, which apply can change;
/// every other device is a peripheral, checked for presence only.
public struct Device: DeclaredObject, Equatable {
    public var metadata: ManifestMetadata
    public var room: Located<String>
    public var serialNumber: Located<String>
    public var deviceType: DeviceType
    public var manufacturer: String?
    public var model: String?
    /// As written; nil when the manifest does not say. Only a main unit's counts.
    public var enrollment: Located<DesiredEnrollment>?
    /// Another profile's Autopilot group tag that git confirms this device may lose to
    /// `devices.autopilotGroupTag`; without it such a tag is never overwritten.
    public var replacesGroupTag: String?

    public init(
        metadata: ManifestMetadata, room: Located<String>, serialNumber: Located<String>, deviceType: DeviceType,
        manufacturer: String? = nil, model: String? = nil, enrollment: Located<DesiredEnrollment>? = nil, replacesGroupTag: String? = nil
    ) {
        self.replacesGroupTag = replacesGroupTag
        self.metadata = metadata
        self.room = room
        self.serialNumber = serialNumber
        self.deviceType = deviceType
        self.manufacturer = manufacturer
        self.model = model
        self.enrollment = enrollment
    }

    public var isRoomUnit: Bool { deviceType.isRoomUnit }

    /// The enrollment the room should have, for a main unit (enrolled unless written otherwise);
    /// nil for a peripheral, which never enrolls.
    public var roomEnrollment: DesiredEnrollment? { isRoomUnit ? enrollment?.value ?? .enrolled : nil }
}

/// A custom update ring and the rooms in it. The default rings (staging, general, executive)
/// always exist and are not declared.
public struct UpdateRing: DeclaredObject, Equatable {
    public var metadata: ManifestMetadata
    public var displayName: String
    public var description: String?
    /// Position in the rollout, 1 (first) to 9 (last), unique among rings.
    public var order: Located<Int>
    public var rolloutDays: Int
    public var testDays: Int
    /// Written by older manifests only: the portal derives a ring's deferment from the rings
    /// before it, so the value is ignored with a warning.
    public var deferralDays: Located<Int>?
    public var rooms: [Located<String>]
    public var roomGroups: [Located<String>]

    public init(
        metadata: ManifestMetadata, displayName: String, description: String? = nil, order: Located<Int>,
        rolloutDays: Int, testDays: Int, deferralDays: Located<Int>? = nil, rooms: [Located<String>] = [],
        roomGroups: [Located<String>] = []
    ) {
        self.metadata = metadata
        self.displayName = displayName
        self.description = description
        self.order = order
        self.rolloutDays = rolloutDays
        self.testDays = testDays
        self.deferralDays = deferralDays
        self.rooms = rooms
        self.roomGroups = roomGroups
    }
}

/// One manifest document of any kind.
public enum Manifest: Sendable, Equatable {
    case roomGroup(RoomGroup)
    case role(Role)
    case roleAssignment(RoleAssignment)
    case device(Device)
    case updateRing(UpdateRing)

    public var kind: ManifestKind {
        switch self {
        case .roomGroup: .roomGroup
        case .role: .role
        case .roleAssignment: .roleAssignment
        case .device: .device
        case .updateRing: .updateRing
        }
    }

    public var metadata: ManifestMetadata {
        get {
            switch self {
            case .roomGroup(let value): value.metadata
            case .role(let value): value.metadata
            case .roleAssignment(let value): value.metadata
            case .device(let value): value.metadata
            case .updateRing(let value): value.metadata
            }
        }
        set {
            switch self {
            case .roomGroup(var value):
                value.metadata = newValue
                self = .roomGroup(value)
            case .role(var value):
                value.metadata = newValue
                self = .role(value)
            case .roleAssignment(var value):
                value.metadata = newValue
                self = .roleAssignment(value)
            case .device(var value):
                value.metadata = newValue
                self = .device(value)
            case .updateRing(var value):
                value.metadata = newValue
                self = .updateRing(value)
            }
        }
    }
}
