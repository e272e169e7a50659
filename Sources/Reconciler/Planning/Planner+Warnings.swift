import Foundation
import Manifests
import PortalAPI
import PortalModel

// The planner's warnings about what the portal will not do as git says: rings without Pro
// licences, shared-device licences, remote access, what a cloud does not offer.

extension Planner {
    /// Rings "orchestrate updates" only for rooms with a Teams Rooms Pro licence; the others
    /// update in the device's nightly window whatever ring they are in
    /// (learn.microsoft.com/microsoftteams/rooms/update-management). One warning per ring.
    mutating func warnAboutRoomsWithoutPro(_ ringOfRoom: [String: String]) {
        var withoutPro: [String: [String]] = [:]
        for (room, ring) in ringOfRoom {
            guard let licence = context.room(room)?.resource.licence, licence.value?.includesRingManagement != true else { continue }
            withoutPro[ring, default: []].append("\(room) (\(licence))")
        }
        for (ring, rooms) in withoutPro.sorted(by: { $0.key < $1.key }) {
            let target = reference(.updateRing, ring)
            resolver.findings.append(
                Finding(
                    .ringWithoutProLicence, severity: .warning, target: target,
                    message: "\(rooms.count) room\(rooms.count == 1 ? "" : "s") without a Teams Rooms Pro licence: \(Self.listed(rooms.sorted()))",
                    remedy: "rings orchestrate updates only for Pro rooms; license them with Teams Rooms Pro, or leave them out of the ring",
                    location: declared.updateRings.first { $0.metadata.name.value == ring }?.metadata.name.location))
        }
    }

    /// Teams Shared Devices (`MCOCAP`) licenses Teams panels, phones and displays, not a Teams
    /// Rooms system (Microsoft's licensing reference): a room whose declared main unit is one
    /// and whose resource account holds only that licence is warned about.
    mutating func warnAboutSharedDeviceLicences(_ directory: TenantDirectory) {
        let shared = Set(directory.rooms.filter { $0.licence == .shared }.map(\.email))
        guard !shared.isEmpty else { return }
        for device in declared.devices where device.isRoomUnit {
            let room = device.room.value.lowercasedIfNeeded
            guard shared.contains(room) else { continue }
            resolver.findings.append(
                Finding(
                    .roomLicencedAsSharedDevice, severity: .warning, target: reference(.device, device.metadata.name.value),
                    message: "\(room) holds Microsoft Teams Shared Devices (MCOCAP), which licenses Teams panels and phones, "
                        + "not a Teams Rooms system like its \(device.deviceType.rawValue)",
                    remedy: "assign the room's resource account a Teams Rooms Pro or Basic licence",
                    location: device.metadata.name.location))
        }
    }

    /// Up to ten items, then how many more.
    static func listed(_ items: [String], limit: Int = 10) -> String {
        items.prefix(limit).joined(separator: ", ") + (items.count > limit ? " and \(items.count - limit) more" : "")
    }

    /// Remote access needs the tenant's opt-in (Settings > Remote Access) and reaches only
    /// Windows 11 Teams Rooms (learn.microsoft.com/microsoftteams/rooms/remotely-access-teams-rooms).
    /// Warns about roles that grant it while the tenant has it off, and lists the rooms an
    /// assignment of such a role cannot reach.
    mutating func warnAboutRemoteAccess() {
        let remoteRoles = declared.roles.filter { $0.permissions.contains { $0.value.isCustomRoleOnly } }
        guard !remoteRoles.isEmpty else { return }
        if let cloud = live.directory?.cloud, !cloud.remoteAccess {
            for role in remoteRoles {
                resolver.findings.append(
                    Finding(
                        .remoteAccessOff, severity: .warning, target: reference(.role, role.metadata.name.value),
                        message:
                            "grants Remote Access, which the \(cloud.name) cloud does not offer (not in GCC, GCC High or DoD): the permission does nothing",
                        remedy: "remove the remoteAccess permissions", location: role.metadata.name.location))
            }
        }
        if live.tenantSettings?.remoteAccessEnabled == false {
            for role in remoteRoles {
                resolver.findings.append(
                    Finding(
                        .remoteAccessOff, severity: .warning, target: reference(.role, role.metadata.name.value),
                        message: "grants Remote Access, which this tenant has not turned on: the permission does nothing yet",
                        remedy: "a Pro Manager turns it on in the portal under Settings > Remote Access, or remove the remoteAccess permissions",
                        location: role.metadata.name.location))
            }
        }
        let names = Set(remoteRoles.map(\.metadata.name.value))
        var operatingSystems: [String: String] = [:]
        for tagged in live.devices where tagged.resource.deviceType.value?.isRoomUnit == true {
            if let room = tagged.resource.roomId, let system = tagged.resource.operatingSystem { operatingSystems[room] = system }
        }
        // Only rooms whose main unit reports a system can be judged; with none that is not
        // Windows 11 there is nothing to say.
        let otherSystems = operatingSystems.filter { !$0.value.hasPrefix("Windows 11") }
        guard !otherSystems.isEmpty else { return }
        // The room groups are resolved again, apart: what they find is the room groups' pass's to report.
        let roomGroups = Resolver(context: context, declared: declared)
        var unreachableOfGroup: [String: Set<String>] = [:]
        func unreachableRooms(ofGroup name: String) -> Set<String> {
            if let known = unreachableOfGroup[name] { return known }
            let rooms = roomGroups.rooms(ofGroupNamed: name).filter { otherSystems[$0] != nil }
            unreachableOfGroup[name] = rooms
            return rooms
        }
        for assignment in declared.roleAssignments {
            guard case .custom(let role) = assignment.role.value, names.contains(role) else { continue }
            let rooms: Set<String>
            switch assignment.scope.reach {
            case .allRooms: rooms = Set(otherSystems.keys)
            case .listed(let groups, let listed):
                let named = Set(listed.lazy.map(\.value.lowercasedIfNeeded).filter { otherSystems[$0] != nil })
                rooms = groups.reduce(into: named) { $0.formUnion(unreachableRooms(ofGroup: $1.value)) }
            }
            let unreachable = rooms.map { "\($0) (\(otherSystems[$0] ?? ""))" }.sorted()
            guard !unreachable.isEmpty else { continue }
            resolver.findings.append(
                Finding(
                    .remoteAccessUnreachable, severity: .info, target: reference(.roleAssignment, assignment.metadata.name.value),
                    message:
                        "grants Remote Access to \(unreachable.count) room\(unreachable.count == 1 ? "" : "s") it cannot reach, not Windows 11: \(Self.listed(unreachable))",
                    remedy: "remote access works on Windows 11 Teams Rooms only; upgrade them, or expect no remote session there",
                    location: assignment.metadata.name.location))
        }
    }

    /// What the directory's cloud does not offer, said once: rooms that cannot be checked, and
    /// a portal that does not exist there.
    mutating func noteCloudLimits() {
        guard let cloud = live.directory?.cloud else { return }
        if !cloud.places {
            resolver.findings.append(
                Finding(
                    .roomsNotObservable, severity: .info, target: ObjectReference(kind: .room, name: "*"),
                    message: "the \(cloud.name) cloud has no Places (place-list: global service only), so room addresses, room lists "
                        + "and locations were not checked against the directory",
                    remedy: "nothing to do: the checks that need Places are left out, the others are made"))
        }
        if !cloud.proManagementPortal {
            resolver.findings.append(
                Finding(
                    .portalNotInCloud, severity: .warning, target: ObjectReference(kind: .room, name: "*"),
                    message: "the Teams Rooms Pro Management portal is offered in commercial, GCC and GCC High only "
                        + "(managed-meeting-rooms-portal); the \(cloud.name) cloud has none, so the portal-only manifests have no portal to go to",
                    remedy: "keep only what the directory and devices check, or manage these rooms from a tenant in a cloud that has the portal"))
        }
    }
}
