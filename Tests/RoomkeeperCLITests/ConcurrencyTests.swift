import Foundation
import PortalAPI
import PortalEmulator
import TestSupport
import Testing

/// Two reconcilers at once: a person's apply while the controller heals. The lease lets one work
/// at a time; the other is told who holds it, and nothing is lost or done twice.
@Suite("Concurrent reconcilers")
struct ConcurrencyTests {
    @Test("An apply while the controller self-heals is refused with the holder's name, then converges")
    func applyDuringControllerReconcile() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (seed, _) = try TenantSeed.contoso()
        // Slow enough that the controller's apply of 31 actions is still running when the person's starts.
        let portal = try await RunningPortal.start(
            seed: seed, tokens: ["roomkeeper@contoso.com": "service-token"], faults: try FaultPlan(parsing: "latency=150ms,seed=5"))
        defer { Task { await portal.stopAndRemove() } }
        var environment = workspace.environment
        environment["ROOMKEEPER_PORTAL_URL"] = portal.url
        environment["ROOMKEEPER_TOKEN"] = "service-token"

        let controller = try BackgroundProcess(
            Roomkeeper.executable,
            [
                "controller", workspace.repository.path, "--interval", "1h", "--listen", "127.0.0.1:0", "--self-heal", "--concurrency", "1",
                "--log-format", "json",
            ],
            environment: environment)
        defer { Task { try? await controller.kill() } }
        _ = try #require(try await controller.line(containing: "controller listening on"), "\(controller.printed)")
        // Wait until the controller's own apply has started (its first action is journaled), then apply as a person.
        let journals = workspace.state.appendingPathComponent("journal")
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, ((try? FileManager.default.contentsOfDirectory(atPath: journals.path)) ?? []).isEmpty {
            try await Task.sleep(for: .milliseconds(20))
        }
        let refused = try await workspace.run(["apply", "contoso", "--auto-approve"], environment: environment)
        #expect(refused.status == 1, "\(refused.output.suffix(300))")
        #expect(refused.errors.contains("another reconciler is at work: the reconciler lease is held by"))
        #expect(refused.errors.contains("(controller)"), "the message names who holds it: \(refused.errors)")
        #expect(refused.errors.contains("nothing was applied"))

        // When the controller is done, the person's apply finds nothing left to do.
        _ = try await controller.line(containing: "\"message\":\"Reconciled\"", timeout: 60)
        let after = try await workspace.run(["apply", "contoso", "--auto-approve"], environment: environment)
        #expect(after.status == 0, "\(after.errors)")
        #expect(!after.output.contains("Apply complete"), "the controller had done it all, once")
        let groups = try await portal.client(token: "service-token").roomGroupsBesidesDefault().map(\.resource)
        let managed = groups.compactMap(\.manifestName)
        #expect(managed.count == Set(managed).count, "no object twice")
        _ = try await controller.terminate()
    }
}
