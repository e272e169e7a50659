import Foundation
import PortalAPI
import Synchronization

/// The objects that decide who may do what (role assignments, roles, room groups) and which user
/// id a principal name signs in as, kept in
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
        /// User ids by principal name in lower case (a sign-in names the UPN), and the reverse, so a
        /// rename forgets the old name. Only the names: the user itself is read when it signs in.
        var userIdsByPrincipalName: [String: String] = [:]
        var principalNames: [String: String] = [:]
        /// Ids of the assignments that name each user or group, so that a caller's grants are
        /// worked out from their own assignments, not by scanning the tenant's.
        var assignmentsByMember: [String: Set<String>] = [:]
        /// Ids of roles and of room groups by display name in lower case, for the unique-name rule.
        var roleIdsByName: [String: Set<String>] = [:]
        var roomGroupIdsByName: [String: Set<String>] = [:]

        /// The assignments that name the user or one of the user's groups.
        func assignments(naming user: DirectoryUser) -> [PortalRoleAssignment] {
            var ids = assignmentsByMember[user.id] ?? []
            for group in user.groupIds { ids.formUnion(assignmentsByMember[group] ?? []) }
            return ids.sorted().compactMap { assignments[$0] }
        }
    }

    static let collections: [PortalCollection] = [.roleAssignments, .roles, .roomGroups, .users]

    private let store: PortalStore
    private let state = Mutex<State?>(nil)
    /// The first snapshot, shared by the requests that arrive before it is done: a burst of
    /// requests at start-up builds one, not one each.
    private let firstSnapshot = Mutex<Task<State, any Error>?>(nil)

    init(store: PortalStore) {
        self.store = store
    }

    /// The projection as of now.
    func current() async throws -> State {
        if let known = state.withLock({ $0 }) { return try await advance(from: known) }
        let snapshot = firstSnapshot.withLock { pending in
            if let pending { return pending }
            let store = store
            let started = Task {
                let (sequence, objects) = try await store.snapshot(Self.collections)
                var fresh = State(sequence: sequence)
                for object in objects { try fresh.apply(object.collection, object.id, object.body) }
                return fresh
            }
            pending = started
            return started
        }
        do {
            return try await advance(from: try await snapshot.value)
        } catch {
            // A failed snapshot is not kept: the next request tries again.
            firstSnapshot.withLock { pending in if pending == snapshot { pending = nil } }
            throw error
        }
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
        case .roleAssignments:
            for member in assignments[id]?.members ?? [] { assignmentsByMember[member.id]?.remove(id) }
            assignments[id] = try body.map { try decoder.decode(PortalRoleAssignment.self, from: $0) }
            for member in assignments[id]?.members ?? [] { assignmentsByMember[member.id, default: []].insert(id) }
        case .roles:
            if let old = roles[id] { roleIdsByName[old.displayName.lowercased()]?.remove(id) }
            roles[id] = try body.map { try decoder.decode(PortalRole.self, from: $0) }
            if let new = roles[id] { roleIdsByName[new.displayName.lowercased(), default: []].insert(id) }
        case .roomGroups:
            if let old = roomGroups[id] { roomGroupIdsByName[old.displayName.lowercased()]?.remove(id) }
            roomGroups[id] = try body.map { try decoder.decode(PortalRoomGroup.self, from: $0) }
            if let new = roomGroups[id] { roomGroupIdsByName[new.displayName.lowercased(), default: []].insert(id) }
        case .users:
            // A renamed user keeps its id: forget the old name before learning the new one.
            if let old = principalNames[id] { userIdsByPrincipalName[old] = nil }
            let name = try body.map { try decoder.decode(PrincipalName.self, from: $0).userPrincipalName.lowercased() }
            principalNames[id] = name
            if let name { userIdsByPrincipalName[name] = id }
        default: break
        }
    }
}

/// The one field of a directory user the projection keeps.
private struct PrincipalName: Decodable {
    var userPrincipalName: String
}
