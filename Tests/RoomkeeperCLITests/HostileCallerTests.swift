import Foundation
import TestSupport
import Testing

/// Whoever reaches the controller's port: a local user, a reverse proxy, a web page in an
/// operator's browser, a flood of forged webhook deliveries. Only the probes answer them.
@Suite("Hostile callers of the controller")
struct HostileCallerTests {
    private static let adminToken = "controller-admin-token-31"
    private static let readToken = "controller-read-token-47"
    private static let webhookSecret = "controller-webhook-secret-59"

    /// Starts a controller over the example repository on the embedded portal, with `environment`
    /// added, reconciling hourly; returns it and its base URL.
    private static func start(_ workspace: Workspace, _ environment: [String: String] = [:]) async throws -> (BackgroundProcess, String) {
        let controller = try BackgroundProcess(
            Roomkeeper.executable, ["controller", workspace.repository.path, "--interval", "1h", "--listen", "127.0.0.1:0", "--log-format", "json"],
            environment: workspace.environment.merging(environment) { _, new in new })
        let listening = try #require(try await controller.line(containing: "controller listening on"), "\(controller.printed)")
        return (controller, try #require(listening.split(separator: " ").last.map(String.init)))
    }

    @Test("Without an admin token no caller may reconcile, suspend or resume, and without a read token nobody reads status or report")
    func nothingWithoutTokens() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (controller, base) = try await Self.start(workspace)
        defer { Task { try? await controller.kill() } }
        for path in ["/suspend", "/resume", "/reconcile"] {
            let answer = try await httpRequest("POST", base + path)
            #expect(answer.status == 403, "\(path): \(answer.body)")
            #expect(answer.body.contains("off until an admin token is set"))
        }
        for path in ["/status", "/report"] {
            #expect(try await httpRequest("GET", base + path).status == 403, "\(path)")
        }
        let webhook = try await httpRequest("POST", base + "/hooks/git", headers: ["Authorization": "Bearer anything"])
        #expect(webhook.status == 404 && webhook.body.contains("the git webhook is off until a webhook secret is set"), "\(webhook.body)")
        #expect(!FileManager.default.fileExists(atPath: workspace.state.appendingPathComponent("controller/suspended").path))
        #expect(try await httpRequest("GET", base + "/healthz").status == 200, "the probes answer anyone")
    }

    @Test("The operator commands send no token over plain http:// to another host")
    func plainRemote() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        for command in ["status", "suspend", "resume", "reconcile"] {
            let refused = try await workspace.run(
                ["controller", command, "--controller", "http://controller.example.net:9090"],
                environment: ["ROOMKEEPER_ADMIN_TOKEN": Self.adminToken])
            #expect(refused.status == 64, "\(command): \(refused.errors)")
            #expect(refused.errors.contains("--controller must be https:// for a controller on another host"), "\(refused.errors)")
        }
    }

    @Test("The read token reads status and report and changes nothing; the admin token does both")
    func readToken() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (controller, base) = try await Self.start(
            workspace, ["ROOMKEEPER_ADMIN_TOKEN": Self.adminToken, "ROOMKEEPER_READ_TOKEN": Self.readToken])
        defer { Task { try? await controller.kill() } }
        #expect(try await httpRequest("GET", base + "/status").status == 401)
        #expect(try await httpRequest("GET", base + "/status", headers: ["Authorization": "Bearer \(Self.readToken)"]).status == 200)
        #expect(try await httpRequest("GET", base + "/status", headers: ["Authorization": "Bearer \(Self.adminToken)"]).status == 200)
        #expect(try await httpRequest("POST", base + "/suspend", headers: ["Authorization": "Bearer \(Self.readToken)"]).status == 401)
        let shown = try await workspace.run(
            ["controller", "status", "--controller", base], environment: ["ROOMKEEPER_READ_TOKEN": Self.readToken, "ROOMKEEPER_ADMIN_TOKEN": ""])
        #expect(shown.output.contains("Controller at \(base)"), "\(shown.output) \(shown.errors)")
    }

    @Test("A web page cannot use the controller: other origins, cross-site fetches and other host names are refused even with the token")
    func browsers() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (controller, base) = try await Self.start(workspace, ["ROOMKEEPER_ADMIN_TOKEN": Self.adminToken])
        defer { Task { try? await controller.kill() } }
        let bearer = ["Authorization": "Bearer \(Self.adminToken)"]
        let hostile: [[String: String]] = [
            ["Origin": "https://evil.example"], ["Origin": "null"], ["Sec-Fetch-Site": "cross-site"], ["Sec-Fetch-Site": "same-site"],
            // DNS rebinding: the page's own name resolves to 127.0.0.1.
            ["Host": "evil.example"], ["Host": "evil.example:\(URL(string: base)?.port ?? 0)"],
        ]
        for headers in hostile {
            for path in ["/suspend", "/reconcile"] {
                let answer = try await httpRequest("POST", base + path, headers: bearer.merging(headers) { _, new in new })
                #expect(answer.status == 403, "\(path) \(headers): \(answer.status) \(answer.body)")
            }
            #expect(try await httpRequest("GET", base + "/status", headers: bearer.merging(headers) { _, new in new }).status == 403, "\(headers)")
        }
        #expect(!FileManager.default.fileExists(atPath: workspace.state.appendingPathComponent("controller/suspended").path), "nothing persisted")
        // The operator's own tools send no Origin, or the controller's own.
        let sameOrigin = try await httpRequest(
            "GET", base + "/status", headers: bearer.merging(["Origin": base, "Sec-Fetch-Site": "same-origin"]) { _, new in new })
        #expect(sameOrigin.status == 200, "\(sameOrigin.body)")
    }

    @Test("A flood of webhook deliveries queues one reconcile at a time and logs a handful of lines, not one per request")
    func webhookFlood() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (controller, base) = try await Self.start(
            workspace, ["ROOMKEEPER_WEBHOOK_SECRET": Self.webhookSecret, "ROOMKEEPER_READ_TOKEN": Self.readToken])
        defer { Task { try? await controller.kill() } }
        let before = controller.printed.split(separator: "\n").count
        try await withThrowingTaskGroup(of: (forged: Int, genuine: Int).self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var counts = (forged: 0, genuine: 0)
                    for index in 0..<100 {
                        let forged = (worker + index).isMultiple(of: 2)
                        let token = forged ? "made-up-\(index)" : Self.webhookSecret
                        let answer = try await httpRequest("POST", base + "/hooks/git", headers: ["X-Gitlab-Token": token])
                        if forged, answer.status == 401 { counts.forged += 1 }
                        if !forged, answer.status == 202 { counts.genuine += 1 }
                    }
                    return counts
                }
            }
            var total = (forged: 0, genuine: 0)
            for try await counts in group {
                total.forged += counts.forged
                total.genuine += counts.genuine
            }
            #expect(total.forged == 400 && total.genuine == 400, "\(total)")
        }
        // Each logged request queued a reconcile that ran (or runs next): none was queued twice.
        let status = try await httpRequest("GET", base + "/status", headers: ["Authorization": "Bearer \(Self.readToken)"])
        let reconciles = try #require((try JSONSerialization.jsonObject(with: Data(status.body.utf8)) as? [String: Any])?["reconciles"] as? Int)
        let lines = controller.printed.split(separator: "\n").dropFirst(before)
        let requested = lines.filter { $0.contains("Reconcile requested") }.count
        #expect(
            requested >= 1 && requested <= reconciles + 2,
            "one queued at a time, and one running: \(requested) logged, \(reconciles) reconciles finished")
        #expect(lines.count < 200, "800 requests are a few lines per reconcile, not one per request: \(lines.count)")
    }
}
