import Foundation
import Manifests
import PortalAPI
import PortalModel

/// Manifests that declare what the portal holds now: to bootstrap a repository from an existing
/// tenant, or to adopt a person's change into git. Pure; linear in the portal's size.
///
/// Objects Roomkeeper manages keep their manifest names; hand-made ones get a name derived from
/// their display name (made unique with a number), and a plan then adopts them. References
/// (roles, room groups, members) are written as manifests name them. What manifests cannot
/// express (selectors, which are not kept in the portal) is written out explicitly: a room group
/// lists its rooms, a ring its rooms.
public struct Exporter {
    /// The manifests, in a stable order (by kind, then name), and what could not be exported.
    public struct Result: Sendable {
        public var manifests: [Manifest]
        /// Objects left out, and why.
        public var skipped: [Finding]
        /// Kinds that had hand-made objects: the repository's policy must allow adopting them.
        public var handMadeKinds: Set<ManifestKind>
    }

    let live: LiveState
    private var names = NameBook()
    /// Members are written as people know them: users by UPN, groups by mail or display name.
    private let usersById: [String: DirectoryUser]
    private let groupsById: [String: DirectoryGroup]

    public init(live: LiveState) {
        self.live = live
        usersById = Dictionary(live.users.map { ($0.resource.id, $0.resource) }, uniquingKeysWith: { first, _ in first })
        groupsById = Dictionary(live.groups.map { ($0.resource.id, $0.resource) }, uniquingKeysWith: { first, _ in first })
    }

    /// Exports every manageable object, or only those `select` names (`KIND/NAME`, where NAME
    /// is the manifest name, the portal id, or a device's serial number).
    ///
    /// With `roomListGroups`, also a room group per Places room list of the tenant's directory,
    /// selecting the list's rooms (a new repository's first room groups).
    public static func export(_ live: LiveState, select: Set<String> = [], roomListGroups: Bool = false) -> Result {
        var exporter = Exporter(live: live)
        return exporter.run(select: select, roomListGroups: roomListGroups)
    }

    private mutating func run(select: Set<String>, roomListGroups: Bool) -> Result {
        var skipped: [Finding] = []
        var handMade: Set<ManifestKind> = []
        let rings = live.updateRings.map(\.resource).filter { !$0.isDefault }
        let roles = live.roles.map(\.resource).filter { !$0.isBuiltIn }
        let groups = live.roomGroups.map(\.resource).filter { $0.id != PortalRoomGroup.defaultGroupId }
        let assignments = live.roleAssignments.map(\.resource)
        // Names first, so references resolve whatever order the kinds are written in.
        // Managed objects keep their names, so they are named before hand-made ones take any.
        for managed in [true, false] {
            func isMine(_ object: some OwnedResource) -> Bool { (object.managedBy == Ownership.roomkeeper) == managed }
            for ring in rings where isMine(ring) { names.assign(.updateRing, ring) }
            for role in roles where isMine(role) { names.assign(.role, role) }
            for group in groups where isMine(group) { names.assign(.roomGroup, group) }
            for assignment in assignments where isMine(assignment) { names.assign(.roleAssignment, assignment) }
        }
        for object in [rings as [any OwnedResource], roles, groups, assignments].joined() where object.managedBy != Ownership.roomkeeper {
            handMade.insert(Self.kind(of: object))
        }

        var manifests: [(aliases: [String], manifest: Manifest)] = []
        for group in groups {
            manifests.append(
                (
                    aliases(.roomGroup, group.id),
                    .roomGroup(
                        RoomGroup(
                            metadata: metadata(.roomGroup, group), displayName: group.displayName, description: group.description,
                            rooms: group.roomIds.sorted().map { Located($0) }))
                ))
        }
        if roomListGroups {
            for list in live.directory?.roomLists ?? [] {
                let name = names.unique(.roomGroup, ManifestName.derived(from: list.displayName, fallback: "room-list"))
                manifests.append(
                    (
                        [name, list.email],
                        .roomGroup(
                            RoomGroup(
                                metadata: ManifestMetadata(name: Located(name)), displayName: list.displayName,
                                description: "The rooms of the room list \(list.email).", selector: RoomSelector(roomList: Located(list.email))))
                    ))
            }
        }
        for role in roles {
            let permissions = role.permissions.compactMap(Permission.init(rawValue:)).sorted { $0.slug < $1.slug }
            guard !permissions.isEmpty else {
                skipped.append(skip(.role, role.id, "has no permission Roomkeeper knows, and a Role manifest needs one"))
                continue
            }
            manifests.append(
                (
                    aliases(.role, role.id),
                    .role(
                        Role(
                            metadata: metadata(.role, role), displayName: role.displayName, description: role.description,
                            permissions: permissions.map { Located($0) }))
                ))
        }
        for assignment in assignments {
            guard let exported = roleAssignment(assignment) else {
                skipped.append(skip(.roleAssignment, assignment.id, "has no members the directory knows, and a RoleAssignment needs one"))
                continue
            }
            manifests.append((aliases(.roleAssignment, assignment.id), .roleAssignment(exported)))
        }
        for ring in rings {
            let rooms = live.rooms.map(\.resource).filter { $0.updateRingId == ring.id }.map(\.id).sorted()
            manifests.append(
                (
                    aliases(.updateRing, ring.id),
                    .updateRing(
                        UpdateRing(
                            metadata: metadata(.updateRing, ring), displayName: ring.displayName, description: ring.description,
                            order: Located(ring.order), rolloutDays: ring.rolloutDays, testDays: ring.testDays,
                            rooms: rooms.map { Located($0) }))
                ))
        }
        let roomsById = Dictionary(live.rooms.map { ($0.resource.id, $0.resource) }, uniquingKeysWith: { first, _ in first })
        var unitOfRoom: [String: String] = [:]
        for device in live.devices.map(\.resource).sorted(by: { $0.serialNumber < $1.serialNumber }) {
            guard let room = device.roomId, let type = device.deviceType.value else {
                skipped.append(skip(.device, device.serialNumber, "reports no room or an unknown device type"))
                continue
            }
            if type.isRoomUnit {
                if let first = unitOfRoom[room] {
                    skipped.append(skip(.device, device.serialNumber, "reports from \(room), whose main unit is \(first); a room has one"))
                    continue
                }
                unitOfRoom[room] = device.serialNumber
            }
            // A main unit carries its room's enrollment; one waiting in onboarding is exported as
            // enrolled, what an admin who declares it wants. Peripherals never enroll.
            let unenrolled = type.isRoomUnit && roomsById[room]?.enrollmentState == .known(.unenrolled)
            let name = names.unique(.device, ManifestName.derived(from: device.serialNumber, fallback: "device"))
            manifests.append(
                (
                    [name, device.id.lowercased(), device.serialNumber.lowercased()],
                    .device(
                        Device(
                            metadata: ManifestMetadata(name: Located(name)), room: Located(room), serialNumber: Located(device.serialNumber),
                            deviceType: type, manufacturer: device.manufacturer, model: device.model,
                            enrollment: unenrolled ? Located(DesiredEnrollment.unenrolled) : nil))
                ))
        }

        // Names compare case-insensitively: serial numbers and addresses are written in either case.
        let wanted = Set(select.map { $0.lowercased() })
        let chosen =
            select.isEmpty
            ? manifests
            : manifests.filter { entry in
                entry.aliases.contains { wanted.contains(ObjectKey(.manifest(entry.manifest.kind), $0).description.lowercased()) }
            }
        let sorted = chosen.map(\.manifest).sorted { ObjectKey($0) < ObjectKey($1) }
        return Result(manifests: sorted, skipped: skipped, handMadeKinds: handMade)
    }

    private func roleAssignment(_ assignment: PortalRoleAssignment) -> RoleAssignment? {
        let role: RoleReference =
            BuiltInRole(rawValue: assignment.roleId).map(RoleReference.builtIn)
            ?? .custom(name: names.name(.role, assignment.roleId) ?? assignment.roleId)
        let members: [AssignmentMember] = assignment.members.compactMap { member in
            switch member.kind {
            case .user: usersById[member.id].map { .user($0.userPrincipalName) }
            case .group: groupsById[member.id].map { .group($0.mail ?? $0.displayName) }
            }
        }
        guard !members.isEmpty else { return nil }
        return RoleAssignment(
            metadata: metadata(.roleAssignment, assignment), role: Located(role), displayName: assignment.displayName,
            description: assignment.description, emailNotifications: assignment.emailNotifications, members: members.map { Located($0) },
            scope: AssignmentScope(
                allRooms: assignment.scope.allRooms,
                roomGroups: assignment.scope.roomGroupIds.compactMap { names.name(.roomGroup, $0) }.sorted().map { Located($0) },
                rooms: assignment.scope.roomIds.sorted().map { Located($0) }))
    }

    private func metadata(_ kind: ManifestKind, _ object: some OwnedResource) -> ManifestMetadata {
        ManifestMetadata(name: Located(names.name(kind, object.id) ?? object.id), protected: object.protected == true)
    }

    private func aliases(_ kind: ManifestKind, _ id: String) -> [String] {
        [names.name(kind, id), id].compactMap { $0 }
    }

    private func skip(_ kind: ManifestKind, _ name: String, _ why: String) -> Finding {
        Finding(
            severity: .warning, target: ObjectReference(kind: .manifest(kind), name: name), message: "not exported: \(why)",
            remedy: "fix it in the portal, or declare it by hand")
    }

    private static func kind(of object: any OwnedResource) -> ManifestKind {
        switch object {
        case is PortalRoomGroup: .roomGroup
        case is PortalRole: .role
        case is PortalRoleAssignment: .roleAssignment
        default: .updateRing
        }
    }
}

/// The manifest names export gives portal objects: a managed object's own name, else one
/// derived from its display name, unique per kind.
private struct NameBook {
    private var byId: [ManifestKind: [String: String]] = [:]
    private var taken: [ManifestKind: Set<String>] = [:]

    mutating func assign(_ kind: ManifestKind, _ object: some OwnedResource & Named) {
        let wanted = object.managedBy == Ownership.roomkeeper ? object.manifestName : nil
        let name = unique(kind, wanted ?? ManifestName.derived(from: object.displayName, fallback: kind.collectionName.lowercased()))
        byId[kind, default: [:]][object.id] = name
    }

    func name(_ kind: ManifestKind, _ id: String) -> String? { byId[kind]?[id] }

    /// `base`, or `base-2`, `base-3`, ... when taken.
    mutating func unique(_ kind: ManifestKind, _ base: String) -> String {
        var candidate = base
        var number = 1
        while taken[kind, default: []].contains(candidate) {
            number += 1
            let suffix = "-\(number)"
            candidate = String(base.prefix(63 - suffix.count)).trimmingCharacters(in: CharacterSet(charactersIn: "-")) + suffix
        }
        taken[kind, default: []].insert(candidate)
        return candidate
    }
}

/// Portal objects with a display name.
protocol Named {
    var displayName: String { get }
}

extension PortalRoomGroup: Named {}
extension PortalRole: Named {}
extension PortalRoleAssignment: Named {}
extension PortalUpdateRing: Named {}
