import Foundation
import Manifests
import PortalAPI
import PortalClient
import Reconciler
import StateStore
import TestSupport
import Testing

/// Apply against the real emulator server over HTTP: every action type, ordering, conflicts,
/// failures part-way and converging re-runs.
@Suite("Applying plans to a real portal")
struct ExecutorTests {
    private static let token = TestTenant.tokens[TestTenant.administrator] ?? ""

    private static func manifests(rings: Bool = true, enroll: String = "enrolled", groupDescription: String = "Rooms 0 to 2") -> [String: String] {
        var files = [
            "roomkeeper.yaml": """
            apiVersion: roomkeeper/v1
            kind: Policy
            spec:
              prune: {roomGroups: true, roles: true, roleAssignments: true, updateRings: true}
              deletionGuard: {maxDeletes: 100, maxDeletePercent: 100}
            """,
            "groups.yaml": """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: first-rooms}
            spec:
              displayName: First rooms
              description: \(groupDescription)
              rooms: [\(TestTenant.room(0)), \(TestTenant.room(1)), \(TestTenant.room(2))]
            """,
            "access.yaml": """
            apiVersion: roomkeeper/v1
            kind: Role
            metadata: {name: av-engineer}
            spec:
              displayName: AV engineer
              permissions: [roomManagement.view, roomActions.readWrite, remoteAccess.modify]
            ---
            apiVersion: roomkeeper/v1
            kind: RoleAssignment
            metadata: {name: av-engineers}
            spec:
              role: av-engineer
              displayName: AV engineers
              members: [{user: \(TestTenant.siteLead)}, {group: sg-leads}]
              scope: {roomGroups: [first-rooms]}
            """,
            "devices.yaml": """
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: room-0-compute}
            spec:
              room: \(TestTenant.room(0))
              serialNumber: SN-1
              deviceType: teamsRoom
              enrollment: \(enroll)
            """,
        ]
        if rings {
            files["rings.yaml"] = """
                apiVersion: roomkeeper/v1
                kind: UpdateRing
                metadata: {name: pilot}
                spec:
                  displayName: Pilot
                  order: 1
                  rolloutDays: 1
                  testDays: 2
                  roomGroups: [first-rooms]
                """
        }
        return files
    }

    private static func load(_ files: [String: String]) -> ManifestSet {
        let result = ManifestLoader.load(from: MemoryTree(files: files.mapValues { Array($0.utf8) }))
        #expect(!result.diagnostics.hasErrors, "\(result.diagnostics)")
        return result.manifests
    }

    private static func plan(_ files: [String: String], _ portal: some Portal, options: PlanOptions = PlanOptions()) async throws -> Plan {
        Planner.plan(
            declared: load(files), live: try await LiveState.read(from: portal).state, options: options, source: "test",
            portal: portal.endpointDescription)
    }

    /// Runs `body` with an administrator's client of a fresh portal.
    private static func withPortal(_ body: (HTTPPortalClient) async throws -> Void) async throws {
        try await RunningPortal.with(seed: TestTenant.seed(rooms: 5), tokens: TestTenant.tokens) { portal in
            try await body(portal.client(token: token))
        }
    }

    @Test("Creates, updates, deletes, ring moves and enrollment all land, dependencies first, and a re-plan is empty")
    func everyActionType() async throws {
        try await Self.withPortal { client in

            let first = try await Self.plan(Self.manifests(), client)
            #expect(Set(first.actions.map(\.type)) == [.create, .moveToRing, .enroll])
            #expect(first.actions.map(\.stage) == first.actions.map(\.stage).sorted(), "stages run in order")
            let report = await Executor(portal: client, journal: nil).apply(first)
            #expect(report.succeeded, "\(report.results.filter { $0.outcome != .done })")
            #expect(report.count(.done) == first.actions.count)

            let rooms = try await client.list(PortalRoom.self)
            #expect(rooms.filter { $0.resource.updateRingId == "ring-pilot" }.count == 3)
            #expect(try await client.get(PortalRoom.self, id: TestTenant.room(0)).resource.enrollmentState == "enrolled")
            let assignment = try #require(try await client.list(PortalRoleAssignment.self).first { $0.resource.manifestName == "av-engineers" })
            #expect(assignment.resource.roleId == "role-av-engineer")
            #expect(assignment.resource.scope.roomGroupIds == ["rg-first-rooms"])
            #expect(try await Self.plan(Self.manifests(), client).actions.isEmpty, "the portal now matches git")

            // Change a field, drop the ring (the portal returns its rooms to General) and unenroll the device.
            let second = try await Self.plan(Self.manifests(rings: false, enroll: "unenrolled", groupDescription: "Changed"), client)
            #expect(Set(second.actions.map(\.type)) == [.update, .delete, .unenroll])
            let again = await Executor(portal: client, journal: nil).apply(second)
            #expect(again.succeeded, "\(again.results.filter { $0.outcome != .done })")
            #expect(try await Self.plan(Self.manifests(rings: false, enroll: "unenrolled", groupDescription: "Changed"), client).actions.isEmpty)
            #expect(try await client.list(PortalUpdateRing.self).count == 3, "only the default rings are left")
            #expect(try await client.list(PortalRoom.self).allSatisfy { $0.resource.updateRingId == "general" })
            #expect(try await client.get(PortalRoom.self, id: TestTenant.room(0)).resource.enrollmentState == "unenrolled")
        }
    }

    @Test("A hand edit made after planning is refused by its entity tag, never overwritten; the run stops and a re-run converges")
    func conflictStopsTheRun() async throws {
        try await Self.withPortal { client in
            _ = await Executor(portal: client, journal: nil).apply(try await Self.plan(Self.manifests(), client))

            let plan = try await Self.plan(Self.manifests(groupDescription: "From git"), client)
            #expect(plan.actions.map(\.type) == [.update])
            // Someone renames the group in the portal after the plan was made.
            let live = try #require(try await client.roomGroupsBesidesDefault().first { $0.resource.manifestName == "first-rooms" })
            var edited = live.resource
            edited.displayName = "Renamed by hand"
            _ = try await client.replace(edited, ifMatch: live.etag)

            let report = await Executor(portal: client, journal: nil).apply(plan)
            #expect(!report.succeeded)
            let failure = try #require(report.results.first)
            #expect(failure.outcome == .failed)
            #expect(failure.message?.contains("changed in the portal after the plan was made") == true)
            #expect(try await client.get(PortalRoomGroup.self, id: live.resource.id).resource.displayName == "Renamed by hand")

            let replanned = try await Self.plan(Self.manifests(groupDescription: "From git"), client)
            #expect(replanned.actions.first?.changes.map(\.field) == ["displayName", "description"])
            #expect(await Executor(portal: client, journal: nil).apply(replanned).succeeded)
            #expect(try await Self.plan(Self.manifests(groupDescription: "From git"), client).actions.isEmpty)
        }
    }

    @Test("After a failure no new action starts; the rest are reported not attempted, and the journal shows what happened")
    func failurePartWay() async throws {
        try await Self.withPortal { client in
            var plan = try await Self.plan(Self.manifests(), client)
            // Break the role (stage 2): room groups and rings (stages 0, 1) land, assignments and later never start.
            let roleIndex = try #require(plan.actions.firstIndex { $0.target.kind == .manifest(.role) })
            plan.actions[roleIndex].payload = .role(PortalRole(id: "role-av-engineer", displayName: "AV engineer", permissions: ["no.such"]))

            let folder = try temporaryFolder("roomkeeper-journal")
            defer { try? FileManager.default.removeItem(at: folder) }
            let report = await Executor(portal: client, journal: try ApplyJournal(folder: folder, planId: plan.id)).apply(plan)
            #expect(report.stoppedBecause == "create Role/av-engineer failed")
            let outcomes = Dictionary(report.results.map { ($0.target.kind.rawValue, $0.outcome) }, uniquingKeysWith: { first, _ in first })
            #expect(outcomes["RoomGroup"] == .done)
            #expect(outcomes["UpdateRing"] == .done)
            #expect(outcomes["Role"] == .failed)
            #expect(outcomes["RoleAssignment"] == .notAttempted)
            #expect(outcomes["Room"] == .notAttempted)
            #expect(report.results.first { $0.outcome == .failed }?.message?.contains("unknown permission") == true)

            let journal = try String(contentsOf: folder.appendingPathComponent("\(plan.id).jsonl"), encoding: .utf8)
            #expect(journal.contains("\"event\":\"failed\""))
            #expect(journal.contains("\"event\":\"finished\""))
            #expect(ApplyJournal.interrupted(in: folder).isEmpty, "a run that ended is not reported as cut off")

            let rerun = try await Self.plan(Self.manifests(), client)
            #expect(!rerun.actions.contains { $0.target.kind == .manifest(.roomGroup) }, "what landed is not planned again")
            #expect(await Executor(portal: client, journal: nil).apply(rerun).succeeded)
            #expect(try await Self.plan(Self.manifests(), client).actions.isEmpty)
        }
    }

    @Test("A protected object outlives its manifest until git declares it absent")
    func protection() async throws {
        try await Self.withPortal { client in
            var files = Self.manifests(rings: false)
            files["groups.yaml"] = files["groups.yaml"]?.replacingOccurrences(
                of: "metadata: {name: first-rooms}", with: "metadata: {name: first-rooms, protected: true}")
            files["access.yaml"] = nil
            #expect(await Executor(portal: client, journal: nil).apply(try await Self.plan(files, client)).succeeded)
            #expect(try await client.roomGroupsBesidesDefault().first?.resource.protected == true)

            files["groups.yaml"] = nil
            let kept = try await Self.plan(files, client)
            #expect(!kept.actions.contains { $0.type == .delete }, "prune is on, but the group is protected")
            #expect(kept.findings.contains { $0.severity == .warning && $0.message.hasPrefix("protected: its manifest is gone") })
            #expect(kept.findings.contains { $0.remedy.contains("absent: {roomGroups: [first-rooms]}") })

            files["roomkeeper.yaml"] = (files["roomkeeper.yaml"] ?? "") + "\n  absent: {roomGroups: [first-rooms]}\n"
            let removal = try await Self.plan(files, client)
            #expect(removal.actions.map(\.id.description) == ["delete RoomGroup/first-rooms"])
            #expect(removal.actions.first?.reason == "declared absent in roomkeeper.yaml")
            #expect(await Executor(portal: client, journal: nil).apply(removal).succeeded)
            #expect(try await client.roomGroupsBesidesDefault().isEmpty)
        }
    }

    @Test("Applying the same plan twice creates nothing twice")
    func idempotentCreates() async throws {
        try await Self.withPortal { client in
            let plan = try await Self.plan(Self.manifests(rings: false), client)
            #expect(await Executor(portal: client, journal: nil).apply(plan).succeeded)
            let repeated = await Executor(portal: client, journal: nil, options: ApplyOptions(concurrency: 1)).apply(plan)
            for result in repeated.results where result.type == .create {
                #expect(result.outcome == .done, "a keyed create answers as the first one did: \(result.message ?? "")")
            }
            #expect(try await client.roomGroupsBesidesDefault().count == 1)
            #expect(try await client.list(PortalRoleAssignment.self).filter { $0.resource.managedBy == Ownership.roomkeeper }.count == 1)
        }
    }

    @Test("A saved plan is stale once an object it touches changes; unrelated edits do not matter")
    func freshness() async throws {
        try await Self.withPortal { client in
            _ = await Executor(portal: client, journal: nil).apply(try await Self.plan(Self.manifests(rings: false), client))
            let plan = try await Self.plan(Self.manifests(rings: false, groupDescription: "New"), client)
            #expect(PlanFreshness.problems(plan, live: try await LiveState.read(from: client).state).isEmpty)

            // An unrelated object changes: the plan still applies.
            let role = try #require(try await client.list(PortalRole.self).first { $0.resource.manifestName == "av-engineer" })
            var renamed = role.resource
            renamed.description = "edited elsewhere"
            _ = try await client.replace(renamed, ifMatch: role.etag)
            #expect(PlanFreshness.problems(plan, live: try await LiveState.read(from: client).state).isEmpty)

            // The group the plan updates changes: stale, and the message names it.
            let group = try #require(try await client.roomGroupsBesidesDefault().first)
            var edited = group.resource
            edited.roomIds = [TestTenant.room(4)]
            _ = try await client.replace(edited, ifMatch: group.etag)
            let problems = PlanFreshness.problems(plan, live: try await LiveState.read(from: client).state)
            #expect(problems.count == 1)
            #expect(problems.first?.hasPrefix("RoomGroup/first-rooms changed in the portal since the plan was made") == true)
        }
    }

    @Test("The lease admits one reconciler; a second learns who holds it; a released lease can be taken")
    func lease() async throws {
        try await Self.withPortal { client in
            let first = try await ReconcilerLease.acquire(on: client, holder: "first")
            await #expect(throws: LeaseHeldError.self) { try await ReconcilerLease.acquire(on: client, holder: "second") }
            do {
                _ = try await ReconcilerLease.acquire(on: client, holder: "second")
            } catch let held as LeaseHeldError {
                #expect(held.lease.holder == "first")
                #expect(held.description.contains("held by first since"))
            }
            await first.release()
            let second = try await ReconcilerLease.acquire(on: client, holder: "second")
            #expect(second.lostReason == nil)
            await second.release()
        }
    }

    @Test("A journal without its end is reported once as an interrupted run, with what was left unanswered")
    func interruptedJournal() async throws {
        let folder = try temporaryFolder("roomkeeper-journal")
        defer { try? FileManager.default.removeItem(at: folder) }
        let journal = try ApplyJournal(folder: folder, planId: "p1")
        await journal.record(.started)
        await journal.record(.intended, action: ActionID("create RoomGroup/a"))
        await journal.record(.confirmed, action: ActionID("create RoomGroup/a"))
        await journal.record(.intended, action: ActionID("create RoomGroup/b"))
        await journal.record(.sent, action: ActionID("enroll Device/c"))
        let interrupted = ApplyJournal.interrupted(in: folder)
        #expect(interrupted.map(\.planId) == ["p1"])
        #expect(interrupted.first?.confirmed == 1)
        #expect(interrupted.first?.unanswered.map(\.description) == ["create RoomGroup/b", "enroll Device/c"])
        if let run = interrupted.first { try await ApplyJournal.close(run, note: "reviewed") }
        #expect(ApplyJournal.interrupted(in: folder).isEmpty)
    }
}

@Suite("Remembering the inventory: a short read is not proof of absence")
struct InventoryRecordTests {
    private func record(rooms: Int, groups: Int) -> InventoryRecord {
        var live = LiveState()
        live.rooms = (0..<rooms).map { Tagged(PortalRoom(id: "r\($0)", displayName: "r", email: "r", updateRingId: "general"), etag: "1") }
        live.roomGroups = (0..<groups).map { Tagged(PortalRoomGroup(id: "g\($0)", displayName: "g\($0)", roomIds: []), etag: "1") }
        return InventoryRecord(portal: "p", live: live)
    }

    @Test("Losing over a quarter of a collection, and at least five, is refused; small or proportionate changes are not")
    func shrinkage() {
        let before = record(rooms: 100, groups: 8)
        #expect(before.shrinkage(to: record(rooms: 80, groups: 8)).isEmpty)
        #expect(before.shrinkage(to: record(rooms: 100, groups: 4)).isEmpty, "four lost is under the minimum")
        let refused = before.shrinkage(to: record(rooms: 70, groups: 8))
        #expect(refused == [.inventoryShrink(collection: "rooms", before: 100, now: 70, recordedAt: before.recordedAt)])
        #expect(refused.first?.facts.hasPrefix("the portal lists 70 rooms, down from 100 at ") == true)
    }

    @Test("An apply's own deletions and creations are counted, so they are not mistaken for a short read")
    func accounting() {
        var before = record(rooms: 10, groups: 10)
        let delete = PlannedAction(type: .delete, target: ObjectReference(kind: .manifest(.roomGroup), name: "g", portalId: "g1"), reason: "")
        let create = PlannedAction(type: .create, target: ObjectReference(kind: .manifest(.role), name: "r"), reason: "")
        before.account(
            for: ApplyReport(
                planId: "p", portal: "p", startedAt: .now, finishedAt: .now,
                results: Array(repeating: ActionResult(action: delete, outcome: .done), count: 6)
                    + [ActionResult(action: delete, outcome: .failed), ActionResult(action: create, outcome: .done)],
                stoppedBecause: nil))
        #expect(before.counts["roomGroups"] == 4)
        #expect(before.counts["roles"] == 1)
        #expect(before.shrinkage(to: record(rooms: 10, groups: 4)).isEmpty)
    }
}
