import Foundation
import Manifests
import PortalAPI
import PortalEmulator
import Reconciler
import TestSupport
import Testing

/// Apply against an emulator that throttles, fails and drops answers on purpose: every apply
/// must land exactly what git declares, nothing twice, nothing missing, nothing extra.
@Suite("Applying through faults")
struct FaultToleranceTests {
    private static let groups = 600
    private static let rooms = 300

    /// `groups` room groups and as many role assignments, each naming its group; `variant`
    /// changes every description, so a second apply updates everything.
    private static func files(groups: Int = groups, variant: String = "first") -> [String: String] {
        [
            "roomkeeper.yaml": GeneratedManifests.pruningPolicy,
            "objects.yaml": GeneratedManifests.groupsAndAssignments(count: groups, rooms: rooms, description: variant),
        ]
    }

    private static func plan(_ files: [String: String], _ portal: some Portal) async throws -> Plan {
        let loaded = ManifestLoader.load(from: MemoryTree(files: files.mapValues { Array($0.utf8) }))
        #expect(!loaded.diagnostics.hasErrors, "\(loaded.diagnostics.prefix(3))")
        return Planner.plan(declared: loaded.manifests, live: try await LiveState.read(from: portal).state, source: "test", portal: "test")
    }

    @Test("Through 10% 429s, 5% 5xx, 1% lost answers and latency, creates, updates and deletes land exactly once")
    func applyThroughFaults() async throws {
        // Retry-After 0 keeps the test quick; the client's honouring of longer waits is tested with the emulator.
        let faults = try FaultPlan(parsing: "latency=5ms,429=0.1,5xx=0.05,drop=0.01,retry-after=0,seed=7")
        let portal = try await RunningPortal.start(seed: TestTenant.seed(rooms: Self.rooms), tokens: TestTenant.tokens, faults: faults)
        defer { Task { await portal.stopAndRemove() } }
        // Up to 10 attempts a request: with 15% of requests failing, 6 (the default) would leave
        // about one run in 25 with a request that failed six times over thousands of requests.
        let client = portal.client(token: "admin-token", retry: RetryPolicy(maximumAttempts: 10))
        let executor = Executor(portal: client, journal: nil, options: ApplyOptions(concurrency: 16))

        var totals = (actions: 0, retries: 0)
        for (step, files) in [Self.files(), Self.files(variant: "second"), Self.files(groups: Self.groups / 2, variant: "second")].enumerated() {
            let plan = try await Self.plan(files, client)
            #expect(!plan.actions.isEmpty)
            let before = client.transportCounts.retried
            let report = await executor.apply(plan)
            #expect(
                report.succeeded,
                "step \(step): \(report.results.filter { $0.outcome != .done }.prefix(3).map { "\($0.action): \($0.message ?? "")" })")
            totals.actions += plan.actions.count
            totals.retries += client.transportCounts.retried - before

            // Exactly what git declares: every object once, with the declared values, and nothing else.
            let declared = ManifestLoader.load(from: MemoryTree(files: files.mapValues { Array($0.utf8) })).manifests
            let groups = try await client.roomGroupsBesidesDefault().map(\.resource).filter { $0.managedBy == Ownership.roomkeeper }
            let assignments = try await client.list(PortalRoleAssignment.self).map(\.resource).filter { $0.managedBy == Ownership.roomkeeper }
            #expect(groups.count == declared.roomGroups.count)
            #expect(Set(groups.compactMap(\.manifestName)) == Set(declared.roomGroups.map(\.metadata.name.value)))
            #expect(assignments.count == declared.roleAssignments.count)
            let description = step == 0 ? "first" : "second"
            #expect(groups.allSatisfy { $0.description == description })
            #expect(assignments.allSatisfy { $0.description == description })
            #expect(try await Self.plan(files, client).actions.isEmpty, "step \(step): a re-plan finds nothing left to do")
        }
        #expect(totals.retries > 0, "faults were injected and retried")
        #expect(client.transportCounts.confirmedAfterLostAnswer > 0, "some writes lost their answer and were confirmed by reading back")
        print(
            "fault tolerance: \(totals.actions) actions applied through \(totals.retries) retries; "
                + "\(client.transportCounts.confirmedAfterLostAnswer) writes confirmed after a lost answer")
    }

    @Test("The portal stopped mid-apply and restarted on its file keeps every write it acknowledged; a new apply converges")
    func portalRestartMidApply() async throws {
        let faults = try FaultPlan(parsing: "latency=30ms,seed=11")
        let first = try await RunningPortal.start(seed: TestTenant.seed(rooms: Self.rooms), tokens: TestTenant.tokens, faults: faults)
        let files = Self.files(groups: 150)
        let client = first.client(token: "admin-token", retry: RetryPolicy(maximumAttempts: 3, baseDelay: 0.05, maximumDelay: 0.2))
        let plan = try await Self.plan(files, client)
        let applying = Task { await Executor(portal: client, journal: nil, options: ApplyOptions(concurrency: 4)).apply(plan) }
        // Stop the portal once some writes have landed, however long that takes on a busy machine.
        let deadline = ContinuousClock.now + .seconds(60)
        while try await first.service.store.audit(after: 0, limit: 10_000).filter({ $0.action == "create" && $0.actor == TestTenant.administrator })
            .count < 10,
            ContinuousClock.now < deadline
        {
            try await Task.sleep(for: .milliseconds(20))
        }
        await first.stop()
        let report = await applying.value
        #expect(!report.succeeded, "the portal went away mid-apply")
        #expect(report.count(.done) > 0, "some writes were acknowledged before it did")

        let second = try await RunningPortal.start(seed: TestTenant.seed(rooms: Self.rooms), tokens: TestTenant.tokens, folder: first.folder)
        defer { Task { await second.stopAndRemove() } }
        let restarted = second.client(token: "admin-token")
        let groups = Set(try await restarted.roomGroupsBesidesDefault().compactMap(\.resource.manifestName))
        let assignments = Set(try await restarted.list(PortalRoleAssignment.self).compactMap(\.resource.manifestName))
        for result in report.results where result.outcome == .done {
            let kept = result.target.kind == .manifest(.roomGroup) ? groups.contains(result.target.name) : assignments.contains(result.target.name)
            #expect(kept, "\(result.action) was acknowledged, so it survived the restart")
        }
        let rest = try await Self.plan(files, restarted)
        let finish = await Executor(portal: restarted, journal: nil).apply(rest)
        #expect(finish.succeeded)
        #expect(try await Self.plan(files, restarted).actions.isEmpty)
        print("portal restart: \(report.count(.done)) of \(plan.actions.count) acknowledged before the stop, all kept; \(rest.actions.count) left")
    }
}
