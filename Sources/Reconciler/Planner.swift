import Foundation
import Manifests
import PortalAPI
import PortalModel

/// Options a person gives a plan.
public struct PlanOptions: Sendable {
    /// Lets a plan delete more than the repository's deletion guard allows.
    public var allowMassDelete: Bool
    /// Limits the plan to these objects (`RoomGroup/london-floor-3`) and what they depend on.
    public var targets: Set<ObjectKey>

    public init(allowMassDelete: Bool = false, targets: Set<ObjectKey> = []) {
        self.allowMassDelete = allowMassDelete
        self.targets = targets
    }
}

/// Computes a plan from what git declares and what the portal holds. Pure: no I/O, no clock
/// beyond the `now` it is given; linear in the number of objects.
///
/// Objects are matched by Roomkeeper's ownership marker (`managedBy` + `manifestName`); a
/// hand-made object is taken over only where the policy says `adopt`, and deleted only where it
/// says `prune`. Built-in roles, default rings and the default room group are never touched.
/// The portal id each declared object of one kind has or will have, by manifest name.
typealias PortalIds = [String: String]

public struct Planner {
    let declared: ManifestSet
    let live: LiveState
    let options: PlanOptions

    private var actions: [(order: Int, action: PlannedAction)] = []
    /// Portal ids by kind and manifest name: of matched, adopted and to-be-created objects.
    private var unmanaged: [ObjectReference] = []
    private let context: Context
    /// Resolves references and collects findings; a reference type so diff closures can use it.
    private let resolver: Resolver

    public static func plan(
        declared: ManifestSet, live: LiveState, options: PlanOptions = PlanOptions(), source: String,
        sourceRevision: String? = nil, portal: String, now: Date = Date(), id: String = UUID().uuidString.lowercased()
    ) -> Plan {
        var planner = Planner(declared: declared, live: live, options: options)
        // The passes that give objects their ids come first; the ids are inputs to those after.
        let groupIds = planner.planRoomGroups()
        let roleIds = planner.planRoles()
        let ringIds = planner.planUpdateRings()
        planner.planRoleAssignments(roleIds: roleIds, groupIds: groupIds)
        planner.planRingMembership(ringIds: ringIds)
        planner.planDevices()
        planner.checkDeviceRegistry(now: now)
        planner.warnAboutRemoteAccess()
        var plan = planner.finish(source: source, portal: portal, now: now)
        plan.id = id
        plan.sourceRevision = sourceRevision
        return plan
    }

    private init(declared: ManifestSet, live: LiveState, options: PlanOptions) {
        self.declared = declared
        self.live = live
        self.options = options
        self.context = Context(live: live, locationParts: Set(declared.roomGroups.compactMap(\.selector).flatMap(\.location.keys)))
        self.resolver = Resolver(context: context, declared: declared)
    }

    // MARK: - Kinds

    private mutating func planRoomGroups() -> PortalIds {
        let ignored = ignoredFields(.roomGroup)
        let resolver = resolver
        return reconcile(
            kind: .roomGroup, declared: declared.roomGroups,
            live: live.roomGroups.filter { $0.resource.id != PortalRoomGroup.defaultGroupId },
            displayName: { $0.displayName }, liveDisplayName: { $0.displayName }, stage: .roomGroups, payload: ActionPayload.roomGroup
        ) { group, current, id in
            let name = group.metadata.name.value
            var diff = FieldDiff(
                desired: PortalRoomGroup(
                    id: id, displayName: group.displayName, description: group.description,
                    roomIds: resolver.rooms(of: group).sorted(), managedBy: Ownership.roomkeeper, manifestName: name),
                current: current, ignored: ignored[name] ?? [])
            diff.value("displayName", \.displayName) { shown($0) }
            diff.value("description", \.description) { shown($0) }
            diff.set("rooms", \.roomIds) { $0 }
            return diff
        }
    }

    private mutating func planRoles() -> PortalIds {
        let ignored = ignoredFields(.role)
        return reconcile(
            kind: .role, declared: declared.roles, live: live.roles.filter { !$0.resource.isBuiltIn },
            displayName: { $0.displayName }, liveDisplayName: { $0.displayName }, stage: .roles, payload: ActionPayload.role
        ) { role, current, id in
            let name = role.metadata.name.value
            var diff = FieldDiff(
                desired: PortalRole(
                    id: id, displayName: role.displayName, description: role.description,
                    permissions: Set(role.permissions.map(\.value.slug)).sorted(), managedBy: Ownership.roomkeeper, manifestName: name),
                current: current, ignored: ignored[name] ?? [])
            diff.value("displayName", \.displayName) { shown($0) }
            diff.value("description", \.description) { shown($0) }
            diff.set("permissions", \.permissions) { $0 }
            return diff
        }
    }

    private mutating func planUpdateRings() -> PortalIds {
        let ignored = ignoredFields(.updateRing)
        return reconcile(
            kind: .updateRing, declared: declared.updateRings,
            live: live.updateRings.filter { !$0.resource.isDefault }, displayName: { $0.displayName },
            liveDisplayName: { $0.displayName }, stage: .updateRings, payload: ActionPayload.updateRing
        ) { ring, current, id in
            let name = ring.metadata.name.value
            var diff = FieldDiff(
                desired: PortalUpdateRing(
                    id: id, displayName: ring.displayName, description: ring.description, order: ring.order.value,
                    rolloutDays: ring.rolloutDays, testDays: ring.testDays, managedBy: Ownership.roomkeeper, manifestName: name),
                current: current, ignored: ignored[name] ?? [])
            diff.value("displayName", \.displayName) { shown($0) }
            diff.value("description", \.description) { shown($0) }
            diff.value("order", \.order) { shown($0) }
            diff.value("rolloutDays", \.rolloutDays) { shown($0) }
            diff.value("testDays", \.testDays) { shown($0) }
            return diff
        }
    }

    /// Takes the ids the role and room group passes gave (existing, adopted or new), so that an
    /// assignment names what it refers to by the id it has or will have.
    private mutating func planRoleAssignments(roleIds: PortalIds, groupIds: PortalIds) {
        let ignored = ignoredFields(.roleAssignment)
        let resolver = resolver
        let context = context
        let roleNames = Dictionary(roleIds.map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let groupNames = Dictionary(groupIds.map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        _ = reconcile(
            kind: .roleAssignment, declared: declared.roleAssignments, live: live.roleAssignments,
            displayName: { $0.role.value.text + "/" + $0.displayName },
            liveDisplayName: { context.roleName($0.roleId) + "/" + $0.displayName }, stage: .roleAssignments, payload: ActionPayload.roleAssignment
        ) { assignment, current, id in
            let name = assignment.metadata.name.value
            let roleId =
                switch assignment.role.value {
                case .builtIn(let role): role.rawValue
                case .custom(let role): roleIds[role] ?? PortalIdentity.newId(.role, role)
                }
            let owner = ObjectReference(kind: .manifest(.roleAssignment), name: name)
            let scope = PortalScope(
                allRooms: assignment.scope.allRooms,
                roomGroupIds: assignment.scope.roomGroups.map { groupIds[$0.value] ?? PortalIdentity.newId(.roomGroup, $0.value) }.sorted(),
                roomIds: resolver.rooms(assignment.scope.rooms, owner: owner).sorted())
            var diff = FieldDiff(
                desired: PortalRoleAssignment(
                    id: id, roleId: roleId, displayName: assignment.displayName, description: assignment.description,
                    emailNotifications: assignment.emailNotifications, members: resolver.members(of: assignment), scope: scope,
                    managedBy: Ownership.roomkeeper, manifestName: name),
                current: current, ignored: ignored[name] ?? [])
            diff.value("role", \.roleId) { roleNames[$0] ?? context.roleName($0) }
            diff.value("displayName", \.displayName) { shown($0) }
            diff.value("description", \.description) { shown($0) }
            diff.value("emailNotifications", \.emailNotifications) { shown($0) }
            diff.set("members", \.members) { context.memberName($0) }
            diff.value("scope.allRooms", \.scope.allRooms) { shown($0) }
            diff.set("scope.roomGroups", \.scope.roomGroupIds) { groupNames[$0] ?? context.groupName($0) }
            diff.set("scope.rooms", \.scope.roomIds) { $0 }
            return diff
        }
        // Each assignment waits for the role and room groups it refers to, where those are created now.
        let planned = Set(actions.map(\.action.id))
        var dependencies: [String: [ActionID]] = [:]
        for assignment in declared.roleAssignments {
            var needs: [ActionID] = []
            if case .custom(let role) = assignment.role.value { needs.append(ActionID(.create, reference(.role, role))) }
            needs += assignment.scope.roomGroups.map { ActionID(.create, reference(.roomGroup, $0.value)) }
            dependencies[assignment.metadata.name.value] = needs.filter(planned.contains)
        }
        for index in actions.indices where actions[index].action.target.kind == .manifest(.roleAssignment) {
            actions[index].action.dependsOn = dependencies[actions[index].action.target.name] ?? []
        }
    }

    /// Rooms move to the ring that declares them; rooms left in a managed ring that no longer
    /// lists them go back to General.
    private mutating func planRingMembership(ringIds: PortalIds) {
        var desired: [String: String] = [:]
        for ring in declared.updateRings {
            let owner = reference(.updateRing, ring.metadata.name.value)
            var rooms = resolver.rooms(ring.rooms, owner: owner)
            for group in ring.roomGroups { rooms.formUnion(resolver.rooms(ofGroupNamed: group.value)) }
            for room in rooms { desired[room] = ring.metadata.name.value }
        }
        warnAboutRoomsWithoutPro(desired)
        let declaredRings = Set(declared.updateRings.map(\.metadata.name.value))
        for room in live.rooms {
            let current = context.ringName(room.resource.updateRingId)
            let target: String
            if let ring = desired[room.resource.id] {
                target = ring
            } else if declaredRings.contains(current) {
                target = DefaultUpdateRing.general.rawValue
            } else {
                continue
            }
            guard target != current else { continue }
            let ringReference = ObjectReference(kind: .manifest(.updateRing), name: target)
            let ringId = ringIds[target] ?? target
            var action = PlannedAction(
                type: .moveToRing, target: ObjectReference(kind: .room, name: room.resource.id, portalId: room.resource.id),
                reason: desired[room.resource.id] == nil ? "no longer listed by update ring '\(current)'" : "listed by update ring '\(target)'",
                changes: [FieldChange(field: "updateRing", before: current, after: target)], fingerprint: room.etag,
                payload: .updateRingId(ringId))
            if !context.ringExists(target) { action.dependsOn = [ActionID(.create, ringReference)] }
            actions.append((PlanStage.ringMoves.order, action))
        }
    }

    /// Rings "orchestrate updates" only for rooms with a Teams Rooms Pro licence; the others
    /// update in the device's nightly window whatever ring they are in
    /// (learn.microsoft.com/microsoftteams/rooms/update-management). One warning per ring.
    private mutating func warnAboutRoomsWithoutPro(_ ringOfRoom: [String: String]) {
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
    private mutating func warnAboutSharedDeviceLicences(_ directory: TenantDirectory) {
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
    private mutating func warnAboutRemoteAccess() {
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
        for assignment in declared.roleAssignments {
            guard case .custom(let role) = assignment.role.value, names.contains(role) else { continue }
            // Only rooms whose main unit reports its system can be judged; all rooms means all of those.
            var rooms = Set(assignment.scope.rooms.map(\.value.lowercasedIfNeeded))
            for group in assignment.scope.roomGroups { rooms.formUnion(resolver.rooms(ofGroupNamed: group.value)) }
            let unreachable = (assignment.scope.allRooms ? Set(operatingSystems.keys) : rooms).compactMap { room in
                operatingSystems[room].flatMap { $0.hasPrefix("Windows 11") ? nil : "\(room) (\($0))" }
            }.sorted()
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
    private mutating func noteCloudLimits() {
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

    /// Devices are matched by manufacturer and serial number. A room's main unit carries the
    /// room's enrollment, which apply changes; peripherals are checked for presence only.
    /// With Intune's and Autopilot's devices read, checks the declared main units against them.
    private mutating func checkDeviceRegistry(now: Date) {
        noteCloudLimits()
        guard let directory = live.directory else { return }
        warnAboutSharedDeviceLicences(directory)
        guard let registry = directory.devices else {
            if declared.devices.contains(where: \.isRoomUnit) {
                resolver.findings.append(
                    Finding(
                        .devicesNotObservable, severity: .info, target: ObjectReference(kind: .manifest(.device), name: "*"),
                        message: "Intune and Windows Autopilot could not be read, so the declared main units were not checked against them",
                        remedy: "grant the app DeviceManagementManagedDevices.Read.All and DeviceManagementServiceConfig.Read.All, with admin consent"
                    ))
            }
            return
        }
        let wanted = declared.policy.autopilotGroupTag?.value
        let check = DeviceRegistryCheck(
            registry: registry, roomAccounts: Set(directory.rooms.map(\.email)),
            grace: TimeInterval(declared.policy.deviceGraceHours) * 3600, now: now, wantedGroupTag: wanted)
        let (findings, tagChanges) = check.check(declared.devices)
        resolver.findings += findings
        for change in tagChanges {
            guard let wanted else { continue }
            actions.append(
                (
                    PlanStage.devices.order,
                    PlannedAction(
                        type: .setGroupTag,
                        target: ObjectReference(kind: .manifest(.device), name: change.device.metadata.name.value, portalId: change.registration.id),
                        reason: "roomkeeper.yaml asks for the Autopilot group tag \(wanted)",
                        changes: [FieldChange(field: "groupTag", before: change.registration.groupTag ?? "", after: wanted)],
                        payload: .autopilotGroupTag(wanted))
                ))
        }
    }

    private mutating func planDevices() {
        var seen: Set<String> = []
        for device in declared.devices {
            let target = reference(.device, device.metadata.name.value)
            // Formatted only for a finding: most devices have none.
            var location: SourceLocation? { device.metadata.name.location }
            let declaredRoom = device.room.value.lowercasedIfNeeded
            let candidates = context.devices.matches(device)
            guard candidates.count <= 1 else {
                seen.formUnion(candidates.map(\.resource.id))
                resolver.findings.append(
                    Finding(
                        .deviceAmbiguous, severity: .warning, target: target,
                        message: "\(candidates.count) devices in the portal have serial number \(device.serialNumber.value): "
                            + candidates.map {
                                "\($0.resource.manufacturer ?? "unknown maker") \($0.resource.model ?? "") in \($0.resource.roomId ?? "no room")"
                            }
                            .joined(separator: "; "),
                        remedy: "give spec.manufacturer so Roomkeeper can tell them apart; until then it matches neither", location: location))
                continue
            }
            guard let current = candidates.first else {
                resolver.findings.append(
                    device.deviceType.enrollsItself
                        ? Finding(
                            .deviceMissing, severity: .warning, target: target,
                            message: "missing: no \(device.deviceType.rawValue) with serial number \(device.serialNumber.value) has checked in",
                            remedy: EnrollmentWords.signIn(device.deviceType, room: device.room.value),
                            location: location)
                        : Finding(
                            .peripheralMissing, severity: .warning, target: target,
                            message:
                                "missing: the room's main unit does not report a \(device.deviceType.rawValue) with serial number \(device.serialNumber.value)",
                            remedy: "connect it to \(declaredRoom)'s main unit (peripherals carry no agent; the main unit reports them)",
                            location: location))
                continue
            }
            seen.insert(current.resource.id)
            if current.resource.roomId != declaredRoom {
                resolver.findings.append(
                    Finding(
                        .deviceInWrongRoom,
                        severity: .warning, target: target,
                        message: "reports from room \(current.resource.roomId ?? "(none)"), not \(declaredRoom)",
                        remedy: "move the device to \(declaredRoom), or correct spec.room in the manifest", location: location))
                continue
            }
            // A room the portal shows no agent for has nothing to enroll or unenroll yet.
            guard let wanted = device.roomEnrollment, let room = context.room(declaredRoom),
                let state = room.resource.enrollmentState?.rawValue, state != wanted.rawValue
            else { continue }
            var roomTarget = target
            roomTarget.portalId = room.resource.id
            actions.append(
                (
                    PlanStage.devices.order,
                    PlannedAction(
                        type: wanted == .enrolled ? .enroll : .unenroll, target: roomTarget,
                        reason: "room \(room.resource.id) is \(state); the manifest asks for \(wanted.rawValue)",
                        changes: [FieldChange(field: "enrollment", before: state, after: wanted.rawValue)], fingerprint: room.etag)
                ))
        }
        for device in live.devices where !seen.contains(device.resource.id) {
            unmanaged.append(ObjectReference(kind: .manifest(.device), name: device.resource.serialNumber, portalId: device.resource.id))
        }
    }

    // MARK: - Matching and pruning

    /// Matches declared objects of a kind to live ones and plans creates, updates, adoptions and
    /// deletes. `diff` compares a declared object with the live one (nil: it does not exist yet)
    /// under the portal id it has or will have, and settles the object apply sends. Returns those
    /// ids by manifest name: the input of the passes that refer to this kind.
    private mutating func reconcile<Declared: DeclaredObject, Live: OwnedResource>(
        kind: ManifestKind, declared: [Declared], live: [Tagged<Live>],
        displayName: (Declared) -> String, liveDisplayName: (Live) -> String, stage: PlanStage, payload: (Live) -> ActionPayload,
        diff: (Declared, Live?, String) -> FieldDiff<Live>
    ) -> PortalIds {
        var ids: PortalIds = [:]
        var managed: [String: Tagged<Live>] = [:]
        var handMade: [String: Tagged<Live>] = [:]
        for object in live {
            if object.resource.managedBy == Ownership.roomkeeper, let manifest = object.resource.manifestName {
                managed[manifest] = object
            } else {
                handMade[liveDisplayName(object.resource).lowercased()] = object
            }
        }
        var adopted: Set<String> = []
        for item in declared {
            func settle(_ current: Live?, id: String) -> FieldDiff<Live> {
                var fields = diff(item, current, id)
                fields.protection(item.metadata.protected)
                return fields
            }
            let manifest = item.metadata.name
            var target = reference(kind, manifest.value)
            var location: SourceLocation? { manifest.location }
            if let (current, previousName) = Self.claim(managed: &managed, item.metadata) {
                target.portalId = current.resource.id
                ids[manifest.value] = current.resource.id
                let fields = settle(current.resource, id: current.resource.id)
                var changes = fields.changes
                var reason = "the portal differs from git"
                if let previousName {
                    changes.insert(FieldChange(field: "manifestName", before: previousName, after: manifest.value), at: 0)
                    reason = "renamed in git from '\(previousName)'; updated in place"
                }
                if !changes.isEmpty {
                    actions.append(
                        (
                            stage.order,
                            PlannedAction(
                                type: .update, target: target, reason: reason, changes: changes, fingerprint: current.etag,
                                payload: payload(fields.desired))
                        ))
                }
            } else if let existing = handMade[displayName(item).lowercased()] {
                target.portalId = existing.resource.id
                if declaredPolicy.adopt.contains(kind) {
                    adopted.insert(existing.resource.id)
                    ids[manifest.value] = existing.resource.id
                    let fields = settle(existing.resource, id: existing.resource.id)
                    let changes =
                        [FieldChange(field: "managedBy", before: existing.resource.managedBy, after: Ownership.roomkeeper)]
                        + fields.changes
                    actions.append(
                        (
                            stage.order,
                            PlannedAction(
                                type: .update, target: target, reason: "adopting the hand-made \(kind.rawValue) of the same name",
                                changes: changes, fingerprint: existing.etag, payload: payload(fields.desired))
                        ))
                } else {
                    resolver.findings.append(
                        Finding(
                            .handMadeConflict,
                            severity: .error, target: target,
                            message: "a hand-made \(kind.rawValue) named '\(displayName(item))' already exists in the portal",
                            remedy: "let Roomkeeper adopt it (adopt: {\(kind.collectionName): true} in roomkeeper.yaml), or rename one of them",
                            location: location))
                }
            } else {
                let id = PortalIdentity.newId(kind, manifest.value)
                ids[manifest.value] = id
                let fields = settle(nil, id: id)
                actions.append(
                    (
                        stage.order,
                        PlannedAction(
                            type: .create, target: target, reason: "declared in git, not in the portal", changes: fields.changes,
                            payload: payload(fields.desired))
                    ))
            }
        }
        let absent = Set(declaredPolicy.absent[kind]?.map(\.value) ?? [])
        for (manifest, object) in managed.sorted(by: { $0.key < $1.key }) {
            let target = ObjectReference(kind: .manifest(kind), name: manifest, portalId: object.resource.id)
            if absent.contains(manifest) {
                actions.append(
                    (
                        stage.deletionOrder,
                        PlannedAction(
                            type: .delete, target: target, reason: "declared absent in roomkeeper.yaml", fingerprint: object.etag)
                    ))
            } else if object.resource.protected == true {
                resolver.findings.append(
                    Finding(
                        .protectedKept,
                        severity: .warning, target: target, message: "protected: its manifest is gone, so the object stays in the portal",
                        remedy: "to delete it, list it under absent: {\(kind.collectionName): [\(manifest)]} in roomkeeper.yaml; "
                            + "to keep managing it, restore its manifest"))
            } else if declaredPolicy.prune.contains(kind) {
                actions.append(
                    (
                        stage.deletionOrder,
                        PlannedAction(
                            type: .delete, target: target, reason: "created by Roomkeeper and no longer declared", fingerprint: object.etag)
                    ))
            } else {
                resolver.findings.append(
                    Finding(
                        .pruneOff,
                        severity: .info, target: target, message: "no longer declared; kept because pruning is off for \(kind.collectionName)",
                        remedy: "delete it in the portal, or set prune: {\(kind.collectionName): true} in roomkeeper.yaml"))
            }
        }
        for object in handMade.values where !adopted.contains(object.resource.id) {
            unmanaged.append(ObjectReference(kind: .manifest(kind), name: liveDisplayName(object.resource), portalId: object.resource.id))
        }
        return ids
    }

    /// The managed object a manifest declares: by its name, else by a name it had before (a
    /// rename, returned as the second value).
    private static func claim<Live>(
        managed: inout [String: Tagged<Live>], _ metadata: ManifestMetadata
    ) -> (Tagged<Live>, previousName: String?)? {
        if let current = managed.removeValue(forKey: metadata.name.value) { return (current, nil) }
        for previous in metadata.previousNames {
            if let current = managed.removeValue(forKey: previous.value) { return (current, previous.value) }
        }
        return nil
    }

    private var declaredPolicy: RepositoryPolicy { declared.policy }

    // MARK: - Policy

    /// Ignore rules by manifest name; `nil` name lists mean every object of the kind.
    private func ignoredFields(_ kind: ManifestKind) -> [String: Set<String>] {
        let rules = declared.policy.ignore.filter { $0.kind == kind }
        guard !rules.isEmpty else { return [:] }
        var fields: [String: Set<String>] = [:]
        for manifest in declared.all where manifest.kind == kind {
            let name = manifest.metadata.name.value
            for rule in rules where rule.names.isEmpty || rule.names.contains(name) {
                fields[name, default: []].formUnion(rule.fields)
            }
        }
        return fields
    }

    private func reference(_ kind: ManifestKind, _ name: String) -> ObjectReference {
        ObjectReference(kind: .manifest(kind), name: name)
    }

    // MARK: - Finishing

    private func finish(source: String, portal: String, now: Date) -> Plan {
        var ordered = actions.sorted { ($0.order, $0.action.target, $0.action.type.rawValue) < ($1.order, $1.action.target, $1.action.type.rawValue) }
            .map { order, action in
                var action = action
                action.stage = order
                return action
            }
        if !options.targets.isEmpty {
            var keep = Set(ordered.filter { options.targets.contains($0.target.key) }.map(\.id))
            for action in ordered.reversed() where keep.contains(action.id) { keep.formUnion(action.dependsOn) }
            ordered = ordered.filter { keep.contains($0.id) }
        }
        return Plan(
            source: source, portal: portal, createdAt: now, actions: ordered, findings: resolver.findings,
            unmanaged: unmanaged.sorted(), blockers: guards(ordered))
    }

    /// What refuses `actions` against this live state: the deletion guard (unless mass deletion
    /// is allowed) and the lock-out guards.
    private func guards(_ actions: [PlannedAction]) -> [PlanBlocker] {
        (options.allowMassDelete ? [] : deletionGuard(actions)) + LockOutGuard.blockers(live: live, actions: actions)
    }

    /// The guards' verdict on `actions` (a saved plan's, which carries its own verdict and so is
    /// never trusted for one), judged afresh against the declared policy and the live state.
    public static func blockers(
        for actions: [PlannedAction], declared: ManifestSet, live: LiveState, options: PlanOptions = PlanOptions()
    ) -> [PlanBlocker] {
        Planner(declared: declared, live: live, options: options).guards(actions)
    }

    /// Refuses more deletions than the policy's guard allows, in all or as a share of a kind.
    private func deletionGuard(_ actions: [PlannedAction]) -> [PlanBlocker] {
        let deletes = actions.filter { $0.type == .delete }
        guard !deletes.isEmpty else { return [] }
        let guardPolicy = declared.policy.deletionGuard
        var blockers: [PlanBlocker] = []
        if deletes.count > guardPolicy.maximumDeletes {
            blockers.append(.deletionGuard(deletes: deletes.count, limit: guardPolicy.maximumDeletes))
        }
        for kind in ManifestKind.allCases {
            let count = deletes.filter { $0.target.kind == .manifest(kind) }.count
            let managed = context.managedCount(kind)
            guard count > 0, managed > 0, count * 100 > guardPolicy.maximumDeletePercent * managed else { continue }
            blockers.append(.kindShare(kind: kind, deletes: count, managed: managed, limitPercent: guardPolicy.maximumDeletePercent))
        }
        return blockers
    }
}

/// Turns declared references (room addresses, selectors, members) into portal ids, and records
/// what it cannot resolve as findings instead of guessing.
private final class Resolver {
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
