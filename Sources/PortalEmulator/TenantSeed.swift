import Foundation
import PortalAPI
import PortalModel

/// What a fresh emulated tenant starts with: its directory, rooms and the devices that have
/// checked in, plus the users who hold Teams Rooms Pro Manager over all rooms.
///
/// Seeding also creates what every tenant has: the built-in roles, the three default update
/// rings and an enrollment key.
public struct TenantSeed: Codable, Sendable, Equatable {
    public struct User: Codable, Sendable, Equatable {
        public var userPrincipalName: String
        public var displayName: String
        public var groups: [String]

        public init(userPrincipalName: String, displayName: String, groups: [String] = []) {
            self.userPrincipalName = userPrincipalName
            self.displayName = displayName
            self.groups = groups
        }
    }

    public struct Group: Codable, Sendable, Equatable {
        public var name: String
        public var mail: String?

        public init(name: String, mail: String? = nil) {
            self.name = name
            self.mail = mail
        }
    }

    public struct Room: Codable, Sendable, Equatable {
        public var email: String
        public var displayName: String
        public var location: RoomLocation
        public var labels: [String: String]

        public init(email: String, displayName: String, location: RoomLocation = RoomLocation(), labels: [String: String] = [:]) {
            self.email = email
            self.displayName = displayName
            self.location = location
            self.labels = labels
        }
    }

    public struct Device: Codable, Sendable, Equatable {
        public var serialNumber: String
        public var deviceType: String
        public var manufacturer: String?
        public var model: String?
        public var room: String?
        public var enrollmentState: String

        public init(
            serialNumber: String, deviceType: String, manufacturer: String? = nil, model: String? = nil, room: String? = nil,
            enrollmentState: String = "enrolled"
        ) {
            self.serialNumber = serialNumber
            self.deviceType = deviceType
            self.manufacturer = manufacturer
            self.model = model
            self.room = room
            self.enrollmentState = enrollmentState
        }
    }

    /// Users given Teams Rooms Pro Manager over all rooms (the onboarding assignment).
    public var administrators: [String]
    public var users: [User]
    public var groups: [Group]
    public var rooms: [Room]
    public var devices: [Device]

    public init(administrators: [String], users: [User], groups: [Group] = [], rooms: [Room] = [], devices: [Device] = []) {
        self.administrators = administrators
        self.users = users
        self.groups = groups
        self.rooms = rooms
        self.devices = devices
    }

    /// The id a group gets: its name in lower case.
    public static func groupId(_ name: String) -> String { name.lowercased() }

    /// Writes the tenant into an empty store; does nothing when the store already holds rooms or roles,
    /// so a restarted emulator keeps its state.
    public func seed(into store: PortalStore) async throws {
        guard try await store.count(.roles) == 0 else { return }
        let service = PortalService(store: store)
        var objects: [(collection: PortalCollection, id: String, body: Data)] = []
        func put(_ resource: some PortalResource) throws {
            objects.append((type(of: resource).collection, resource.id, try service.encode(resource)))
        }
        for role in BuiltInRole.allCases {
            try put(PortalRole(
                id: role.rawValue, displayName: role.displayName, isBuiltIn: true, permissions: role.permissions.sorted().map(\.slug)))
        }
        for ring in DefaultUpdateRing.allCases {
            try put(PortalUpdateRing(id: ring.rawValue, displayName: ring.displayName, order: 0, rolloutDays: 0, testDays: 0, isDefault: true))
        }
        for group in groups {
            try put(DirectoryGroup(id: Self.groupId(group.name), displayName: group.name, mail: group.mail))
        }
        for user in users {
            try put(DirectoryUser(
                id: user.userPrincipalName.lowercased(), userPrincipalName: user.userPrincipalName, displayName: user.displayName,
                groupIds: user.groups.map(Self.groupId)))
        }
        for room in rooms {
            try put(PortalRoom(
                id: room.email.lowercased(), displayName: room.displayName, email: room.email, location: room.location,
                labels: room.labels, updateRingId: DefaultUpdateRing.general.rawValue))
        }
        for (index, device) in devices.enumerated() {
            try put(PortalDevice(
                id: String(format: "dev-%06d", index + 1), serialNumber: device.serialNumber, deviceType: Vocabulary(device.deviceType),
                manufacturer: device.manufacturer, model: device.model, roomId: device.room?.lowercased(),
                enrollmentState: Vocabulary(device.enrollmentState)))
        }
        if !administrators.isEmpty {
            try put(PortalRoleAssignment(
                id: "pro-managers", roleId: BuiltInRole.teamsRoomsProManager.rawValue, displayName: "Pro managers",
                description: "Created when the tenant was onboarded.", emailNotifications: true,
                members: administrators.map { PortalMember(kind: .user, id: $0.lowercased()) }, scope: PortalScope(allRooms: true)))
        }
        try await store.insert(objects, actor: "seed")
        try await store.setSetting(PortalService.enrollmentKeySetting, PortalService.newEnrollmentKey())
    }
}
