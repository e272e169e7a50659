import Crypto
import Foundation
import GraphAPI
import PortalModel
import Synchronization

/// The Graph emulator's state, in memory: the directory, a change log for delta queries, the
/// access tokens it issued and its request counters. Tests and benchmarks change the directory
/// through it to make delta rounds report something.
public final class GraphDirectoryStore: Sendable {
    struct Versioned<Value: Sendable>: Sendable {
        var value: Value
        /// The change sequence number of the last change.
        var changed: Int
    }

    struct State: Sendable {
        var tenant: GraphTenant
        var users: [String: Versioned<GraphTenant.User>] = [:]
        var userIdsByName: [String: String] = [:]
        var groups: [String: Versioned<GraphTenant.Group>] = [:]
        /// Deleted objects, by id, with the change that deleted them.
        var removedUsers: [String: Int] = [:]
        var removedGroups: [String: Int] = [:]
        var sequence = 0
        /// Delta links minted before this change are expired (410 Gone).
        var deltaFloor = 0
        var tokens: [String: IssuedToken] = [:]
        /// Authorization codes handed to people's browsers, until redeemed or expired.
        var authorizationCodes: [String: AuthorizationCode] = [:]
        /// The `jti` of each certificate assertion accepted, until its `exp` (seconds): one that
        /// comes again is a replay.
        var usedAssertionIds: [String: Int] = [:]
        var requests = 0
        var httpRequests = 0
        var lowPriorityRequests = 0
        var placesInFlight: [String: Int] = [:]
        /// Sorted ids, rebuilt after a change.
        var sortedUserIds: [String]?
        var sortedGroupIds: [String]?
        /// The rows of the delta round with this window, kept while its pages are read.
        var deltaRounds: [DeltaWindow: [String]] = [:]
        /// Places, which do not change: rooms Places lists (none hidden), by id in id order;
        /// room lists by id in id order; each list's rooms by the list's address.
        var places: Places = Places(rooms: [], lists: [])
    }

    struct DeltaWindow: Hashable, Sendable {
        var users: Bool
        var since: Int?
        var until: Int
    }

    struct Places: Sendable {
        var rooms: [(id: String, room: GraphTenant.Room)]
        var lists: [(id: String, list: GraphTenant.RoomList)]
        var roomsByList: [String: [(id: String, room: GraphTenant.Room)]] = [:]
        var roomIndex: [String: Int] = [:]
        var listIndex: [String: Int] = [:]

        init(rooms: [GraphTenant.Room], lists: [GraphTenant.RoomList]) {
            self.rooms = rooms.filter { !$0.hidden }.map { (GraphDirectoryStore.objectId("room", $0.email), $0) }.sorted { $0.id < $1.id }
            self.lists = lists.map { (GraphDirectoryStore.objectId("roomList", $0.email), $0) }.sorted { $0.id < $1.id }
            let byEmail = Dictionary(self.rooms.map { ($0.room.email, $0) }, uniquingKeysWith: { first, _ in first })
            for list in lists {
                roomsByList[list.email] = list.rooms.compactMap { byEmail[$0] }.sorted { $0.id < $1.id }
            }
            roomIndex = Dictionary(self.rooms.indices.map { (self.rooms[$0].id, $0) }, uniquingKeysWith: { first, _ in first })
            listIndex = Dictionary(self.lists.indices.map { (self.lists[$0].id, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// What a person's sign-in asked for: redeemed once, by the same app, for the same redirect
    /// URI, with the verifier of its PKCE challenge.
    struct AuthorizationCode: Sendable {
        var clientId: String
        var redirectURI: String
        var challenge: String?
        var nonce: String?
        var userId: String
        var expires: Date
    }

    struct IssuedToken: Sendable {
        var clientId: String
        var permissions: Set<String>
        var expires: Date
    }

    let state: Mutex<State>
    /// When the store was made: the devices' last syncs count back from it.
    let started: Date

    public init(tenant: GraphTenant, now: Date = Date()) {
        started = now
        var state = State(tenant: tenant)
        state.places = Places(rooms: tenant.rooms, lists: tenant.roomLists)
        var people = tenant.users
        let named = Set(people.map { $0.userPrincipalName.lowercased() })
        // Every room mailbox has a resource account: a user with the room's address.
        for room in tenant.rooms where !named.contains(room.email) {
            people.append(
                .init(
                    userPrincipalName: room.email, displayName: room.displayName, mail: room.email,
                    licences: room.licence.flatMap(TeamsRoomsSKU.partNumber).map { [$0] } ?? []))
        }
        for user in people {
            state.users[user.id] = Versioned(value: user, changed: 0)
            state.userIdsByName[user.userPrincipalName.lowercased()] = user.id
        }
        for group in tenant.groups { state.groups[group.id] = Versioned(value: group, changed: 0) }
        self.state = Mutex(state)
    }

    public var tenantId: String { state.withLock { $0.tenant.tenantId } }

    /// How many Graph requests (batch members included) the emulator has answered.
    public var requestCount: Int { state.withLock { $0.requests } }

    /// How many HTTP requests reached Graph (a batch counts once, a refused one too).
    public var httpRequestCount: Int { state.withLock { $0.httpRequests } }

    /// How many requests came marked `x-ms-throttle-priority: low`.
    public var lowPriorityRequests: Int { state.withLock { $0.lowPriorityRequests } }

    /// Forgets every access token issued, as a revoked consent or a key rollover would.
    public func revokeTokens() {
        state.withLock { $0.tokens = [:] }
    }

    // MARK: - Changes, for delta rounds

    /// Adds or replaces a user.
    public func put(_ user: GraphTenant.User) {
        state.withLock { state in
            state.sequence += 1
            if state.users[user.id] == nil { state.sortedUserIds = nil }
            state.users[user.id] = Versioned(value: user, changed: state.sequence)
            state.userIdsByName[user.userPrincipalName.lowercased()] = user.id
            state.removedUsers[user.id] = nil
        }
    }

    /// Deletes a user.
    public func removeUser(id: String) {
        state.withLock { state in
            guard let user = state.users.removeValue(forKey: id) else { return }
            state.sequence += 1
            state.sortedUserIds = nil
            state.userIdsByName[user.value.userPrincipalName.lowercased()] = nil
            state.removedUsers[id] = state.sequence
        }
    }

    /// Adds or replaces a group.
    public func put(_ group: GraphTenant.Group) {
        state.withLock { state in
            state.sequence += 1
            if state.groups[group.id] == nil { state.sortedGroupIds = nil }
            state.groups[group.id] = Versioned(value: group, changed: state.sequence)
            state.removedGroups[group.id] = nil
        }
    }

    /// Adds or replaces a room mailbox, as Exchange would: Places lists it at once (Places has no delta).
    public func put(_ room: GraphTenant.Room) {
        state.withLock { state in
            state.tenant.rooms.removeAll { $0.email == room.email }
            state.tenant.rooms.append(room)
            state.places = Places(rooms: state.tenant.rooms, lists: state.tenant.roomLists)
        }
    }

    /// Makes every delta link handed out so far expire, as Graph's do after a while.
    public func expireDeltaLinks() {
        state.withLock { $0.deltaFloor = $0.sequence + 1 }
    }

    /// The group tag of the Autopilot registration with this serial number.
    public func autopilotGroupTag(serialNumber: String) -> String? {
        state.withLock { state in state.tenant.autopilotDevices.first { $0.serialNumber.uppercased() == serialNumber.uppercased() }?.groupTag }
    }

    public func user(named name: String) -> GraphTenant.User? {
        state.withLock { state in state.userIdsByName[name.lowercased()].flatMap { state.users[$0]?.value } }
    }

    /// The first group with this display name.
    public func group(named name: String) -> GraphTenant.Group? {
        state.withLock { state in state.groups.values.map(\.value).filter { $0.displayName == name }.min { $0.id < $1.id } }
    }

    // MARK: - Helpers

    /// A stable object id (a GUID in form) derived from a kind and a name, so that seeds need no ids.
    public static func objectId(_ kind: String, _ name: String) -> String {
        let hex = Array(hexadecimal(SHA256.hash(data: Data("\(kind):\(name)".utf8))).prefix(32))
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }.joined(separator: "-")
    }

    static func sha256(_ text: String) -> String { hexadecimal(SHA256.hash(data: Data(text.utf8))) }

    private static func hexadecimal(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 0xf)]] }
        return String(decoding: text, as: UTF8.self)
    }
}
