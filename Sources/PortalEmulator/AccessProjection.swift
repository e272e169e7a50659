import Foundation
import PortalAPI
import Synchronization

/// The objects that decide who may do what (role assignments, roles, room groups, and users by
/// principal name with their directory roles), kept in
/// memory and brought up to date from the audit log before each use, so that authorising a
/// request costs one small query instead of decoding every assignment in the tenant.
///
/// Built from a snapshot, then advanced by the writes logged after it, in order: the result is
/// what the store holds, whoever wrote it (another process on the same file included).
final class AccessProjection: Sendable {
    struct State: Sendable {
        var sequence: Int64 = 0
        var assignments: [String: PortalRoleAssignment] = [:]
        var roles: [String: PortalRole] = [:]
        var roomGroups: [String: PortalRoomGroup] = [:]
        /// Users by id, and their ids by principal name in lower case (a sign-in names the UPN).
        var users: [String: DirectoryUser] = [:]
        var userIdsByPrincipalName: [String: String] = [:]
    }

    static let collections: [PortalCollection] = [.roleAssignments, .roles, .roomGroups, .users]

    private let store: PortalStore
    private let state = Mutex<State?>(nil)

    init(store: PortalStore) {
        self.store = store
    }

    /// The projection as of now.
    func current() async throws -> State {
        guard let known = state.withLock({ $0 }) else {
            let (sequence, objects) = try await store.snapshot(Self.collections)
            var fresh = State(sequence: sequence)
            for object in objects { try fresh.apply(object.collection, object.id, object.body) }
            return try await advance(from: fresh)
        }
        return try await advance(from: known)
    }

    private func advance(from base: State) async throws -> State {
        let writes = try await store.changes(after: base.sequence, in: Self.collections)
        var next = base
        for write in writes {
            try next.apply(write.collection, write.id, write.body)
            next.sequence = write.sequence
        }
        return state.withLock { stored in
            // Concurrent callers may race; the one that saw further wins.
            if let stored, stored.sequence > next.sequence { return stored }
            stored = next
            return next
        }
    }
}

extension AccessProjection.State {
    fileprivate mutating func apply(_ collection: PortalCollection, _ id: String, _ body: Data?) throws {
        let decoder = PortalJSON.decoder
        switch collection {
        case .roleAssignments: assignments[id] = try body.map { try decoder.decode(PortalRoleAssignment.self, from: $0) }
        case .roles: roles[id] = try body.map { try decoder.decode(PortalRole.self, from: $0) }
        case .roomGroups: roomGroups[id] = try body.map { try decoder.decode(PortalRoomGroup.self, from: $0) }
        case .users:
            // A renamed user keeps its id: forget the old name before learning the new one.
            if let old = users[id] { userIdsByPrincipalName[old.userPrincipalName.lowercased()] = nil }
            let user = try body.map { try decoder.decode(DirectoryUser.self, from: $0) }
            users[id] = user
            if let user { userIdsByPrincipalName[user.userPrincipalName.lowercased()] = id }
        default: break
        }
    }
}
