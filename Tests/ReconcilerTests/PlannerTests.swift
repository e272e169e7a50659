import Foundation
import Manifests
import PortalAPI
import Reconciler
import TestSupport
import Testing

@Suite("Planning: declared state against live state")
struct PlannerTests {
    private static let policy = """
        apiVersion: roomkeeper/v1
        kind: Policy
        spec: {}
        """

    private func declared(_ yaml: String, policy: String = PlannerTests.policy) -> ManifestSet {
        let result = ManifestLoader.load(from: MemoryTree(files: ["m.yaml": Array(yaml.utf8), "roomkeeper.yaml": Array(policy.utf8)]))
        #expect(result.diagnostics.filter { $0.severity == .error }.isEmpty, "\(result.diagnostics)")
        return result.manifests
    }

    private func live(rooms: [String] = ["a@x.com", "b@x.com", "c@x.com"]) -> LiveState {
        var state = LiveState()
        state.rooms = rooms.map { Tagged(PortalRoom(id: $0, displayName: $0, email: $0, updateRingId: "general"), etag: "\"r\"") }
        state.roles = [Tagged(PortalRole(id: "site-lead", displayName: "Site Lead", isBuiltIn: true, permissions: ["reports.view"]), etag: "\"1\"")]
        state.updateRings = ["staging", "general", "executive"].map {
            Tagged(PortalUpdateRing(id: $0, displayName: $0.capitalized, order: 0, rolloutDays: 0, testDays: 0, isDefault: true), etag: "\"2\"")
        }
        state.users = [Tagged(DirectoryUser(id: "ann@x.com", userPrincipalName: "Ann@x.com", displayName: "Ann"), etag: "\"3\"")]
        state.groups = [Tagged(DirectoryGroup(id: "sg-ops", displayName: "sg-ops", mail: "ops@x.com"), etag: "\"4\"")]
        return state
    }

    private func group(_ name: String, rooms: [String], description: String? = nil, managed: Bool = true, display: String? = nil) -> Tagged<
        PortalRoomGroup
    > {
        Tagged(
            PortalRoomGroup(
                id: "id-\(name)", displayName: display ?? name.uppercased(), description: description, roomIds: rooms,
                managedBy: managed ? Ownership.roomkeeper : nil, manifestName: managed ? name : nil),
            etag: "\"g-\(name)\"")
    }

    private func groupManifest(_ name: String, rooms: [String], description: String? = nil) -> String {
        """
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: \(name)}
        spec:
          displayName: \(name.uppercased())
        \(description.map { "  description: \($0)\n" } ?? "")  rooms: [\(rooms.joined(separator: ", "))]
        """
    }

    private func plan(_ declared: ManifestSet, _ live: LiveState, _ options: PlanOptions = PlanOptions()) -> Plan {
        Planner.plan(declared: declared, live: live, options: options, source: "test", portal: "test portal")
    }

    @Test("What exists and matches plans nothing: sets in any order, addresses in any case, absent equals empty")
    func noPhantomDrift() {
        var state = live()
        state.roomGroups = [group("g", rooms: ["b@x.com", "a@x.com"], description: "")]
        let result = plan(declared(groupManifest("g", rooms: ["A@X.com", "b@x.com"])), state)
        #expect(result.actions.isEmpty)
        #expect(result.findings.isEmpty)
    }

    @Test("The plan id and the clock are inputs: the same inputs give the same plan; stages are named and deletes come last")
    func deterministic() throws {
        var state = live()
        state.roomGroups = [group("old", rooms: ["a@x.com"])]
        let pruning = Self.policy.replacingOccurrences(
            of: "spec: {}", with: "spec: {prune: {roomGroups: true}, deletionGuard: {maxDeletes: 9, maxDeletePercent: 100}}")
        let manifests = declared(groupManifest("new", rooms: ["b@x.com"]), policy: pruning)
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        func make() throws -> Data {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            return try encoder.encode(Planner.plan(declared: manifests, live: state, source: "test", portal: "p", now: at, id: "plan-1"))
        }
        #expect(try make() == make())
        let plan = Planner.plan(declared: manifests, live: state, source: "test", portal: "p", now: at, id: "plan-1")
        #expect(plan.id == "plan-1" && plan.createdAt == at)
        #expect(plan.actions.map(\.stage) == [PlanStage.roomGroups.order, PlanStage.roomGroups.deletionOrder])
        #expect(plan.actions.map(\.type) == [.create, .delete])
    }

    @Test("A group display name two directory groups share is an error naming both; an id or a mail picks one")
    func ambiguousGroups() throws {
        var state = live()
        state.groups += [
            Tagged(DirectoryGroup(id: "g-1", displayName: "Helpdesk", mail: "helpdesk-emea@x.com"), etag: "\"5\""),
            Tagged(DirectoryGroup(id: "g-2", displayName: "Helpdesk", mail: "helpdesk-us@x.com"), etag: "\"6\""),
        ]
        func assignment(_ group: String) -> String {
            """
            apiVersion: roomkeeper/v1
            kind: RoleAssignment
            metadata: {name: desk}
            spec: {role: builtin:site-lead, displayName: Desk, members: [{group: \(group)}], scope: {allRooms: true}}
            """
        }
        let ambiguous = plan(declared(assignment("Helpdesk")), state)
        let finding = try #require(ambiguous.findings.first { $0.code == .memberAmbiguous })
        #expect(finding.severity == .error && !ambiguous.isApplyable)
        #expect(
            finding.message
                == "security group 'Helpdesk' matches 2 directory groups: Helpdesk <helpdesk-emea@x.com> (g-1), Helpdesk <helpdesk-us@x.com> (g-2)")
        #expect(finding.location?.description == "m.yaml:4:62")
        for (name, id) in [("g-2", "g-2"), ("helpdesk-emea@x.com", "g-1")] {
            let chosen = plan(declared(assignment(name)), state)
            guard case .roleAssignment(let desired) = chosen.actions.first?.payload else {
                Issue.record("no assignment for \(name)")
                continue
            }
            #expect(desired.members == [PortalMember(kind: .group, id: id)])
        }
    }

    @Test("A changed group updates with the rooms added and removed, against the entity tag read")
    func update() throws {
        var state = live()
        state.roomGroups = [group("g", rooms: ["a@x.com", "c@x.com"], description: "old")]
        let result = plan(declared(groupManifest("g", rooms: ["a@x.com", "b@x.com"], description: "new")), state)
        let action = try #require(result.actions.first)
        #expect(result.actions.count == 1)
        #expect(action.type == .update)
        #expect(action.fingerprint == "\"g-g\"")
        #expect(
            action.changes == [
                FieldChange(field: "description", before: "old", after: "new"),
                FieldChange(field: "rooms", added: ["b@x.com"], removed: ["c@x.com"]),
            ])
    }

    @Test("Ignore rules keep named fields out of the diff")
    func ignoreRules() {
        var state = live()
        state.roomGroups = [group("g", rooms: ["a@x.com"], description: "edited in the portal")]
        let policy = Self.policy.replacingOccurrences(of: "spec: {}", with: "spec: {ignore: [{kind: RoomGroup, fields: [description]}]}")
        #expect(plan(declared(groupManifest("g", rooms: ["a@x.com"], description: "from git"), policy: policy), state).actions.isEmpty)
    }

    @Test("Undeclared managed objects are kept unless prune is on; the deletion guard stops mass deletes")
    func pruneAndGuard() {
        var state = live()
        state.roomGroups = (0..<4).map { group("old-\($0)", rooms: []) } + [group("keep", rooms: ["a@x.com"])]
        let manifests = groupManifest("keep", rooms: ["a@x.com"])
        let kept = plan(declared(manifests), state)
        #expect(kept.actions.isEmpty)
        #expect(kept.findings.map(\.severity) == [.info, .info, .info, .info])
        let pruning = Self.policy.replacingOccurrences(
            of: "spec: {}", with: "spec: {prune: {roomGroups: true}, deletionGuard: {maxDeletes: 3, maxDeletePercent: 50}}")
        let pruned = plan(declared(manifests, policy: pruning), state)
        #expect(pruned.actions.map(\.type) == [.delete, .delete, .delete, .delete])
        #expect(!pruned.isApplyable)
        #expect(pruned.blockers == [.deletionGuard(deletes: 4, limit: 3), .kindShare(kind: .roomGroup, deletes: 4, managed: 5, limitPercent: 50)])
        #expect(pruned.blockers[0].facts == "the plan deletes 4 objects; the deletion guard allows 3")
        #expect(plan(declared(manifests, policy: pruning), state, PlanOptions(allowMassDelete: true)).isApplyable)
    }

    @Test("A rename declared with previousNames updates the object in place: same id, no delete, no create")
    func rename() throws {
        var state = live()
        state.roomGroups = [group("old", rooms: ["a@x.com"], display: "G")]
        let pruning = Self.policy.replacingOccurrences(of: "spec: {}", with: "spec: {prune: {roomGroups: true}}")
        let manifest = """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: new, previousNames: [old]}
            spec: {displayName: G, rooms: [a@x.com]}
            ---
            apiVersion: roomkeeper/v1
            kind: RoleAssignment
            metadata: {name: leads}
            spec:
              role: builtin:site-lead
              displayName: Leads
              members: [{user: ann@x.com}]
              scope: {roomGroups: [new]}
            """
        let result = plan(declared(manifest, policy: pruning), state)
        let update = try #require(result.actions.first { $0.target.kind == .manifest(.roomGroup) })
        #expect(result.actions.filter { $0.target.kind == .manifest(.roomGroup) }.count == 1)
        #expect(update.type == .update)
        #expect(update.target.portalId == "id-old")
        #expect(update.changes == [FieldChange(field: "manifestName", before: "old", after: "new")])
        guard case .roomGroup(let desired) = update.payload else {
            Issue.record("no room group payload")
            return
        }
        #expect(desired.id == "id-old" && desired.manifestName == "new")
        guard case .roleAssignment(let assignment) = result.actions.first(where: { $0.target.kind == .manifest(.roleAssignment) })?.payload else {
            Issue.record("no assignment payload")
            return
        }
        #expect(assignment.scope.roomGroupIds == ["id-old"], "references follow the renamed object")
        let again = plan(declared(groupManifest("old", rooms: ["a@x.com"]).replacingOccurrences(of: "OLD", with: "G"), policy: pruning), state)
        #expect(again.actions.isEmpty, "without the rename, the old name still matches")
    }

    @Test("A hand-made object of the same name is an error unless the policy adopts it")
    func adoption() throws {
        var state = live()
        state.roomGroups = [group("g", rooms: ["a@x.com"], managed: false, display: "G")]
        let refused = plan(declared(groupManifest("g", rooms: ["a@x.com"])), state)
        #expect(refused.actions.isEmpty)
        #expect(refused.findings.first?.severity == .error)
        #expect(!refused.isApplyable)
        let adopting = Self.policy.replacingOccurrences(of: "spec: {}", with: "spec: {adopt: {roomGroups: true}}")
        let adopted = plan(declared(groupManifest("g", rooms: ["a@x.com"]), policy: adopting), state)
        let action = try #require(adopted.actions.first)
        #expect(action.type == .update)
        #expect(action.changes == [FieldChange(field: "managedBy", before: nil, after: Ownership.roomkeeper)])
        #expect(adopted.unmanaged.isEmpty)
    }

    @Test("Creates come dependencies first: rings, groups, roles, assignments, then ring moves")
    func ordering() throws {
        let yaml = [
            """
            apiVersion: roomkeeper/v1
            kind: RoleAssignment
            metadata: {name: ops}
            spec:
              role: ops-role
              displayName: Ops
              members: [{user: ann@x.com}, {group: ops@x.com}]
              scope: {roomGroups: [g]}
            """,
            """
            apiVersion: roomkeeper/v1
            kind: Role
            metadata: {name: ops-role}
            spec: {displayName: Ops role, permissions: [reports.view]}
            """,
            groupManifest("g", rooms: ["a@x.com"]),
            """
            apiVersion: roomkeeper/v1
            kind: UpdateRing
            metadata: {name: pilot}
            spec: {displayName: Pilot, order: 1, rolloutDays: 1, testDays: 1, rooms: [b@x.com]}
            """,
        ].joined(separator: "\n---\n")
        let result = plan(declared(yaml), live())
        #expect(
            result.actions.map(\.id.description) == [
                "create UpdateRing/pilot", "create RoomGroup/g", "create Role/ops-role", "create RoleAssignment/ops",
                "moveToRing Room/b@x.com",
            ])
        let assignment = try #require(result.actions.first { $0.type == .create && $0.target.kind == .manifest(.roleAssignment) })
        #expect(assignment.dependsOn.map(\.description) == ["create Role/ops-role", "create RoomGroup/g"])
        #expect(result.actions.last?.dependsOn.map(\.description) == ["create UpdateRing/pilot"])
        let targeted = plan(declared(yaml), live(), PlanOptions(targets: [ObjectKey(.manifest(.roleAssignment), "ops")]))
        #expect(targeted.actions.map(\.id.description) == ["create RoomGroup/g", "create Role/ops-role", "create RoleAssignment/ops"])
    }

    @Test("What apply cannot fix is shown with what to do: unknown rooms, unknown members, missing and misplaced devices")
    func findings() {
        var state = live()
        state.rooms[0].resource.enrollmentState = "onboarding"
        state.devices = [
            Tagged(PortalDevice(id: "d1", serialNumber: "SN-1", deviceType: "teamsRoom", roomId: "a@x.com"), etag: "\"d1\""),
            Tagged(PortalDevice(id: "d3", serialNumber: "SN-3", deviceType: "touchConsole", roomId: "c@x.com"), etag: "\"d3\""),
            Tagged(PortalDevice(id: "d9", serialNumber: "ROGUE", deviceType: "teamsRoom", roomId: "c@x.com"), etag: "\"d9\""),
        ]
        let yaml = [
            groupManifest("g", rooms: ["a@x.com", "nowhere@x.com"]),
            """
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: d1}
            spec: {room: a@x.com, serialNumber: "sn-1", deviceType: teamsRoom}
            ---
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: d2}
            spec: {room: b@x.com, serialNumber: "SN-2", deviceType: teamsRoom}
            ---
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: d3}
            spec: {room: b@x.com, serialNumber: "SN-3", deviceType: touchConsole}
            ---
            apiVersion: roomkeeper/v1
            kind: RoleAssignment
            metadata: {name: ghost}
            spec: {role: builtin:site-lead, displayName: Ghost, members: [{user: ghost@x.com}], scope: {allRooms: true}}
            """,
        ].joined(separator: "\n---\n")
        let result = plan(declared(yaml), state)
        #expect(
            result.findings.map(\.message).sorted() == [
                "missing: no teamsRoom with serial number SN-2 has checked in",
                "reports from room c@x.com, not b@x.com",
                "room nowhere@x.com is not in the portal's inventory; it is left out",
                "user ghost@x.com is not in the directory",
            ])
        #expect(!result.isApplyable)
        #expect(result.actions.contains { $0.type == .enroll && $0.target.portalId == "a@x.com" }, "the room enrolls, through its main unit")
        #expect(result.actions.filter { $0.type == .enroll }.count == 1, "a misplaced device enrolls nothing")
        #expect(result.unmanaged.map(\.description) == ["Device/ROGUE"])
        let group = result.actions.first { $0.target.description == "RoomGroup/g" }
        #expect(group?.changes.last == FieldChange(field: "rooms", added: ["a@x.com"], removed: []))
    }

    @Test("Built-in roles and default rings are never planned, nor listed as unmanaged")
    func builtInsAreUntouched() {
        let result = plan(declared(groupManifest("g", rooms: ["a@x.com"])), live())
        #expect(!result.actions.contains { $0.target.kind == .manifest(.role) || $0.target.kind == .manifest(.updateRing) })
        #expect(result.unmanaged.isEmpty)
    }
}
