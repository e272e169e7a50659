import Crypto
import Foundation
import TestSupport
import Testing

@Suite("roomkeeper controller, end to end")
struct ControllerCommandTests {
    private static let secret = "controller-webhook-secret-42"

    /// The controller's `/status`, decoded.
    private static func status(_ base: String) async throws -> [String: Any] {
        let answer = try await httpRequest("GET", "\(base)/status")
        return try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any])
    }

    /// Polls `/status` until `condition` holds, for up to `seconds`.
    private static func waitForStatus(_ base: String, seconds: Double = 60, _ condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(seconds)
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = try await status(base)
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
        let second = try await git.commit("tenants", "Add the lobby group", files: [
            "sites/lobby.yaml": """
                apiVersion: roomkeeper/v1
                kind: RoomGroup
                metadata: {name: lobby}
                spec: {displayName: Lobby, rooms: [conf-lon-3a@contoso.com]}
                """,
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
        #expect(try await httpRequest("GET", "\(base)/metrics").body.contains("roomkeeper_applied_actions_total 32"))

        // Invalid manifests stall the controller until a new revision; nothing is applied.
        let broken = try await git.commit("tenants", "Typo", files: ["sites/lobby.yaml": "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: lobby}\nspec: {displayName: Lobby, roms: []}\n"])
        #expect(try await httpRequest("POST", "\(base)/hooks/git", headers: ["Authorization": "Bearer \(Self.secret)"]).status == 202)
        let stalled = try await Self.waitForStatus(base, seconds: 30) { $0["lastAttemptedRevision"] as? String == broken && $0["condition"] as? String == "Stalled" }
        #expect(stalled["reason"] as? String == "ManifestInvalid")
        #expect((stalled["message"] as? String)?.contains("sites/lobby.yaml:4:28: unknown field 'roms' in RoomGroup spec") == true)
        #expect(stalled["lastAppliedRevision"] as? String == second)
        #expect(try await httpRequest("GET", "\(base)/readyz").status == 503)

        // Suspend and resume.
        #expect(try await httpRequest("POST", "\(base)/suspend", headers: ["X-Gitlab-Token": Self.secret]).status == 202)
        #expect(try await Self.status(base)["suspended"] as? Bool == true)
        #expect(FileManager.default.fileExists(atPath: workspace.state.appendingPathComponent("controller/suspended").path))
        #expect(try await httpRequest("GET", "\(base)/metrics").body.contains("roomkeeper_suspended_state 1"))
        #expect(try await httpRequest("POST", "\(base)/resume", headers: ["X-Gitlab-Token": Self.secret]).status == 202)
        #expect(try await Self.status(base)["suspended"] as? Bool == false)

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
}
