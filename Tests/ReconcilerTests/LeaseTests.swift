import Foundation
import Manifests
import PortalAPI
import Reconciler
import TestSupport
import Testing

/// The reconciler lease against the real emulator: who may renew or release it, and what happens
/// to an apply when it is lost.
@Suite("The reconciler lease")
struct LeaseTests {
    private static let token = TestTenant.tokens[TestTenant.administrator] ?? ""

    @Test("Holder names carry a random instance id: two processes with one pid never share a name")
    func holderNames() {
        let environment = ["USER": "roomkeeper"]
        let first = ReconcilerLease.holderName(doing: "apply", environment: environment)
        let second = ReconcilerLease.holderName(doing: "apply", environment: environment)
        #expect(first != second)
        #expect(first.hasPrefix("roomkeeper@") && first.contains(" instance ") && first.hasSuffix(" (apply)"))
    }

    @Test("withLease gives the lease back however the work ends, so the next taker gets it at once")
    func scoped() async throws {
        try await RunningPortal.with(seed: TestTenant.seed(), tokens: TestTenant.tokens) { portal in
            let client = portal.client(token: Self.token)
            struct Failure: Error {}
            await #expect(throws: Failure.self) {
                try await ReconcilerLease.withLease(on: client, holder: "first", duration: 600) { _ in throw Failure() }
            }
            let taken = try await ReconcilerLease.withLease(on: client, holder: "second", duration: 600) { lease in lease.holder }
            #expect(taken == "second")
        }
    }

    @Test("A lease not renewed in time counts as lost by the clock alone, before the portal could hand it on")
    func lapsed() async throws {
        try await RunningPortal.with(seed: TestTenant.seed(), tokens: TestTenant.tokens) { portal in
            let clock = ManualClock()
            let lease = try await ReconcilerLease.acquire(on: portal.client(token: Self.token), holder: "slow", duration: 60, clock: clock)
            // Renewals sleep on the clock; the holder's view of time moves past the lease, less its margin.
            let deadline = ContinuousClock.now + .seconds(30)
            while clock.sleepers == 0, ContinuousClock.now < deadline { await Task.yield() }
            #expect(lease.lostReason == nil)
            clock.jump(by: .seconds(55))  // as if the renewal hung
            #expect(lease.lostReason?.contains("could not be renewed in time") == true)
            await lease.release()
        }
    }

    @Test("A lease its work outlived is not renewed; the apply then stops before its next write")
    func lostLeaseStopsApply() async throws {
        try await RunningPortal.with(seed: TestTenant.seed(rooms: 5), tokens: TestTenant.tokens) { portal in
            let client = portal.client(token: Self.token)
            let clock = ManualClock()
            // The work's deadline is 30 s away on the clock; the lease lasts two minutes.
            let lease = try await ReconcilerLease.acquire(
                on: client, holder: "stuck", duration: 120, clock: clock, renewUntil: clock.elapsed + .seconds(30))
            #expect(lease.lostReason == nil)
            // The renewal wakes at 40 s, past the deadline, and declines to renew: no real time passes.
            let deadline = ContinuousClock.now + .seconds(30)
            while clock.sleepers == 0, ContinuousClock.now < deadline { await Task.yield() }
            clock.advance(by: .seconds(40))
            while lease.lostReason == nil, ContinuousClock.now < deadline { await Task.yield() }
            let reason = try #require(lease.lostReason)
            #expect(reason.contains("ran past its deadline"))

            let groups = (0..<3).map { index in
                "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: g\(index)}\nspec: {displayName: G\(index), rooms: [\(TestTenant.room(0))]}\n"
            }
            let loaded = ManifestLoader.load(from: MemoryTree(files: ["groups.yaml": Array(groups.joined(separator: "---\n").utf8)]))
            let plan = Planner.plan(declared: loaded.manifests, live: try await LiveState.read(from: client).state, source: "test", portal: "test")
            #expect(plan.actions.count == 3)
            let report = await Executor(portal: client, journal: nil).apply(plan, stopReason: { lease.lostReason })
            #expect(report.count(.notAttempted) == 3)
            #expect(report.stoppedBecause == reason)
            #expect(try await client.roomGroupsBesidesDefault().isEmpty, "nothing was written")
            await lease.release()
        }
    }
}
