import Foundation
import Manifests
import PortalAPI
import PortalModel

/// Options a person gives a plan.
public struct PlanOptions: Sendable {
    /// Lets a plan delete more than the repository's deletion guard allows.
    public var allowMassDelete: Bool
    /// Limits the plan to these objects (`RoomGroup/london-floor-3`) and what they depend on.
    public var targets: Set<String>

    public init(allowMassDelete: Bool = false, targets: Set<String> = []) {
        self.allowMassDelete = allowMassDelete
        self.targets = targets
    }
}

/// Computes a plan from what git declares and what the portal holds. Pure: no I/O, no clock
/// beyond the `now` it is given; linear in the number of objects.
///
/// Objects are matched by Roomkeeper's ownership marker (`managedBy` + `manifestName`); a
/// hand-made object is taken over only where the policy says `adopt`, and deleted only where it
/// says `prune`. Built-in roles and default rings are never touched.
public struct Planner {
    let declared: ManifestSet
    let live: LiveState
    let options: PlanOptions

    private var actions: [(phase: Int, action: PlannedAction)] = []
    private var unmanaged: [ObjectReference] = []
    private let context: Context
    /// Resolves references and collects findings; a reference type so diff closures can use it.
    private let resolver: Resolver

    public static func plan(
        declared: ManifestSet, live: LiveState, options: PlanOptions = PlanOptions(), source: String, portal: String,
        now: Date = Date()
    ) -> Plan {
        var planner = Planner(declared: declared, live: live, options: options)
        planner.planRoomGroups()
        planner.planRoles()
        planner.planUpdateRings()
        planner.planRoleAssignments()
        planner.planRingMembership()
        planner.planDevices()
        return planner.finish(source: source, portal: portal, now: now)
    }

    private init(declared: ManifestSet, live: LiveState, options: PlanOptions) {
        self.declared = declared
        self.live = live
        self.options = options
        self.context = Context(live: live)
        self.resolver = Resolver(context: context, declared: declared)
    }

    // MARK: - Kinds

    private mutating func planRoomGroups() {
        let ignored = ignoredFields(.roomGroup)
        let resolver = resolver
        reconcile(
            kind: .roomGroup, declared: declared.roomGroups, name: \.metadata.name, live: live.roomGroups,
            displayName: { $0.displayName }, liveDisplayName: { $0.displayName }, phase: 1
        ) { group, current in
            let rooms = resolver.rooms(of: group)
            var changes: [FieldChange] = []
            Self.compare(&changes, "displayName", current?.displayName, group.displayName, ignored: ignored[group.metadata.name.value])
            Self.compare(&changes, "description", current?.description, group.description, ignored: ignored[group.metadata.name.value])
            Self.compareSet(&changes, "rooms", current.map { Set($0.roomIds) }, rooms, ignored: ignored[group.metadata.name.value])
            return changes
        }
    }

    private mutating func planRoles() {
        let ignored = ignoredFields(.role)
        reconcile(
            kind: .role, declared: declared.roles, name: \.metadata.name, live: live.roles.filter { !$0.resource.isBuiltIn },
            displayName: { $0.displayName }, liveDisplayName: { $0.displayName }, phase: 2
        ) { role, current in
            var changes: [FieldChange] = []
            let skip = ignored[role.metadata.name.value]
            Self.compare(&changes, "displayName", current?.displayName, role.displayName, ignored: skip)
            Self.compare(&changes, "description", current?.description, role.description, ignored: skip)
            Self.compareSet(&changes, "permissions", current.map { Set($0.permissions) }, Set(role.permissions.map(\.value.slug)), ignored: skip)
            return changes
        }
    }

    private mutating func planUpdateRings() {
        let ignored = ignoredFields(.updateRing)
        reconcile(
            kind: .updateRing, declared: declared.updateRings, name: \.metadata.name,
            live: live.updateRings.filter { !$0.resource.isDefault }, displayName: { $0.displayName },
            liveDisplayName: { $0.displayName }, phase: 0
        ) { ring, current in
            var changes: [FieldChange] = []
            let skip = ignored[ring.metadata.name.value]
            Self.compare(&changes, "displayName", current?.displayName, ring.displayName, ignored: skip)
            Self.compare(&changes, "description", current?.description, ring.description, ignored: skip)
            Self.compare(&changes, "order", current.map { String($0.order) }, String(ring.order.value), ignored: skip)
            Self.compare(&changes, "rolloutDays", current.map { String($0.rolloutDays) }, String(ring.rolloutDays), ignored: skip)
            Self.compare(&changes, "testDays", current.map { String($0.testDays) }, String(ring.testDays), ignored: skip)
            Self.compare(&changes, "deferralDays", current.map { String($0.deferralDays) }, String(ring.deferralDays), ignored: skip)
            return changes
        }
    }

    private mutating func planRoleAssignments() {
        let ignored = ignoredFields(.roleAssignment)
        let resolver = resolver
        let context = context
        reconcile(
            kind: .roleAssignment, declared: declared.roleAssignments, name: \.metadata.name, live: live.roleAssignments,
            displayName: { $0.role.value.text + "/" + $0.displayName },
            liveDisplayName: { context.roleName($0.roleId) + "/" + $0.displayName }, phase: 3
        ) { assignment, current in
            var changes: [FieldChange] = []
            let skip = ignored[assignment.metadata.name.value]
            Self.compare(&changes, "role", current.map { context.roleName($0.roleId) }, assignment.role.value.text, ignored: skip)
            Self.compare(&changes, "displayName", current?.displayName, assignment.displayName, ignored: skip)
            Self.compare(&changes, "description", current?.description, assignment.description, ignored: skip)
            Self.compare(
                &changes, "emailNotifications", current.map { String($0.emailNotifications) }, String(assignment.emailNotifications),
                ignored: skip)
            let members = resolver.members(of: assignment)
            Self.compareSet(&changes, "members", current.map { Set($0.members.map(context.memberName)) }, members, ignored: skip)
            Self.compare(&changes, "scope.allRooms", current.map { String($0.scope.allRooms) }, String(assignment.scope.allRooms), ignored: skip)
            Self.compareSet(
                &changes, "scope.roomGroups", current.map { Set($0.scope.roomGroupIds.map(context.groupName)) },
                Set(assignment.scope.roomGroups.map(\.value)), ignored: skip)
            Self.compareSet(
                &changes, "scope.rooms", current.map { Set($0.scope.roomIds) },
                resolver.rooms(assignment.scope.rooms, owner: ObjectReference(kind: ManifestKind.roleAssignment.rawValue, name: assignment.metadata.name.value)),
                ignored: skip)
            return changes
        }
        for assignment in declared.roleAssignments {
            guard case .custom(let role) = assignment.role.value else { continue }
            let dependency = "create \(ObjectReference(kind: ManifestKind.role.rawValue, name: role))"
            let groups = assignment.scope.roomGroups.map { "create \(ObjectReference(kind: ManifestKind.roomGroup.rawValue, name: $0.value))" }
            addDependencies(to: reference(.roleAssignment, assignment.metadata.name.value), on: [dependency] + groups)
        }
    }

    /// Rooms move to the ring that declares them; rooms left in a managed ring that no longer
    /// lists them go back to General.
    private mutating func planRingMembership() {
        var desired: [String: String] = [:]
        for ring in declared.updateRings {
            let owner = reference(.updateRing, ring.metadata.name.value)
            var rooms = resolver.rooms(ring.rooms, owner: owner)
            for group in ring.roomGroups {
                if let declaredGroup = declared.roomGroups.first(where: { $0.metadata.name.value == group.value }) {
                    rooms.formUnion(resolver.rooms(of: declaredGroup))
                }
            }
            for room in rooms { desired[room] = ring.metadata.name.value }
        }
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
            let ringReference = ObjectReference(kind: ManifestKind.updateRing.rawValue, name: target)
            var action = PlannedAction(
                type: .moveToRing, target: ObjectReference(kind: "Room", name: room.resource.id, portalId: room.resource.id),
                reason: desired[room.resource.id] == nil ? "no longer listed by update ring '\(current)'" : "listed by update ring '\(target)'",
                changes: [FieldChange(field: "updateRing", before: current, after: target)], fingerprint: room.etag)
            if !context.ringExists(target) { action.dependsOn = ["create \(ringReference)"] }
            actions.append((4, action))
        }
    }

    private mutating func planDevices() {
        var seen: Set<String> = []
        for device in declared.devices {
            let target = reference(.device, device.metadata.name.value)
            let location = device.metadata.name.location?.description
            guard let current = context.device(serial: device.serialNumber.value) else {
                resolver.findings.append(Finding(
                    severity: .warning, target: target,
                    message: "missing: no device with serial number \(device.serialNumber.value) has checked in",
                    remedy: "install the monitoring agent on it with the tenant's enrollment key; it then appears in onboarding",
                    location: location))
                continue
            }
            seen.insert(current.resource.id)
            let declaredRoom = device.room.value.lowercased()
            if current.resource.roomId != declaredRoom {
                resolver.findings.append(Finding(
                    severity: .warning, target: target,
                    message: "reports from room \(current.resource.roomId ?? "(none)"), not \(declaredRoom)",
                    remedy: "move the device to \(declaredRoom), or correct spec.room in the manifest", location: location))
            }
            let state = current.resource.enrollmentState
            let wanted = device.enrollment.rawValue
            guard state != wanted else { continue }
            let type: ActionType = device.enrollment == .enrolled ? .enroll : .unenroll
            var deviceTarget = target
            deviceTarget.portalId = current.resource.id
            actions.append((5, PlannedAction(
                type: type, target: deviceTarget, reason: "the device is \(state); the manifest asks for \(wanted)",
                changes: [FieldChange(field: "enrollment", before: state, after: wanted)], fingerprint: current.etag)))
        }
        for device in live.devices where !seen.contains(device.resource.id) {
            unmanaged.append(ObjectReference(kind: ManifestKind.device.rawValue, name: device.resource.serialNumber, portalId: device.resource.id))
        }
    }

    // MARK: - Matching and pruning

    /// Matches declared objects of a kind to live ones and plans creates, updates, adoptions and
    /// deletes. `diff` returns the field changes from the live object (nil: it does not exist).
    private mutating func reconcile<Declared, Live: OwnedResource>(
        kind: ManifestKind, declared: [Declared], name: KeyPath<Declared, Located<String>>, live: [Tagged<Live>],
        displayName: (Declared) -> String, liveDisplayName: (Live) -> String, phase: Int,
        diff: (Declared, Live?) -> [FieldChange]
    ) {
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
            let manifest = item[keyPath: name]
            var target = reference(kind, manifest.value)
            let location = manifest.location?.description
            if let current = managed.removeValue(forKey: manifest.value) {
                target.portalId = current.resource.id
                let changes = diff(item, current.resource)
                if !changes.isEmpty {
                    actions.append((phase, PlannedAction(
                        type: .update, target: target, reason: "the portal differs from git", changes: changes,
                        fingerprint: current.etag)))
                }
            } else if let existing = handMade[displayName(item).lowercased()] {
                target.portalId = existing.resource.id
                if declaredPolicy.adopt.contains(kind) {
                    adopted.insert(existing.resource.id)
                    var changes = diff(item, existing.resource)
                    changes.insert(FieldChange(field: "managedBy", before: existing.resource.managedBy, after: Ownership.roomkeeper), at: 0)
                    actions.append((phase, PlannedAction(
                        type: .update, target: target, reason: "adopting the hand-made \(kind.rawValue) of the same name",
                        changes: changes, fingerprint: existing.etag)))
                } else {
                    resolver.findings.append(Finding(
                        severity: .error, target: target,
                        message: "a hand-made \(kind.rawValue) named '\(displayName(item))' already exists in the portal",
                        remedy: "let Roomkeeper adopt it (adopt: {\(kind.collectionName): true} in roomkeeper.yaml), or rename one of them",
                        location: location))
                }
            } else {
                actions.append((phase, PlannedAction(
                    type: .create, target: target, reason: "declared in git, not in the portal", changes: diff(item, nil))))
            }
        }
        for (manifest, object) in managed.sorted(by: { $0.key < $1.key }) {
            let target = ObjectReference(kind: kind.rawValue, name: manifest, portalId: object.resource.id)
            if declaredPolicy.prune.contains(kind) {
                actions.append((10 - phase, PlannedAction(
                    type: .delete, target: target, reason: "created by Roomkeeper and no longer declared", fingerprint: object.etag)))
            } else {
                resolver.findings.append(Finding(
                    severity: .info, target: target, message: "no longer declared; kept because pruning is off for \(kind.collectionName)",
                    remedy: "delete it in the portal, or set prune: {\(kind.collectionName): true} in roomkeeper.yaml"))
            }
        }
        for object in handMade.values where !adopted.contains(object.resource.id) {
            unmanaged.append(ObjectReference(kind: kind.rawValue, name: liveDisplayName(object.resource), portalId: object.resource.id))
        }
    }

    private var declaredPolicy: RepositoryPolicy { declared.policy }

    // MARK: - Field comparison

    /// Compares a field as the portal means it: an absent description and an empty one are the same.
    fileprivate static func compare(_ changes: inout [FieldChange], _ field: String, _ before: String?, _ after: String?, ignored: Set<String>?) {
        guard ignored?.contains(field.components(separatedBy: ".")[0]) != true else { return }
        let left = before.flatMap { $0.isEmpty ? nil : $0 }
        let right = after.flatMap { $0.isEmpty ? nil : $0 }
        if left != right { changes.append(FieldChange(field: field, before: left, after: right)) }
    }

    /// Compares a list that is a set: order never counts.
    fileprivate static func compareSet(_ changes: inout [FieldChange], _ field: String, _ before: Set<String>?, _ after: Set<String>, ignored: Set<String>?) {
        guard ignored?.contains(field.components(separatedBy: ".")[0]) != true else { return }
        let current = before ?? []
        let added = after.subtracting(current).sorted()
        let removed = current.subtracting(after).sorted()
        if !added.isEmpty || !removed.isEmpty {
            changes.append(FieldChange(field: field, added: added, removed: removed))
        }
    }

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
        ObjectReference(kind: kind.rawValue, name: name)
    }

    private mutating func addDependencies(to target: ObjectReference, on dependencies: [String]) {
        let planned = Set(actions.map(\.action.id))
        for index in actions.indices where actions[index].action.target.kind == target.kind && actions[index].action.target.name == target.name {
            actions[index].action.dependsOn = dependencies.filter(planned.contains)
        }
    }

    // MARK: - Finishing

    private func finish(source: String, portal: String, now: Date) -> Plan {
        var ordered = actions.sorted { ($0.phase, $0.action.target, $0.action.type.rawValue) < ($1.phase, $1.action.target, $1.action.type.rawValue) }
            .map(\.action)
        if !options.targets.isEmpty {
            var keep = Set(ordered.filter { options.targets.contains($0.target.description) }.map(\.id))
            for action in ordered.reversed() where keep.contains(action.id) { keep.formUnion(action.dependsOn) }
            ordered = ordered.filter { keep.contains($0.id) }
        }
        return Plan(
            source: source, portal: portal, createdAt: now, actions: ordered, findings: resolver.findings,
            unmanaged: unmanaged.sorted(), blockers: options.allowMassDelete ? [] : deletionGuard(ordered))
    }

    /// Refuses more deletions than the policy's guard allows, in all or as a share of a kind.
    private func deletionGuard(_ actions: [PlannedAction]) -> [String] {
        let deletes = actions.filter { $0.type == .delete }
        guard !deletes.isEmpty else { return [] }
        let guardPolicy = declared.policy.deletionGuard
        var blockers: [String] = []
        if deletes.count > guardPolicy.maximumDeletes {
            blockers.append(
                "the plan deletes \(deletes.count) objects; the deletion guard allows \(guardPolicy.maximumDeletes). "
                    + "Review the deletions, then run with --allow-mass-delete")
        }
        for kind in ManifestKind.allCases {
            let count = deletes.filter { $0.target.kind == kind.rawValue }.count
            let managed = context.managedCount(kind)
            guard count > 0, managed > 0, count * 100 > guardPolicy.maximumDeletePercent * managed else { continue }
            blockers.append(
                "the plan deletes \(count) of \(managed) \(kind.collectionName) managed by Roomkeeper, over the guard's "
                    + "\(guardPolicy.maximumDeletePercent)%. Review the deletions, then run with --allow-mass-delete")
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

    init(context: Context, declared: ManifestSet) {
        self.context = context
        self.declared = declared
    }


    func rooms(of group: RoomGroup) -> Set<String> {
        var rooms = rooms(group.rooms, owner: ObjectReference(kind: ManifestKind.roomGroup.rawValue, name: group.metadata.name.value))
        if let selector = group.selector { rooms.formUnion(context.rooms(matching: selector)) }
        return rooms
    }

    /// Room ids for declared addresses; an address the inventory does not know is reported, not guessed.
    func rooms(_ rooms: [Located<String>], owner: ObjectReference) -> Set<String> {
        var ids: Set<String> = []
        for room in rooms {
            let id = room.value.lowercased()
            if context.roomExists(id) {
                ids.insert(id)
            } else {
                findings.append(Finding(
                    severity: .warning, target: owner, message: "room \(room.value) is not in the portal's inventory; it is left out",
                    remedy: "check the address; a new resource account can take up to 48 hours to appear in the inventory",
                    location: room.location?.description))
            }
        }
        return ids
    }

    func members(of assignment: RoleAssignment) -> Set<String> {
        var names: Set<String> = []
        for member in assignment.members {
            switch member.value {
            case .user(let upn):
                if context.userExists(upn) {
                    names.insert("user:\(upn.lowercased())")
                } else {
                    unresolved(assignment, member, "user \(upn) is not in the directory")
                }
            case .group(let group):
                if let id = context.groupId(named: group) {
                    names.insert("group:\(id)")
                } else {
                    unresolved(assignment, member, "security group '\(group)' is not in the directory")
                }
            }
        }
        return names
    }

    private func unresolved(_ assignment: RoleAssignment, _ member: Located<AssignmentMember>, _ message: String) {
        findings.append(Finding(
            severity: .error, target: ObjectReference(kind: ManifestKind.roleAssignment.rawValue, name: assignment.metadata.name.value), message: message,
            remedy: "correct the member, or create it in the directory first", location: member.location?.description))
    }
}
