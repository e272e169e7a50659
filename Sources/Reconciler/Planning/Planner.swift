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

    var actions: [(order: Int, action: PlannedAction)] = []
    /// Portal ids by kind and manifest name: of matched, adopted and to-be-created objects.
    var unmanaged: [ObjectReference] = []
    let context: Context
    /// Resolves references and collects findings; a reference type so diff closures can use it.
    let resolver: Resolver

    public static func plan(
        declared: ManifestSet, live: LiveState, options: PlanOptions = PlanOptions(), source: String,
        sourceRevision: String? = nil, portal: String, now: Date = Date(), id: String = UUID().uuidString.lowercased()
    ) -> Plan {
        let context = Context(live: live, declared: declared)
        // The portal's objects, the devices and the reach of remote access are planned at once,
        // each part with its own resolver; their findings are kept in the order one pass gives.
        let work: [@Sendable () -> Part] = [
            { Planner(declared: declared, live: live, options: options, context: context).objectsPart() },
            { Planner(declared: declared, live: live, options: options, context: context).devicesPart(now: now) },
            { Planner(declared: declared, live: live, options: options, context: context).remoteAccessPart() },
        ]
        let parts = inParallel(work)
        var planner = Planner(declared: declared, live: live, options: options, context: context)
        planner.actions = parts.flatMap(\.actions)
        planner.unmanaged = parts.flatMap(\.unmanaged)
        planner.resolver.findings = parts.flatMap(\.findings)
        var plan = planner.finish(source: source, portal: portal, now: now)
        plan.id = id
        plan.sourceRevision = sourceRevision
        return plan
    }

    /// What one part of the planning found.
    struct Part: Sendable {
        var actions: [(order: Int, action: PlannedAction)]
        var unmanaged: [ObjectReference]
        var findings: [Finding]
    }

    /// The portal's objects, kind by kind.
    private consuming func objectsPart() -> Part {
        // The passes that give objects their ids come first; the ids are inputs to those after.
        let groupIds = planRoomGroups()
        let roleIds = planRoles()
        let ringIds = planUpdateRings()
        planRoleAssignments(roleIds: roleIds, groupIds: groupIds)
        planRingMembership(ringIds: ringIds)
        return part
    }

    /// The declared devices: enrollment, and the main units checked against Intune and Autopilot.
    private consuming func devicesPart(now: Date) -> Part {
        planDevices()
        checkDeviceRegistry(now: now)
        return part
    }

    /// The roles that grant remote access, and the rooms their assignments cannot reach.
    private consuming func remoteAccessPart() -> Part {
        warnAboutRemoteAccess()
        return part
    }

    private var part: Part { Part(actions: actions, unmanaged: unmanaged, findings: resolver.findings) }

    init(declared: ManifestSet, live: LiveState, options: PlanOptions, context: Context? = nil) {
        self.declared = declared
        self.live = live
        self.options = options
        self.context = context ?? Context(live: live, declared: declared)
        self.resolver = Resolver(context: self.context, declared: declared)
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
                case .custom(let role): roleIds[role] ?? DerivedPortalId.newId(.role, role)
                }
            let owner = ObjectReference(kind: .manifest(.roleAssignment), name: name)
            let scope =
                switch assignment.scope.reach {
                case .allRooms: PortalScope(allRooms: true)
                case .listed(let roomGroups, let rooms):
                    PortalScope(
                        allRooms: false, roomGroupIds: roomGroups.map { groupIds[$0.value] ?? DerivedPortalId.newId(.roomGroup, $0.value) }.sorted(),
                        roomIds: resolver.rooms(rooms, owner: owner).sorted())
                }
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
                let id = DerivedPortalId.newId(kind, manifest.value)
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
    func ignoredFields(_ kind: ManifestKind) -> [String: Set<String>] {
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

    func reference(_ kind: ManifestKind, _ name: String) -> ObjectReference {
        ObjectReference(kind: .manifest(kind), name: name)
    }

}
