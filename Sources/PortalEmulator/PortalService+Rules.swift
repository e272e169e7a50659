import Crypto
import Foundation
import PortalAPI
import PortalModel

// The portal's rules: what a write must satisfy before it is stored.

extension PortalService {
    /// The contract's limits on what people type: display names of 1 to 256 characters,
    /// descriptions of at most 1,024.
    static let displayNameLimit = 1...256
    static let descriptionLimit = 1024

    func validate<R: OwnedResource>(_ resource: R, replacing current: R?) async throws {
        if let assignment = resource as? PortalRoleAssignment, assignment.roleId == BuiltInRole.teamsRoomsProManager.rawValue,
            !assignment.scope.allRooms
        {
            // The portal's Pro Manager assignment "will apply to all rooms and room groups" (enrolling-mtrp-managed-service).
            throw PortalError.badRequest("a Teams Rooms Pro Manager assignment applies to all rooms; its scope must be allRooms", target: "scope")
        }
        if let named = resource as? any PortalNamed {
            guard Self.displayNameLimit.contains(named.displayName.count) else {
                throw PortalError.badRequest("displayName must be 1 to 256 characters", target: "displayName")
            }
            guard (named.description ?? "").count <= Self.descriptionLimit else {
                throw PortalError.badRequest("description must be at most 1024 characters", target: "description")
            }
        }
        switch resource {
        case let role as PortalRole:
            if role.isBuiltIn || (current as? PortalRole)?.isBuiltIn == true {
                throw PortalError(status: 400, code: "BuiltInRole", message: "built-in roles cannot be created or changed", target: role.id)
            }
            if let unknown = role.permissions.first(where: { Permission(rawValue: $0) == nil }) {
                throw PortalError.badRequest("unknown permission '\(unknown)'", target: "permissions")
            }
            try requireUniqueName(role.displayName, of: role, among: try await access.current().roleIdsByName)
        case let assignment as PortalRoleAssignment:
            guard try await read(PortalRole.self, id: assignment.roleId) != nil else {
                throw PortalError.badRequest("role '\(assignment.roleId)' does not exist", target: "roleId")
            }
            guard !assignment.members.isEmpty else { throw PortalError.badRequest("an assignment needs members", target: "members") }
            for member in assignment.members {
                let found =
                    member.kind == .user
                    ? try await read(DirectoryUser.self, id: member.id) != nil
                    : try await read(DirectoryGroup.self, id: member.id) != nil
                guard found else { throw PortalError.badRequest("\(member.kind.rawValue) '\(member.id)' is not in the directory", target: "members") }
            }
            let scope = assignment.scope
            guard scope.allRooms != !(scope.roomGroupIds.isEmpty && scope.roomIds.isEmpty) else {
                throw PortalError.badRequest("scope is allRooms, or room groups and rooms, not both or neither", target: "scope")
            }
            for id in scope.roomGroupIds where try await read(PortalRoomGroup.self, id: id) == nil {
                throw PortalError.badRequest("room group '\(id)' does not exist", target: "scope.roomGroupIds")
            }
            try await requireRooms(scope.roomIds, target: "scope.roomIds")
        case let group as PortalRoomGroup:
            try await requireRooms(group.roomIds, target: "roomIds")
            let access = try await access.current()
            let groups = access.roomGroups.values
            try requireUniqueName(group.displayName, of: group, among: access.roomGroupIdsByName)
            if try await tenantSettings().roomGroupMembership == .single {
                // Whether the portal allows a room in several groups is not documented; this is
                // the emulator's stricter mode. The default group does not count.
                let rooms = Set(group.roomIds)
                if let other = groups.first(where: {
                    $0.id != group.id && $0.id != PortalRoomGroup.defaultGroupId && !rooms.isDisjoint(with: $0.roomIds)
                }),
                    let room = rooms.intersection(other.roomIds).sorted().first
                {
                    throw PortalError.conflict(
                        "room '\(room)' is already in room group '\(other.id)'; this portal allows one room group per room", target: "roomIds")
                }
            }
        case let ring as PortalUpdateRing:
            if ring.isDefault || (current as? PortalUpdateRing)?.isDefault == true {
                throw PortalError(status: 400, code: "DefaultRing", message: "default rings cannot be created or changed here", target: ring.id)
            }
            guard UpdateRingLimits.orders.contains(ring.order) else {
                throw PortalError.badRequest("order must be from 1 to 9", target: "order")
            }
            let others = try await all(PortalUpdateRing.self).map(\.resource).filter { $0.id != ring.id }
            if let clash = others.first(where: { !$0.isDefault && $0.order == ring.order }) {
                throw PortalError.conflict("ring '\(clash.id)' already has order \(ring.order)", target: "order")
            }
            let total = others.reduce(ring.rolloutDays + ring.testDays) { $0 + $1.rolloutDays + $1.testDays }
            guard total <= UpdateRingLimits.maximumTotalDays else {
                throw PortalError.badRequest(
                    "rings would add up to \(total) days; the limit is \(UpdateRingLimits.maximumTotalDays)", target: "rolloutDays")
            }
        default:
            break
        }
    }

    func checkDeletable(_ resource: some OwnedResource) async throws {
        let assignments = try await access.current().assignments.values
        switch resource {
        case let role as PortalRole:
            if role.isBuiltIn { throw PortalError(status: 400, code: "BuiltInRole", message: "built-in roles cannot be deleted", target: role.id) }
            if let user = assignments.first(where: { $0.roleId == role.id }) {
                throw PortalError.conflict("role '\(role.id)' is used by assignment '\(user.id)'", target: role.id)
            }
        case let group as PortalRoomGroup:
            if group.id == PortalRoomGroup.defaultGroupId {
                throw PortalError(status: 400, code: "DefaultRoomGroup", message: "the default room group cannot be deleted", target: group.id)
            }
            if let user = assignments.first(where: { $0.scope.roomGroupIds.contains(group.id) }) {
                throw PortalError.conflict("room group '\(group.id)' scopes assignment '\(user.id)'", target: group.id)
            }
        case let ring as PortalUpdateRing where ring.isDefault:
            throw PortalError(status: 400, code: "DefaultRing", message: "default rings cannot be deleted", target: ring.id)
        default:
            break
        }
    }

    func returnRoomsToGeneral(from ringId: String, actor: String) async throws {
        for tagged in try await all(PortalRoom.self) where tagged.resource.updateRingId == ringId {
            var room = tagged.resource
            room.updateRingId = DefaultUpdateRing.general.rawValue
            try await store.write(.rooms, .replace(id: room.id, body: try encode(room), ifMatch: nil), actor: actor, action: "moveToRing")
        }
    }

    func requireRooms(_ ids: [String], target: String) async throws {
        let existing = try await store.existingIds(.rooms, among: ids)
        if let missing = ids.first(where: { !existing.contains($0) }) {
            throw PortalError.badRequest("room '\(missing)' does not exist", target: target)
        }
    }

    /// Refuses a name another object of the collection has, in any case (`idsByName` is keyed by
    /// lower-case display name).
    func requireUniqueName<R: OwnedResource>(_ name: String, of resource: R, among idsByName: [String: Set<String>]) throws {
        guard !name.isEmpty else { throw PortalError.badRequest("displayName is empty", target: "displayName") }
        if let clash = idsByName[name.lowercased()]?.subtracting([resource.id]).sorted().first {
            throw PortalError.conflict("'\(name)' is already the name of \(R.collection.rawValue) '\(clash)'", target: "displayName")
        }
    }
}
