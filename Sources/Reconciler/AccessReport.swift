import PortalAPI
import PortalModel

/// Who can do what in which rooms: from the portal's role assignments (to users and to their
/// security groups) and from the Entra directory roles that reach the portal without any
/// assignment. The audit question every admin is asked. Pure; linear in assignments, their
/// members and the directory.
public struct AccessReport: Codable, Sendable, Equatable {
    /// One way a person gets in.
    /// How a grant reaches the person.
    public enum Source: String, Codable, Sendable, Comparable {
        case directoryRole, assignment

        public static func < (lhs: Source, rhs: Source) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public struct Grant: Codable, Sendable, Equatable {
        public var source: Source
        /// The directory role's name, or the assignment's display name and role.
        public var name: String
        public var role: String
        /// The security group the assignment names the person through, if not directly.
        public var viaGroup: String?
        public var allRooms: Bool
        public var roomGroups: [String]
        public var roomCount: Int
        /// Permission slugs; custom-role-only ones (remote access) only while the tenant has it on.
        public var permissions: [String]
    }

    public struct Person: Codable, Sendable, Equatable {
        public var userPrincipalName: String
        public var displayName: String
        public var grants: [Grant]
    }

    public var people: [Person]
    /// Nil when the caller could not read the tenant's settings.
    public var remoteAccessEnabled: Bool?

    public static func make(_ live: LiveState) -> AccessReport {
        let roles = Dictionary(live.roles.map { ($0.resource.id, $0.resource) }, uniquingKeysWith: { first, _ in first })
        let roomGroups = Dictionary(live.roomGroups.map { ($0.resource.id, $0.resource) }, uniquingKeysWith: { first, _ in first })
        let groups = Dictionary(live.groups.map { ($0.resource.id, $0.resource) }, uniquingKeysWith: { first, _ in first })
        let remoteAccess = live.tenantSettings?.remoteAccessEnabled
        var usersInGroup: [String: [String]] = [:]
        var grants: [String: [Grant]] = [:]
        for user in live.users.map(\.resource) {
            for group in user.groupIds { usersInGroup[group, default: []].append(user.id) }
            for role in (user.directoryRoles ?? []).compactMap(\.value) {
                grants[user.id, default: []].append(
                    Grant(
                        source: .directoryRole, name: role.displayName, role: role.displayName, viaGroup: nil, allRooms: true,
                        roomGroups: [], roomCount: live.rooms.count, permissions: role.permissions.map(\.slug).sorted()))
            }
        }
        for assignment in live.roleAssignments.map(\.resource) {
            guard let role = roles[assignment.roleId] else { continue }
            let reach = AccessGrants.reach(of: assignment, roomGroups: roomGroups)
            let permissions = role.permissions.filter { slug in
                Permission(rawValue: slug).map { !$0.isCustomRoleOnly || remoteAccess != false } ?? false
            }.sorted()
            func grant(via group: String?) -> Grant {
                Grant(
                    source: .assignment, name: assignment.displayName, role: role.displayName, viaGroup: group,
                    allRooms: reach.allRooms,
                    roomGroups: assignment.scope.roomGroupIds.map { roomGroups[$0]?.displayName ?? $0 }.sorted(),
                    roomCount: reach.allRooms ? live.rooms.count : reach.rooms.count, permissions: permissions)
            }
            for member in assignment.members {
                switch member.kind {
                case .user: grants[member.id, default: []].append(grant(via: nil))
                case .group:
                    let name = groups[member.id].map { $0.mail ?? $0.displayName } ?? member.id
                    for user in usersInGroup[member.id] ?? [] { grants[user, default: []].append(grant(via: name)) }
                }
            }
        }
        let people = live.users.map(\.resource).compactMap { user -> Person? in
            guard let found = grants[user.id], !found.isEmpty else { return nil }
            return Person(
                userPrincipalName: user.userPrincipalName, displayName: user.displayName,
                grants: found.sorted { ($0.source, $0.name, $0.viaGroup ?? "") < ($1.source, $1.name, $1.viaGroup ?? "") })
        }.sorted { $0.userPrincipalName.lowercased() < $1.userPrincipalName.lowercased() }
        return AccessReport(people: people, remoteAccessEnabled: remoteAccess)
    }
}
