import Crypto
import Foundation
import TestSupport
import Testing

@Suite("roomkeeper controller, end to end")
struct ControllerCommandTests {
    private static let secret = "controller-webhook-secret-42"
    private static let adminToken = "controller-admin-token-77"

    /// The controller's `/status`, decoded, read with `token`.
    private static func status(_ base: String, token: String = adminToken) async throws -> [String: Any] {
        let answer = try await httpRequest("GET", "\(base)/status", headers: ["Authorization": "Bearer \(token)"])
        return try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
    }

    /// Polls `/status` until `condition` holds, for up to `seconds`.
    private static func waitForStatus(
        _ base: String, token: String = adminToken, seconds: Double = 60, _ condition: ([String: Any]) -> Bool
    ) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = try await status(base, token: token)
            if condition(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("the controller's status did not come to pass: \(last)")
        return last
    }

    @Test("Reconciles a new commit on a webhook, stalls on invalid manifests, suspends, serves its endpoints and stops on SIGTERM")
    func controllerLoop() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let git = try GitFixture()
        defer { git.remove() }
        try await git.create("tenants")
        let first = try await git.commit("tenants", "Add Contoso", files: GeneratedManifests.example("contoso"))
        let server = try await git.daemon()
        defer { Task { await server.stop() } }

        var environment = workspace.environment
        environment["ROOMKEEPER_WEBHOOK_SECRET"] = Self.secret
        environment["ROOMKEEPER_ADMIN_TOKEN"] = Self.adminToken
        let controller = try BackgroundProcess(
            Roomkeeper.executable,
            [
                "controller", "--source", "\(server.url)/tenants.git", "--git-cache", workspace.state.appendingPathComponent("git").path,
                "--interval", "1h", "--listen", "127.0.0.1:0", "--self-heal", "--log-format", "json",
            ],
            environment: environment)
        let listening = try #require(try await controller.line(containing: "controller listening on"), "\(controller.printed)")
        let base = try #require(listening.split(separator: " ").last.map(String.init))

        #expect(try await httpRequest("GET", "\(base)/healthz").status == 200)
        let ready = try await Self.waitForStatus(base) { $0["lastSuccessAt"] != nil }
        #expect(ready["condition"] as? String == "Ready")
        #expect(ready["lastAppliedRevision"] as? String == first)
        #expect(ready["driftItems"] as? Int == 1, "the rogue device: apply cannot remove a device")
        #expect(try await httpRequest("GET", "\(base)/readyz").status == 200)
        let metrics = try await httpRequest("GET", "\(base)/metrics").body
        #expect(metrics.contains("roomkeeper_reconcile_total{result=\"success\"} 1"))
        #expect(metrics.contains("roomkeeper_applied_actions_total 31"))
        #expect(metrics.contains("roomkeeper_drift_items 1"))

        // A push: the webhook needs the secret, as a bearer token or a GitHub signature.
        let second = try await git.commit(
            "tenants", "Add the lobby group",
            files: [
                "sites/lobby.yaml": """
                apiVersion: roomkeeper/v1
                kind: RoomGroup
                metadata: {name: lobby}
                spec: {displayName: Lobby, rooms: [conf-lon-3a@contoso.com]}
                """
            ])
        #expect(try await httpRequest("POST", "\(base)/hooks/git").status == 401)
        #expect(try await httpRequest("POST", "\(base)/hooks/git", headers: ["Authorization": "Bearer wrong"]).status == 401)
        let payload = #"{"ref": "refs/heads/main"}"#
        let signature = HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: SymmetricKey(data: Data(Self.secret.utf8)))
            .map { String(format: "%02x", $0) }.joined()
        let hooked = try await httpRequest("POST", "\(base)/hooks/git", headers: ["X-Hub-Signature-256": "sha256=\(signature)"], body: payload)
        #expect(hooked.status == 202)
        let healed = try await Self.waitForStatus(base, seconds: 30) { $0["lastAppliedRevision"] as? String == second }
        #expect(healed["condition"] as? String == "Ready")
        // The rogue device is drift that apply cannot fix, so the reason stays DriftDetected.
        #expect((healed["message"] as? String)?.hasPrefix("healed, 1 actions applied") == true, "\(healed)")
        #expect(try await httpRequest("GET", "\(base)/metrics").body.contains("roomkeeper_applied_actions_total 32"))

        // A person renames a group in the portal; the next reconcile reverts it, and says whose edit it undid.
        let megan = try await DriftCommandTests.asPerson(workspace)
        let group = try #require(try await megan.roomGroupsBesidesDefault().first { $0.resource.manifestName == "london-floor-3" })
        var renamed = group.resource
        renamed.displayName = "Megan's rooms"
        _ = try await megan.replace(renamed, ifMatch: group.etag)
        let operatorEnvironment = ["ROOMKEEPER_ADMIN_TOKEN": Self.adminToken, "PATH": "/usr/bin:/bin"]
        let finished = healed["reconciles"] as? Int ?? 0
        let asked = try await workspace.run(["controller", "reconcile", "--controller", base], environment: operatorEnvironment)
        #expect(asked.status == 0 && asked.output.contains("reconcile requested"), "\(asked.output) \(asked.errors)")
        let reverted = try await Self.waitForStatus(base, seconds: 30) { ($0["reconciles"] as? Int ?? 0) > finished }
        #expect((reverted["message"] as? String)?.hasPrefix("healed, 1 actions applied") == true, "\(reverted)")
        let revertLine = try #require(
            controller.printed.split(separator: "\n").first { $0.contains("Self-heal reverts a person's edit") }, "\(controller.printed.suffix(3000))"
        )
        #expect(revertLine.contains("\"changedBy\":\"megan.bowen@contoso.com\"") && revertLine.contains("london-floor-3"), "\(revertLine)")
        // Nothing left to apply: in sync, not healed.
        #expect(try await workspace.run(["controller", "reconcile", "--controller", base], environment: operatorEnvironment).status == 0)
        let quiet = try await Self.waitForStatus(base, seconds: 30) { ($0["reconciles"] as? Int ?? 0) > finished + 1 }
        #expect(quiet["reason"] as? String == "DriftDetected" && quiet["message"] as? String == "1 drift items left", "nothing applied: \(quiet)")
        let report = try await httpRequest("GET", "\(base)/report", headers: ["Authorization": "Bearer \(Self.adminToken)"])
        #expect(
            report.status == 200 && report.body.contains("Roomkeeper drift report") && report.body.contains("<svg"), "the chart of the checks so far")

        // Invalid manifests stall the controller until a new revision; nothing is applied. Stalled
        // is a status, not a reason to take the pod out of service: /readyz stays ready.
        let broken = try await git.commit(
            "tenants", "Typo",
            files: ["sites/lobby.yaml": "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: lobby}\nspec: {displayName: Lobby, roms: []}\n"]
        )
        #expect(try await httpRequest("POST", "\(base)/hooks/git", headers: ["Authorization": "Bearer \(Self.secret)"]).status == 202)
        let stalled = try await Self.waitForStatus(base, seconds: 30) {
            $0["lastAttemptedRevision"] as? String == broken && $0["condition"] as? String == "Stalled"
        }
        #expect(stalled["reason"] as? String == "ManifestInvalid")
        #expect((stalled["message"] as? String)?.contains("sites/lobby.yaml:4:28: unknown field 'roms' in RoomGroup spec") == true)
        #expect(stalled["lastAppliedRevision"] as? String == second)
        let readiness = try await httpRequest("GET", "\(base)/readyz")
        #expect(readiness.status == 200, "\(readiness.body)")
        let shown = try await workspace.run(["controller", "status", "--controller", base], environment: operatorEnvironment)
        #expect(shown.status == 2 && shown.output.contains("Stalled, ManifestInvalid (self-heal)"), "\(shown.output) \(shown.errors)")

        // Suspend and resume need the admin token: a captured push delivery (the webhook secret or
        // its signature) cannot be replayed against them.
        #expect(try await httpRequest("POST", "\(base)/suspend", headers: ["X-Gitlab-Token": Self.secret]).status == 401)
        #expect(try await httpRequest("POST", "\(base)/suspend", headers: ["Authorization": "Bearer \(Self.secret)"]).status == 401)
        #expect(
            try await httpRequest("POST", "\(base)/suspend", headers: ["X-Hub-Signature-256": "sha256=\(signature)"], body: payload).status == 401)
        #expect(try await Self.status(base)["suspended"] as? Bool == false)
        let suspended = try await workspace.run(["controller", "suspend", "--controller", base], environment: operatorEnvironment)
        #expect(suspended.status == 0, "\(suspended.errors)")
        #expect(try await Self.status(base)["suspended"] as? Bool == true)
        #expect(FileManager.default.fileExists(atPath: workspace.state.appendingPathComponent("controller/suspended").path))
        #expect(try await httpRequest("GET", "\(base)/metrics").body.contains("roomkeeper_suspended_state 1"))
        // A suspended controller refuses a push rather than accept and ignore it.
        #expect(try await httpRequest("POST", "\(base)/hooks/git", headers: ["Authorization": "Bearer \(Self.secret)"]).status == 409)
        let refused = try await workspace.run(["controller", "reconcile", "--controller", base], environment: operatorEnvironment)
        #expect(refused.status == 1 && refused.errors.contains("suspended"), "\(refused.errors)")
        #expect(try await workspace.run(["controller", "resume", "--controller", base], environment: operatorEnvironment).status == 0)
        #expect(try await Self.status(base)["suspended"] as? Bool == false)
        let metricsText = try await httpRequest("GET", "\(base)/metrics").body
        #expect(
            metricsText.contains("hb_requests_total") || metricsText.contains("hb_requests"),
            "Hummingbird's request metrics: \(metricsText.prefix(2000))")

        // SIGTERM: a clean stop.
        let exit = try await controller.terminate()
        #expect(exit == 0, "\(controller.printed)")
        let logs = controller.printed.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!logs.isEmpty)
        for line in logs {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "every log line is JSON: \(line)")
        }
        #expect(controller.printed.contains("\"message\":\"Controller stopped\""))
        #expect(!controller.printed.contains(Self.secret), "the secret is never logged")
    }

    @Test("--help shows durations as they are written: the default interval is 5m")
    func helpShowsDurations() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let group = try await workspace.run(["controller", "--help"])
        #expect(group.output.contains("run (default)") && group.output.contains("every 5m by default"), "\(group.output)")
        let help = try await workspace.run(["controller", "run", "--help"])
        #expect(help.status == 0)
        #expect(help.output.contains("(default: 5m)"), "\(help.output)")
        #expect(!help.output.contains("Interval("))
    }

    @Test("A blank webhook secret or admin token stops start-up instead of turning authentication off")
    func blankSecrets() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let blank = workspace.state.appendingPathComponent("secret")
        try " \n\t\n".write(to: blank, atomically: true, encoding: .utf8)
        chmod(blank.path, 0o600)
        let fromFile = try await workspace.run(["controller", "contoso", "--webhook-secret-file", blank.path, "--listen", "127.0.0.1:0"])
        #expect(fromFile.status == 1)
        #expect(fromFile.errors.contains("\(blank.path) (--webhook-secret-file) is empty; give it a secret or leave it out"), "\(fromFile.errors)")
        let fromEnvironment = try await workspace.run(
            ["controller", "contoso", "--listen", "127.0.0.1:0"], environment: ["ROOMKEEPER_ADMIN_TOKEN": "  "])
        #expect(fromEnvironment.status == 1)
        #expect(fromEnvironment.errors.contains("ROOMKEEPER_ADMIN_TOKEN is empty"), "\(fromEnvironment.errors)")

        // As ssh does with a private key: a secret other users may read is refused.
        let shared = workspace.state.appendingPathComponent("shared-secret")
        try "a-real-secret\n".write(to: shared, atomically: true, encoding: .utf8)
        chmod(shared.path, 0o644)
        for flag in ["--admin-token-file", "--webhook-secret-file", "--read-token-file"] {
            let exposed = try await workspace.run(["controller", "contoso", flag, shared.path, "--listen", "127.0.0.1:0"])
            #expect(exposed.status == 1, "\(flag)")
            #expect(exposed.errors.contains("\(shared.path) holds a secret but other users may read it (mode 644)"), "\(exposed.errors)")
        }
        let token = try await workspace.run(
            ["plan", "contoso", "--portal", "https://portal.example.net", "--token-file", shared.path], environment: ["ROOMKEEPER_PORTAL_URL": ""])
        #expect(token.status == 1)
        #expect(token.errors.contains("chmod 600 \(shared.path)"), "\(token.errors)")
    }

    @Test(
        "A reconcile stuck on a stalled portal is abandoned at its deadline; /readyz says so; probes listen apart; the source URL is logged without credentials"
    )
    func stuckReconcile() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let stalled = try await HostileServer.start(.stallAfterHeaders)
        defer { Task { await stalled.stop() } }
        let git = try GitFixture()
        defer { git.remove() }
        try await git.create("tenants")
        try await git.commit("tenants", "Add Contoso", files: GeneratedManifests.example("contoso"))
        let daemon = try await git.daemon()
        defer { Task { await daemon.stop() } }
        let remote = daemon.url.replacingOccurrences(of: "git://", with: "git://git-user:git-password-99@") + "/tenants.git"
        var environment = workspace.environment
        environment["ROOMKEEPER_PORTAL_URL"] = stalled.url
        environment["ROOMKEEPER_TOKEN"] = "portal-token-abc"
        environment["ROOMKEEPER_READ_TOKEN"] = "status-reader-1"
        let controller = try BackgroundProcess(
            Roomkeeper.executable,
            [
                "controller", "--source", remote, "--git-cache", workspace.state.appendingPathComponent("git").path, "--interval", "1h",
                "--listen", "127.0.0.1:0", "--probe-listen", "127.0.0.1:0", "--reconcile-timeout", "2s", "--portal-timeout", "600",
            ],
            environment: environment)
        defer { Task { try? await controller.kill() } }
        let probes = try #require(try await controller.line(containing: "controller probes on"), "\(controller.printed)")
        let base = try #require(probes.split(separator: " ").last.map(String.init))
        let triggers = try #require(try await controller.line(containing: "controller listening on"))
        let triggerBase = try #require(triggers.split(separator: " ").last.map(String.init))

        let timedOut = try await Self.waitForStatus(triggerBase, token: "status-reader-1", seconds: 60) {
            $0["reason"] as? String == "ReconcileTimedOut"
        }
        #expect(timedOut["condition"] as? String == "Failing")
        #expect((timedOut["message"] as? String)?.contains("did not finish within 2 s") == true)
        let readiness = try await httpRequest("GET", "\(base)/readyz")
        #expect(readiness.status == 503)
        #expect(readiness.body == "not ready\n", "probes say nothing of the tenant: \(readiness.body)")
        #expect(try await httpRequest("GET", "\(triggerBase)/readyz").status == 404, "the probes listen apart")
        for path in ["/status", "/report"] {
            #expect(
                try await httpRequest("GET", "\(base)\(path)", headers: ["Authorization": "Bearer status-reader-1"]).status == 404,
                "\(path) is not a probe")
        }
        #expect(!controller.printed.contains("git-password-99"), "\(controller.printed)")
    }
}
