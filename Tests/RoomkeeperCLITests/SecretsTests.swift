import Foundation
import PortalEmulator
import TestSupport
import Testing

/// Tokens and git credentials set for every command: none may appear in what Roomkeeper prints,
/// logs, reports, posts, or writes to its plan, state and cache files.
@Suite("Secrets stay secret")
struct SecretsTests {
    private static let portalToken = "portal-token-7c1e9a1f0b2d4e6f"
    private static let wrongToken = "wrong-token-3b5d7f9a1c2e4a6c"
    private static let gitPassword = "git-password-9f8e7d6c5b4a3b2c"
    private static let webhookSecret = "webhook-secret-1a2b3c4d5e6f7a8b"
    private static let notifySignature = "notify-signature-0f1e2d3c4b5a6978"

    /// Every secret, and the forms it travels in (HTTP basic authentication encodes the password).
    private static var secrets: [String] {
        [portalToken, wrongToken, gitPassword, webhookSecret, notifySignature, Data("git:\(gitPassword)".utf8).base64EncodedString()]
    }

    /// Every file under `folder`, as text (binary files too: a secret is bytes either way).
    private static func contents(under folder: URL) -> [(path: String, text: String)] {
        var found: [(String, String)] = []
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        while let url = enumerator?.nextObject() as? URL {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
                let data = try? Data(contentsOf: url)
            else { continue }
            found.append((url.path, String(decoding: data, as: UTF8.self)))
        }
        return found
    }

    @Test("Plan, apply, drift with notifications and the controller never show a token, password or webhook secret")
    func nothingLeaks() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let git = try GitFixture()
        defer { git.remove() }
        try await git.create("tenants")
        try await git.commit("tenants", "Add Contoso", files: GeneratedManifests.example("contoso", under: "contoso/"))
        let gitServer = try await git.httpBackend(password: Self.gitPassword)
        defer { Task { await gitServer.stop() } }
        let (seed, _) = try TenantSeed.contoso()
        let portal = try await RunningPortal.start(
            seed: seed, tokens: ["roomkeeper@contoso.com": Self.portalToken, "nobody@contoso.com": "unused-token"])
        defer { Task { await portal.stopAndRemove() } }
        let receiver = try await WebhookReceiver.start()
        defer { Task { await receiver.stop() } }

        let cache = workspace.state.appendingPathComponent("git-cache")
        let source = ["--source", "\(gitServer.url)/tenants.git", "--path", "contoso", "--git-cache", cache.path]
        let environment = [
            "ROOMKEEPER_PORTAL_URL": portal.url, "ROOMKEEPER_TOKEN": Self.portalToken, "ROOMKEEPER_GIT_USERNAME": "git",
            "ROOMKEEPER_GIT_PASSWORD": Self.gitPassword, "ROOMKEEPER_NOTIFY_URL": "\(receiver.url)?sig=\(Self.notifySignature)",
            "ROOMKEEPER_WEBHOOK_SECRET": Self.webhookSecret,
        ]
        var printed: [(String, String)] = []
        func run(_ arguments: [String], _ extra: [String: String] = [:]) async throws -> ProcessResult {
            let result = try await workspace.run(arguments, environment: environment.merging(extra) { _, new in new })
            printed.append((arguments.joined(separator: " "), result.output + result.errors))
            return result
        }

        let planned = try await run(["plan"] + source + ["--out", "plan.json"])
        #expect(planned.status == 2, "\(planned.errors)")
        #expect(try await run(["plan"] + source + ["--format", "markdown"]).status == 2)
        #expect(try await run(["plan"] + source + ["--format", "json"]).status == 2)
        let applied = try await run(["apply", "plan.json"] + source)
        #expect(applied.status == 0, "\(applied.errors)")
        let drifted = try await run(["drift"] + source + ["--format", "html", "--out", "report.html"])
        #expect(drifted.status == 2, "\(drifted.errors)")
        #expect(try await run(["drift"] + source + ["--format", "json", "--out", "report.json"]).status == 2)
        #expect(!receiver.received.isEmpty, "the drift notification was sent")
        // Failures must not echo what they were given either.
        #expect(try await run(["drift"] + source, ["ROOMKEEPER_TOKEN": Self.wrongToken]).status == 1)
        #expect(try await run(["plan"] + source, ["ROOMKEEPER_GIT_PASSWORD": Self.wrongToken]).status == 1)

        var controllerEnvironment = workspace.environment.merging(environment) { _, new in new }
        controllerEnvironment["ROOMKEEPER_TOKEN"] = Self.portalToken
        let controller = try BackgroundProcess(
            Roomkeeper.executable,
            ["controller"] + source + ["--interval", "1h", "--listen", "127.0.0.1:0", "--log-format", "json", "--log-level", "trace"],
            environment: controllerEnvironment)
        let listening = try #require(try await controller.line(containing: "controller listening on"), "\(controller.printed)")
        let base = try #require(listening.split(separator: " ").last.map(String.init))
        _ = try await controller.line(containing: "\"message\":\"Reconciled\"")
        #expect(try await httpRequest("POST", "\(base)/hooks/git", headers: ["Authorization": "Bearer \(Self.webhookSecret)"]).status == 202)
        #expect(try await httpRequest("POST", "\(base)/hooks/git", headers: ["Authorization": "Bearer \(Self.wrongToken)"]).status == 401)
        printed.append(("controller /status", try await httpRequest("GET", "\(base)/status").body))
        printed.append(("controller /metrics", try await httpRequest("GET", "\(base)/metrics").body))
        _ = try await controller.terminate()
        printed.append(("controller", controller.printed))

        let files = Self.contents(under: workspace.state)
        #expect(files.contains { $0.path.hasSuffix("plan.json") })
        #expect(files.contains { $0.path.contains("/journal/") }, "the apply journal is checked too")
        #expect(files.contains { $0.path.contains("/drift/") }, "the drift history is checked too")
        #expect(files.contains { $0.path.hasPrefix(cache.path) }, "the git cache is checked too")
        let everything = printed + files.map { ($0.path, $0.text) } + receiver.received.map { ("notification", $0) }
        for (place, text) in everything {
            for secret in Self.secrets {
                #expect(!text.contains(secret), "a secret appears in \(place)")
            }
        }
    }
}
