import Foundation
import Logging
import PortalAPI
import PortalClient
import Synchronization
import TestSupport
import Testing

@testable import Controller

/// The reconcile loop's decisions, against a real emulator: failures back off, a denied token
/// stalls, recovery resets, and the wake-up never loses a signal.
@Suite("The controller's loop")
struct ControllerTests {
    /// A manifest folder for the test tenant: one room group.
    private static func repository() throws -> URL {
        let folder = try temporaryFolder("roomkeeper-controller")
        try """
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: first-rooms}
        spec: {displayName: First rooms, rooms: [\(TestTenant.room(0))]}
        """.write(to: folder.appendingPathComponent("groups.yaml"), atomically: true, encoding: .utf8)
        return folder
    }

    /// Which portal the controller gets: none (it is down), the administrator's, or a refused token.
    private enum Access: Sendable { case down, granted, refused }

    @Test("Failures back off from the retry interval up to the interval; a denied token stalls; recovery resets")
    func failuresAndRecovery() async throws {
        let folder = try Self.repository()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await RunningPortal.with(seed: TestTenant.seed(onboardingUnit: false), tokens: TestTenant.tokens) { portal in
            let access = Mutex(Access.down)
            let url = portal.url
            let controller = Controller(
                configuration: .testing(
                    .folder(folder.path), root: folder, interval: .seconds(10), retryInterval: .seconds(1),
                    openPortal: {
                        switch access.withLock({ $0 }) {
                        case .down: throw PortalError(status: 0, code: "ConnectionFailed", message: "could not reach the portal")
                        case .granted: return HTTPPortalClient(baseURL: url, token: "admin-token", http: RunningPortal.testClient)
                        case .refused: return HTTPPortalClient(baseURL: url, token: "nobody-token", http: RunningPortal.testClient)
                        }
                    }),
                logger: Logger(label: "test"))

            // Before a reconcile has found anything, what it finds is unknown: no sample, not 0.
            let unknown = controller.metrics.exposition()
            #expect(!unknown.contains("roomkeeper_drift_items") && !unknown.contains("roomkeeper_last_success_timestamp"), "\(unknown)")
            #expect(await !controller.status.isReady, "starting")
            var delays: [Double] = []
            for _ in 0..<5 {
                await controller.reconcile()
                delays.append(await controller.nextDelay().seconds)
            }
            let failing = await controller.status
            #expect(failing.condition == .failing)
            #expect(failing.reason == .portalUnreachable)
            #expect(failing.consecutiveFailures == 5)
            #expect(delays == [1, 2, 4, 8, 10], "doubling from the retry interval, capped at the interval")
            #expect(controller.metrics.exposition().contains("roomkeeper_reconcile_total{result=\"failure\"} 5"))
            #expect(!controller.metrics.exposition().contains("roomkeeper_drift_items"), "still unknown: no check has succeeded")
            #expect(failing.isReady, "failing is a status; the pod still takes the webhook that may bring the fix")
            #expect(await controller.latestReport == nil)

            access.withLock { $0 = .refused }
            await controller.reconcile()
            let stalled = await controller.status
            #expect(stalled.condition == .stalled, "a token without the permissions needs a person, not retries")
            #expect(stalled.reason == .accessDenied)
            #expect(await controller.nextDelay().seconds == 10)
            #expect(stalled.isReady, "stalled is a status, not a reason to drop the pod")

            access.withLock { $0 = .granted }
            await controller.reconcile()
            let ready = await controller.status
            #expect(ready.condition == .ready)
            #expect(ready.reason == .healed, "self-heal created the group, and the report found the portal in sync: \(ready.message)")
            #expect(ready.consecutiveFailures == 0)
            #expect(ready.isReady)
            #expect(controller.metrics.exposition().contains("roomkeeper_drift_items 0"))
            #expect(await controller.latestReport?.inSync == true)
            await controller.reconcile()
            #expect(await controller.status.reason == .inSync, "nothing was applied this time")
            let groups = try await portal.client(token: "admin-token").roomGroupsBesidesDefault()
            #expect(groups.contains { $0.resource.manifestName == "first-rooms" })
        }
    }

    @Test("Invalid manifests stall the controller without touching the portal")
    func invalidManifestsStall() async throws {
        let folder = try Self.repository()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: Bad_Name}\nspec: {displayName: x}\n"
            .write(to: folder.appendingPathComponent("bad.yaml"), atomically: true, encoding: .utf8)
        let opened = Mutex(0)
        let controller = Controller(
            configuration: .testing(
                .folder(folder.path), root: folder, interval: .seconds(60),
                openPortal: {
                    opened.withLock { $0 += 1 }
                    throw PortalError(status: 0, code: "Unreachable", message: "not expected")
                }),
            logger: Logger(label: "test"))
        await controller.reconcile()
        let status = await controller.status
        #expect(status.condition == .stalled)
        #expect(status.reason == .manifestInvalid)
        #expect(status.message.contains("1 error in") && status.message.contains("bad.yaml:3:18: 'Bad_Name' is not a valid name"))
        #expect(opened.withLock { $0 } == 0, "no portal is opened for invalid manifests")
    }

    @Test("A wake-up signalled before anyone waits is kept; a wait ends at its timeout")
    func wakeup() async {
        let wakeup = Wakeup()
        await wakeup.signal()
        let clock = ContinuousClock()
        let early = clock.now
        await wakeup.wait(for: .seconds(30))
        #expect(clock.now - early < .seconds(5), "the kept signal ended the wait at once")
        let timed = clock.now
        await wakeup.wait(for: .milliseconds(50))
        #expect(clock.now - timed >= .milliseconds(50))
    }
}
