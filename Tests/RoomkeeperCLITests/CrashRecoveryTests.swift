import Foundation
import PortalAPI
import PortalClient
import PortalEmulator
import TestSupport
import Testing

/// `kill -9` an apply at random points, again and again: every re-run must converge, nothing may
/// be created twice, and the lease a killed apply held must free itself when it expires.
@Suite("Crash recovery")
struct CrashRecoveryTests {
    private static let groups = 60

    @Test("Twenty apply processes killed at random points: each re-run converges, nothing twice, the lease recovers")
    func killedApplies() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let faults = try FaultPlan(parsing: "latency=20ms,seed=3")
        let portal = try await RunningPortal.start(seed: TestTenant.seed(rooms: 10), tokens: TestTenant.tokens, faults: faults)
        defer { Task { await portal.stopAndRemove() } }
        let client = portal.client(token: "admin-token")
        let folder = workspace.state.appendingPathComponent("crash")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try GeneratedManifests.pruningPolicy.write(to: folder.appendingPathComponent("roomkeeper.yaml"), atomically: true, encoding: .utf8)
        var environment = workspace.environment
        environment["ROOMKEEPER_PORTAL_URL"] = portal.url
        environment["ROOMKEEPER_TOKEN"] = "admin-token"
        let apply = ["apply", folder.path, "--auto-approve", "--lease-duration", "1", "--concurrency", "4"]

        var generator = SystemRandomNumberGenerator()
        var killedMidway = 0
        var leaseWaits = 0
        var interruptionsReported = 0
        for run in 0..<20 {
            let half = run % 4 == 3
            try GeneratedManifests.groupsAndAssignments(count: half ? Self.groups / 2 : Self.groups, rooms: 10, description: "variant \(run)").write(
                to: folder.appendingPathComponent("objects.yaml"), atomically: true, encoding: .utf8)
            let victim = try BackgroundProcess(Roomkeeper.executable, apply, environment: environment.merging(["NO_COLOR": "1"]) { _, new in new })
            try await Task.sleep(for: .milliseconds(Int.random(in: 50...700, using: &generator)))
            if victim.isRunning { killedMidway += 1 }
            try await victim.kill()

            // The re-run: refused while the dead apply's lease lasts, then converges.
            var rerun = try await workspace.run(apply, environment: environment)
            var attempts = 0
            // A 1 s lease on a busy machine may also lapse mid-run: the run then stops before its next
            // write, as it must, and the next one goes on.
            while rerun.status == 1, rerun.errors.contains("another reconciler is at work") || rerun.output.contains("lost the reconciler lease"),
                attempts < 10
            {
                leaseWaits += 1
                attempts += 1
                try await Task.sleep(for: .milliseconds(400))
                rerun = try await workspace.run(apply, environment: environment)
            }
            #expect(rerun.status == 0, "run \(run): \(rerun.output.suffix(400)) \(rerun.errors.suffix(400))")
            if rerun.errors.contains("was cut off") { interruptionsReported += 1 }
            let plan = try await workspace.run(["plan", folder.path], environment: environment)
            #expect(plan.status == 0, "run \(run): the portal converged: \(plan.output.suffix(400))")

            let expected = half ? Self.groups / 2 : Self.groups
            let groups = try await client.roomGroupsBesidesDefault().map(\.resource).filter { $0.managedBy == Ownership.roomkeeper }
            let assignments = try await client.list(PortalRoleAssignment.self).map(\.resource).filter { $0.managedBy == Ownership.roomkeeper }
            #expect(groups.count == expected && Set(groups.compactMap(\.manifestName)).count == expected, "run \(run): no group twice or missing")
            #expect(assignments.count == expected, "run \(run): no assignment twice or missing")
            #expect(groups.allSatisfy { $0.description == "variant \(run)" }, "run \(run)")
        }
        #expect(killedMidway >= 5, "many kills landed while the apply was still working")
        #expect(leaseWaits > 0, "some re-runs found the dead apply's lease and waited it out")
        #expect(interruptionsReported > 0, "a re-run reported the cut-off apply from its journal")
        print("crash recovery: 20 runs, \(killedMidway) killed mid-apply, \(leaseWaits) lease waits, \(interruptionsReported) interruptions reported")
    }
}

/// The emulator itself killed with SIGKILL while an apply writes to it.
@Suite("Emulator crash")
struct EmulatorCrashTests {
    /// Starts `roomkeeper portal serve` on `database`, returning the process and its URL.
    private static func serve(_ database: URL) async throws -> (BackgroundProcess, String) {
        let server = try BackgroundProcess(
            Roomkeeper.executable, ["portal", "serve", "--db", database.path, "--listen", "127.0.0.1:0", "--faults", "latency=150ms,seed=9"],
            environment: ["ROOMKEEPER_PORTAL_TOKENS": "roomkeeper@contoso.com=service-token", "PATH": "/usr/bin:/bin"])
        let line = try #require(try await server.line(containing: "emulator listening on"), "\(server.printed)")
        let url = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
        return (server, url)
    }

    @Test("kill -9 of the portal mid-apply loses no write the apply saw confirmed, and the next apply finishes")
    func killedPortal() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let database = workspace.state.appendingPathComponent("portal.sqlite")
        let (server, url) = try await Self.serve(database)
        var environment = workspace.environment
        environment["ROOMKEEPER_PORTAL_URL"] = url
        environment["ROOMKEEPER_TOKEN"] = "service-token"
        let apply = try BackgroundProcess(
            Roomkeeper.executable, ["apply", workspace.repository.path, "--auto-approve", "--concurrency", "1", "--lease-duration", "2"],
            environment: environment)
        // Killed as soon as the fifth action, a create, is confirmed: with up to 150 ms per request,
        // more than twenty actions are still to come, however fast or slow the machine.
        _ = try await apply.line(containing: "[5/", timeout: 30)
        try await server.kill()
        let applyStatus = try await apply.exitStatus()
        #expect(applyStatus == 1, "the apply ends with an error when its portal dies: \(apply.printed.suffix(3000))")

        // What the apply's journal says the portal confirmed must all be there after a restart.
        let journals = workspace.state.appendingPathComponent("journal")
        let journal = try #require(try FileManager.default.contentsOfDirectory(at: journals, includingPropertiesForKeys: nil).first)
        let confirmed = try String(contentsOf: journal, encoding: .utf8).split(separator: "\n").compactMap { line -> String? in
            guard let entry = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                entry["event"] as? String == "confirmed", let action = entry["action"] as? String, action.hasPrefix("create ")
            else { return nil }
            return action
        }
        #expect(!confirmed.isEmpty, "some creates were confirmed before the kill: \(apply.printed.suffix(500))")
        let (restarted, restartedURL) = try await Self.serve(database)
        defer { Task { try? await restarted.kill() } }
        let client = HTTPPortalClient(baseURL: restartedURL, token: "service-token", http: RunningPortal.testClient)
        var present: Set<String> = []
        for group in try await client.roomGroupsBesidesDefault() { present.insert("RoomGroup/\(group.resource.manifestName ?? "")") }
        for role in try await client.list(PortalRole.self) { present.insert("Role/\(role.resource.manifestName ?? "")") }
        for ring in try await client.list(PortalUpdateRing.self) { present.insert("UpdateRing/\(ring.resource.manifestName ?? "")") }
        for assignment in try await client.list(PortalRoleAssignment.self) {
            present.insert("RoleAssignment/\(assignment.resource.manifestName ?? "")")
        }
        for action in confirmed {
            #expect(present.contains(String(action.dropFirst("create ".count))), "\(action) was confirmed, so it survived the kill")
        }
        environment["ROOMKEEPER_PORTAL_URL"] = restartedURL
        // The cut-off apply could not give its lease back to a dead portal: the rerun waits until it expires.
        var rerun = try await workspace.run(["apply", "contoso", "--auto-approve"], environment: environment)
        for _ in 0..<100 where rerun.status == 1 && rerun.errors.contains("another reconciler is at work") {
            try await Task.sleep(for: .milliseconds(200))
            rerun = try await workspace.run(["apply", "contoso", "--auto-approve"], environment: environment)
        }
        #expect(rerun.status == 0, "\(rerun.errors)")
        #expect(try await workspace.run(["plan", "contoso"], environment: environment).status == 0)
        print("emulator crash: \(confirmed.count) creates confirmed before kill -9, all kept")
    }
}
