import Crypto
import Foundation
import PortalAPI
import PortalModel

/// What a fresh emulated tenant starts with: its directory, rooms and the devices that have
/// checked in, plus the users who hold Teams Rooms Pro Manager over all rooms.
///
/// Seeding also creates what every tenant has: the built-in roles, the three default update
/// rings, the default room group and an enrollment key.
public struct TenantSeed: Codable, Sendable, Equatable {
    public struct User: Codable, Sendable, Equatable {
        /// The directory object id; derived from the UPN when the fixture gives none.
        public var id: String?
        public var userPrincipalName: String
        public var displayName: String
        public var groups: [String]
        public var directoryRoles: [DirectoryRole]

        public init(
            id: String? = nil, userPrincipalName: String, displayName: String, groups: [String] = [], directoryRoles: [DirectoryRole] = []
        ) {
            self.id = id
            self.userPrincipalName = userPrincipalName
            self.displayName = displayName
            self.groups = groups
            self.directoryRoles = directoryRoles
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
        /// Nil: enrolled when a main unit is seeded for the room, otherwise no agent yet.
        public var enrollmentState: String?
        public var licence: String
        public var roomType: String
        public var capacity: Int?
        public var health: String

        public init(
            email: String, displayName: String, location: RoomLocation = RoomLocation(), labels: [String: String] = [:],
            enrollmentState: String? = nil, licence: String = "pro", roomType: String = "teamsRooms", capacity: Int? = nil,
            health: String = "healthy"
        ) {
            self.email = email
            self.displayName = displayName
            self.location = location
            self.labels = labels
            self.enrollmentState = enrollmentState
            self.licence = licence
            self.roomType = roomType
            self.capacity = capacity
            self.health = health
        }
    }

    public struct Device: Codable, Sendable, Equatable {
        public var serialNumber: String
        public var deviceType: String
        public var manufacturer: String?
        public var model: String?
        public var room: String?
        public var operatingSystem: String?

        public init(
            serialNumber: String, deviceType: String, manufacturer: String? = nil, model: String? = nil, room: String? = nil,
            operatingSystem: String? = nil
        ) {
            self.serialNumber = serialNumber
            self.deviceType = deviceType
            self.manufacturer = manufacturer
            self.model = model
            self.room = room
            self.operatingSystem = operatingSystem
        }
    }

    /// Users given Teams Rooms Pro Manager over all rooms (the onboarding assignment).
    public var administrators: [String]
    public var users: [User]
    public var groups: [Group]
    public var rooms: [Room]
    public var devices: [Device]
    /// Settings > Remote Access; off unless the fixture opts in.
    public var remoteAccessEnabled: Bool

    public init(
        administrators: [String], users: [User], groups: [Group] = [], rooms: [Room] = [], devices: [Device] = [],
        remoteAccessEnabled: Bool = false
    ) {
        self.administrators = administrators
        self.users = users
        self.groups = groups
        self.rooms = rooms
        self.devices = devices
        self.remoteAccessEnabled = remoteAccessEnabled
    }

    /// The id a group gets: its name in lower case.
    public static func groupId(_ name: String) -> String { name.lowercased() }

    /// The object id a user without one in the fixture gets: stable, shaped like an Entra object
    /// id, and unrelated to the UPN's text (so nothing can confuse the two).
    public static func userId(_ userPrincipalName: String) -> String {
        let hex = SHA256.hash(data: Data(userPrincipalName.lowercased().utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    /// The id of the user with this UPN in the seed.
    public func userId(of userPrincipalName: String) -> String {
        users.first { $0.userPrincipalName.lowercased() == userPrincipalName.lowercased() }?.id ?? Self.userId(userPrincipalName)
    }

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
            try put(
                PortalRole(
                    id: role.rawValue, displayName: role.displayName, isBuiltIn: true, permissions: role.permissions.sorted().map(\.slug)))
        }
        for ring in DefaultUpdateRing.allCases {
            try put(
                PortalUpdateRing(
                    id: ring.rawValue, displayName: ring.displayName, order: ring.order, rolloutDays: ring.rolloutDays, testDays: ring.testDays,
                    isDefault: true))
        }
        for group in groups {
            try put(DirectoryGroup(id: Self.groupId(group.name), displayName: group.name, mail: group.mail))
        }
        for user in users {
            try put(
                DirectoryUser(
                    id: user.id ?? Self.userId(user.userPrincipalName), userPrincipalName: user.userPrincipalName,
                    displayName: user.displayName, groupIds: user.groups.map(Self.groupId),
                    directoryRoles: user.directoryRoles.isEmpty ? nil : user.directoryRoles.map(Vocabulary.known)))
        }
        let roomsWithUnits = Set(devices.filter { DeviceType(rawValue: $0.deviceType)?.isRoomUnit == true }.compactMap { $0.room?.lowercased() })
        for room in rooms {
            let id = room.email.lowercased()
            try put(
                PortalRoom(
                    id: id, displayName: room.displayName, email: room.email, location: room.location,
                    labels: room.labels, updateRingId: DefaultUpdateRing.general.rawValue,
                    enrollmentState: room.enrollmentState.map { Vocabulary($0) } ?? (roomsWithUnits.contains(id) ? .known(.enrolled) : nil),
                    licence: Vocabulary(room.licence), roomType: Vocabulary(room.roomType), capacity: room.capacity, health: Vocabulary(room.health)))
        }
        // "By default, there is one room group, and more can be added"
        // (learn.microsoft.com/microsoftteams/rooms/microsoft-teams-rooms-configure-servicenow).
        // That it starts with every room is the emulator's reading.
        try put(
            PortalRoomGroup(
                id: PortalRoomGroup.defaultGroupId, displayName: "Default room group", description: "Every tenant has one.",
                roomIds: rooms.map { $0.email.lowercased() }.sorted()))
        for (index, device) in devices.enumerated() {
            try put(
                PortalDevice(
                    id: String(format: "dev-%06d", index + 1), serialNumber: device.serialNumber, deviceType: Vocabulary(device.deviceType),
                    manufacturer: device.manufacturer, model: device.model, roomId: device.room?.lowercased(),
                    operatingSystem: device.operatingSystem))
        }
        if !administrators.isEmpty {
            try put(
                PortalRoleAssignment(
                    id: "pro-managers", roleId: BuiltInRole.teamsRoomsProManager.rawValue, displayName: "Pro managers",
                    description: "Created when the tenant was onboarded.", emailNotifications: true,
                    members: administrators.map { PortalMember(kind: .user, id: userId(of: $0)) }, scope: PortalScope(allRooms: true)))
        }
        try await store.insert(objects, actor: "seed")
        try await store.setSetting(PortalService.enrollmentKeySetting, PortalService.newEnrollmentKey())
        try await store.setSetting(PortalService.remoteAccessSetting, remoteAccessEnabled ? "true" : "false")
    }
}
