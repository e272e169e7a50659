import Foundation
import GraphAPI
import PortalAPI
import PortalModel

/// What a `GraphDirectoryReader` keeps of its reads: users and groups with their delta links,
/// Places' rooms and lists, the devices, and the names of SKU ids. Kept in memory, and with a
/// cache file also in the state folder, in `BinaryCoding`'s form (a cold process reads 100,000
/// users from it in a fraction of a second). It holds what Graph showed the app and no
/// credential: a delta link is useful only with a token for its tenant, and the session follows
/// one only to the Graph host the operator configured.
struct GraphReadState: Codable, Sendable {
    /// Bumped when the layout changes; a file of another format is not read.
    static let currentFormat = 3
    /// The largest file read: far above a tenant of a million users.
    static let maximumFileBytes = 1 << 30

    var format = Self.currentFormat
    /// The tenant it was read from (`DirectorySource.tenantKey`).
    var tenant = ""
    /// When it was last written.
    var savedAt = Date.distantPast
    var users: [String: GraphUser] = [:]
    var usersDeltaLink: String?
    var groups: [String: GraphGroup] = [:]
    var groupsDeltaLink: String?
    var places: Places?
    var devices: Devices?
    /// Part numbers of the SKU ids the licensing reference lacks, from `/subscribedSkus`.
    var subscribedPartNumbers: [String: String] = [:]
    /// When `/subscribedSkus` was last read (or refused).
    var subscribedSkusReadAt: Date?

    struct Places: Codable, Sendable {
        var rooms: [GraphRoom]
        var lists: [GraphRoomList]
        /// Room addresses (lower case) by room list address (lower case).
        var members: [String: [String]]
        var readAt: Date

        /// The rooms' addresses, in lower case.
        var addresses: Set<String> { Set(rooms.compactMap { $0.emailAddress?.lowercasedIfNeeded }) }
    }

    struct Devices: Codable, Sendable {
        /// Nil when the app may not read devices.
        var registry: DeviceRegistry?
        var readAt: Date
    }

    init() {}

    // Users and groups are written as lists: a dictionary would make each id a key of the file's
    // key table. Users, the most numerous, are rows of one list (see `UserRows`).
    private enum CodingKeys: String, CodingKey {
        case format, tenant, savedAt, users, usersDeltaLink, groups, groupsDeltaLink, places, devices, subscribedPartNumbers, subscribedSkusReadAt
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(Int.self, forKey: .format)
        tenant = try container.decode(String.self, forKey: .tenant)
        savedAt = try container.decode(Date.self, forKey: .savedAt)
        var rows = try container.nestedUnkeyedContainer(forKey: .users)
        users = try UserRows.decode(&rows)
        usersDeltaLink = try container.decodeIfPresent(String.self, forKey: .usersDeltaLink)
        groups = Dictionary(try container.decode([GraphGroup].self, forKey: .groups).map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        groupsDeltaLink = try container.decodeIfPresent(String.self, forKey: .groupsDeltaLink)
        places = try container.decodeIfPresent(Places.self, forKey: .places)
        devices = try container.decodeIfPresent(Devices.self, forKey: .devices)
        subscribedPartNumbers = try container.decode([String: String].self, forKey: .subscribedPartNumbers)
        subscribedSkusReadAt = try container.decodeIfPresent(Date.self, forKey: .subscribedSkusReadAt)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(format, forKey: .format)
        try container.encode(tenant, forKey: .tenant)
        try container.encode(savedAt, forKey: .savedAt)
        var rows = container.nestedUnkeyedContainer(forKey: .users)
        try UserRows.encode(users.values, into: &rows)
        try container.encodeIfPresent(usersDeltaLink, forKey: .usersDeltaLink)
        try container.encode(Array(groups.values), forKey: .groups)
        try container.encodeIfPresent(groupsDeltaLink, forKey: .groupsDeltaLink)
        try container.encodeIfPresent(places, forKey: .places)
        try container.encodeIfPresent(devices, forKey: .devices)
        try container.encode(subscribedPartNumbers, forKey: .subscribedPartNumbers)
        try container.encodeIfPresent(subscribedSkusReadAt, forKey: .subscribedSkusReadAt)
    }

    /// The state kept in `file` for `tenant`, or nil when there is none, or it is damaged, of
    /// another format or of another tenant. Blocks while it reads.
    static func load(from file: URL, tenant: String) -> GraphReadState? {
        guard let data = try? FileHandle.readBounded(path: file.path, limit: maximumFileBytes),
            let state = try? BinaryCoding.decode(GraphReadState.self, from: [UInt8](data)),
            state.format == currentFormat, state.tenant == tenant
        else { return nil }
        return state
    }

    /// Writes the state to `file` atomically, readable by its owner only. Blocks while it writes.
    func save(to file: URL) throws {
        try PrivateFiles.write(Data(try BinaryCoding.encode(self)), to: file)
    }
}

/// Users as rows of one list of fields, six to a user, rather than an object each: a process
/// reads 100,000 users with no container per user. A user's licences are its SKU ids joined by
/// commas, all Roomkeeper reads of them.
enum UserRows {
    static let fieldsPerUser = 6

    static func encode(_ users: some Collection<GraphUser>, into rows: inout any UnkeyedEncodingContainer) throws {
        func optional(_ text: String?) throws {
            if let text { try rows.encode(text) } else { try rows.encodeNil() }
        }
        for user in users {
            try rows.encode(user.id)
            try optional(user.userPrincipalName)
            try optional(user.displayName)
            try optional(user.mail)
            if let enabled = user.accountEnabled { try rows.encode(enabled) } else { try rows.encodeNil() }
            try optional(user.assignedLicenses.map { $0.compactMap(\.skuId).joined(separator: ",") })
        }
    }

    static func decode(_ rows: inout any UnkeyedDecodingContainer) throws -> [String: GraphUser] {
        guard let count = rows.count, count % fieldsPerUser == 0 else { throw BinaryCodingError.damaged("user rows of the wrong length") }
        var users: [String: GraphUser] = [:]
        users.reserveCapacity(count / fieldsPerUser)
        while !rows.isAtEnd {
            let id = try rows.decode(String.self)
            let principalName = try rows.decodeIfPresent(String.self)
            let displayName = try rows.decodeIfPresent(String.self)
            let mail = try rows.decodeIfPresent(String.self)
            let enabled = try rows.decodeIfPresent(Bool.self)
            let licences = try rows.decodeIfPresent(String.self).map { joined in
                joined.utf8.split(separator: UInt8(ascii: ",")).map {
                    GraphAssignedLicence(skuId: String(decoding: $0, as: UTF8.self), disabledPlans: nil)
                }
            }
            users[id] = GraphUser(
                id: id, userPrincipalName: principalName, displayName: displayName, mail: mail, accountEnabled: enabled,
                assignedLicenses: licences)
        }
        return users
    }
}

extension DeviceRegistry {
    /// Every serial number Intune or Autopilot holds, in upper case.
    var serialNumbers: Set<String> {
        Set(managed.map { $0.serialNumber.uppercased() } + autopilot.map { $0.serialNumber.uppercased() })
    }
}
