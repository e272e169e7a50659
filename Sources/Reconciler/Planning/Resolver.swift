import Foundation
import Manifests
import PortalAPI
import PortalModel

/// Turns declared references (room addresses, selectors, members) into portal ids, and records
/// what it cannot resolve as findings instead of guessing.
final class Resolver {
    let context: Context
    let declared: ManifestSet
    var findings: [Finding] = []

    /// Declared room groups by name, and the rooms of those resolved so far: each group is
    /// resolved once, so its findings are recorded once however many rings and scopes name it.
    private let declaredGroups: [String: RoomGroup]
    private var roomsOfGroup: [String: Set<String>] = [:]

    init(context: Context, declared: ManifestSet) {
        self.context = context
        self.declared = declared
        declaredGroups = Dictionary(declared.roomGroups.map { ($0.metadata.name.value, $0) }, uniquingKeysWith: { first, _ in first })
    }

    func rooms(of group: RoomGroup) -> Set<String> {
        let name = group.metadata.name.value
        if let resolved = roomsOfGroup[name] { return resolved }
        let owner = ObjectReference(kind: .manifest(.roomGroup), name: name)
        var rooms = rooms(group.rooms, owner: owner)
        if let selector = group.selector { rooms.formUnion(self.rooms(matching: selector, owner: owner, at: group.metadata.name.location)) }
        roomsOfGroup[name] = rooms
        return rooms
    }

    /// The rooms a selector picks; a room list the directory does not have, or a selector that
    /// picks nothing, is reported.
    private func rooms(matching selector: RoomSelector, owner: ObjectReference, at location: SourceLocation?) -> Set<String> {
        if let list = selector.roomList {
            guard context.hasDirectory else {
                findings.append(
                    Finding(
                        .roomListNeedsDirectory, severity: .error, target: owner,
                        message: "the selector picks rooms by the room list '\(list.value)', which only the tenant's directory knows",
                        remedy: "connect the tenant's directory (Microsoft Graph), or select by location instead",
                        location: (list.location ?? location)))
                return []
            }
            guard context.directoryListsRooms else {
                findings.append(
                    Finding(
                        .roomsNotObservable, severity: .warning, target: owner,
                        message: "the selector picks rooms by the room list '\(list.value)', but this cloud has no Places to list them",
                        remedy: "list the rooms by address, or select by location", location: (list.location ?? location)))
                return []
            }
            guard context.roomListExists(list.value) else {
                findings.append(
                    Finding(
                        .roomListUnknown, severity: .error, target: owner,
                        message: "the directory has no room list with the address or name '\(list.value)'",
                        remedy: "name a room list by its address (as Places lists it), or by a display name no other list has",
                        location: (list.location ?? location)))
                return []
            }
        }
        let matched = context.rooms(matching: selector)
        if matched.isEmpty {
            findings.append(
                Finding(
                    .selectorMatchesNothing, severity: .warning, target: owner, message: "the selector matches no room in the inventory",
                    remedy: "check the selector's values against the rooms' location, labels and room lists", location: location))
        }
        return matched
    }

    /// The rooms of the declared group with this name; none for a name git does not declare.
    func rooms(ofGroupNamed name: String) -> Set<String> { declaredGroups[name].map(rooms(of:)) ?? [] }

    /// Room ids for declared addresses; an address the inventory does not know is reported, not guessed.
    func rooms(_ rooms: [Located<String>], owner: ObjectReference) -> Set<String> {
        var ids: Set<String> = []
        for room in rooms {
            let id = room.value.lowercasedIfNeeded
            if context.directoryListsRooms, !context.isRoomMailbox(id) {
                findings.append(
                    Finding(
                        .roomNotRoomMailbox, severity: .error, target: owner,
                        message: "\(room.value) is not a room mailbox in the tenant's directory",
                        remedy: "name the room's resource account; Places lists room mailboxes only, and none hidden from the address list",
                        location: room.location))
            } else if context.roomExists(id) {
                ids.insert(id)
            } else {
                findings.append(
                    Finding(
                        .roomNotInInventory,
                        severity: .warning, target: owner, message: "room \(room.value) is not in the portal's inventory; it is left out",
                        remedy: "check the address; a new resource account can take up to 48 hours to appear in the inventory",
                        location: room.location))
            }
        }
        return ids
    }

    /// Members as the directory's object ids, which never change (a renamed UPN keeps its id),
    /// in a stable order.
    func members(of assignment: RoleAssignment) -> [PortalMember] {
        var members: Set<PortalMember> = []
        for member in assignment.members {
            switch member.value {
            case .user(let upn):
                if let id = context.userId(principalName: upn) {
                    members.insert(PortalMember(kind: .user, id: id))
                    if context.isDisabled(userId: id) {
                        findings.append(
                            Finding(
                                .memberDisabled, severity: .error,
                                target: ObjectReference(kind: .manifest(.roleAssignment), name: assignment.metadata.name.value),
                                message: "user \(upn)'s account is disabled in the directory",
                                remedy: "remove the member, or enable the account first", location: member.location))
                    }
                } else {
                    unresolved(assignment, member, "user \(upn) is not in the directory")
                }
            case .group(let group):
                let ids = context.groupIds(named: group)
                if ids.count == 1, let id = ids.first {
                    members.insert(PortalMember(kind: .group, id: id))
                    if context.isNotSecurityGroup(id) {
                        findings.append(
                            Finding(
                                .groupNotSecurityEnabled, severity: .error,
                                target: ObjectReference(kind: .manifest(.roleAssignment), name: assignment.metadata.name.value),
                                message:
                                    "group \(context.groupDescription(id)) is not a security group; the portal assigns roles to security groups only",
                                remedy: "name a security group, or make this one security-enabled", location: member.location))
                    }
                } else if ids.isEmpty {
                    unresolved(assignment, member, "security group '\(group)' is not in the directory")
                } else {
                    findings.append(
                        Finding(
                            .memberAmbiguous,
                            severity: .error, target: ObjectReference(kind: .manifest(.roleAssignment), name: assignment.metadata.name.value),
                            message: "security group '\(group)' matches \(ids.count) directory groups: "
                                + ids.map(context.groupDescription).joined(separator: ", "),
                            remedy: "name the group by its id or mail instead of its display name", location: member.location))
                }
            }
        }
        return members.sorted { ($0.kind.rawValue, $0.id) < ($1.kind.rawValue, $1.id) }
    }

    private func unresolved(_ assignment: RoleAssignment, _ member: Located<AssignmentMember>, _ message: String) {
        findings.append(
            Finding(
                .memberNotInDirectory,
                severity: .error, target: ObjectReference(kind: .manifest(.roleAssignment), name: assignment.metadata.name.value), message: message,
                remedy: "correct the member, or create it in the directory first", location: member.location))
    }
}
