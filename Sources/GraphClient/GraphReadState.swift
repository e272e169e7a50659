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
    static let currentFormat = 4
    /// The largest file read: far above a tenant of a million users.
    static let maximumFileBytes = 1 << 30

    var format = Self.currentFormat
    /// The tenant it was read from (`DirectorySource.tenantKey`).
    var tenant = ""
    /// When it was last written.
    var savedAt = Date.distantPast
    var users = KeptUsers()
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
    // key table. Users, the most numerous, are one text (see `UserRows`).
    private enum CodingKeys: String, CodingKey {
        case format, tenant, savedAt, users, usersDeltaLink, groups, groupsDeltaLink, places, devices, subscribedPartNumbers, subscribedSkusReadAt
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        format = try container.decode(Int.self, forKey: .format)
        tenant = try container.decode(String.self, forKey: .tenant)
        savedAt = try container.decode(Date.self, forKey: .savedAt)
        users = KeptUsers(try UserRows.decode(try container.decode(String.self, forKey: .users)))
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
        try container.encode(UserRows.encode(users.inOrder), forKey: .users)
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

/// The users kept, in the order of their ids (the directory's order, and the file's): a process
/// that finds no change reads, assembles and writes them with no index by id and no sort.
struct KeptUsers: Sendable {
    private(set) var inOrder: [GraphUser] = []

    init() {}

    /// `users` in the order of their ids, the last of any id that comes twice.
    init(_ users: [GraphUser]) {
        // Sorting what is already in order (as a file written by `UserRows` is) takes one pass.
        var ordered: [GraphUser] = []
        ordered.reserveCapacity(users.count)
        for user in users.sorted(byText: \.id) {
            if ordered.last?.id == user.id { ordered.removeLast() }
            ordered.append(user)
        }
        inOrder = ordered
    }

    /// Takes a delta round's `changes`: a removed user goes, any other is `merged` with what is kept of it.
    mutating func apply(_ changes: [GraphUser], merging merged: (_ kept: GraphUser?, _ change: GraphUser) -> GraphUser) {
        guard !changes.isEmpty else { return }
        var byId = Dictionary(inOrder.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        for change in changes {
            byId[change.id] = change.removed != nil ? nil : merged(byId[change.id], change)
        }
        inOrder = byId.values.sorted(byText: \.id)
    }
}

/// Users as one text: their number and a semicolon, then six fields to a user, each its length
/// in UTF-8 bytes, a colon and the field (`-` for a field the user lacks). A process reads
/// 100,000 users as one string, with no decoder call per field. A user's licences are its SKU
/// ids joined by commas, all Roomkeeper reads of them.
enum UserRows {
    static func encode(_ users: some Collection<GraphUser>) -> String {
        var text = "\(users.count);"
        func field(_ value: String?) {
            guard let value else {
                text += "-"
                return
            }
            text += "\(value.utf8.count):"
            text += value
        }
        for user in users {
            field(user.id)
            field(user.userPrincipalName)
            field(user.displayName)
            field(user.mail)
            field(user.accountEnabled.map { $0 ? "1" : "0" })
            field(user.assignedLicenses.map { $0.compactMap(\.skuId).joined(separator: ",") })
        }
        return text
    }

    static func decode(_ text: String) throws -> [GraphUser] {
        var text = text
        return try text.withUTF8 { bytes in
            var position = 0
            /// A number in decimal, and the byte that ends it.
            func number(endingAt end: UInt8) throws -> Int {
                var value = 0
                while position < bytes.count, bytes[position] != end {
                    let digit = Int(bytes[position]) - Int(UInt8(ascii: "0"))
                    guard (0..<10).contains(digit), value <= bytes.count else { throw BinaryCodingError.damaged("a number in the user rows") }
                    value = value * 10 + digit
                    position += 1
                }
                guard position < bytes.count else { throw BinaryCodingError.damaged("user rows cut short") }
                position += 1
                return value
            }
            func field() throws -> String? {
                guard position < bytes.count else { throw BinaryCodingError.damaged("user rows cut short") }
                if bytes[position] == UInt8(ascii: "-") {
                    position += 1
                    return nil
                }
                let length = try number(endingAt: UInt8(ascii: ":"))
                guard length <= bytes.count - position else { throw BinaryCodingError.damaged("a user field runs past the rows") }
                defer { position += length }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[position..<position + length]), as: UTF8.self)
            }
            let count = try number(endingAt: UInt8(ascii: ";"))
            var users: [GraphUser] = []
            // A user takes at least seven bytes: an id, and five fields it may lack.
            users.reserveCapacity(min(count, bytes.count / 7))
            while position < bytes.count {
                guard let id = try field() else { throw BinaryCodingError.damaged("a user without an id") }
                let principalName = try field()
                let displayName = try field()
                let mail = try field()
                let enabled = try field().map { $0 == "1" }
                let licences = try field().map { joined in
                    joined.utf8.split(separator: UInt8(ascii: ",")).map {
                        GraphAssignedLicence(skuId: String(decoding: $0, as: UTF8.self), disabledPlans: nil)
                    }
                }
                users.append(
                    GraphUser(
                        id: id, userPrincipalName: principalName, displayName: displayName, mail: mail, accountEnabled: enabled,
                        assignedLicenses: licences))
            }
            return users
        }
    }
}

extension DeviceRegistry {
    /// Every serial number Intune or Autopilot holds, in upper case.
    var serialNumbers: Set<String> {
        Set(managed.map { $0.serialNumber.uppercased() } + autopilot.map { $0.serialNumber.uppercased() })
    }
}
