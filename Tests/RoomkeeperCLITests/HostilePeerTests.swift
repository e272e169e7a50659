import Foundation
import TestSupport
import Testing

/// A hostile portal, a hostile git server and hostile saved plans, each a small real server or
/// file, against the release's command line: credentials go only where the operator said, and
/// nothing from outside crashes, hangs or exhausts Roomkeeper.
@Suite("Hostile peers")
struct HostilePeerTests {
    private static let token = "portal-token-7f3a9c"

    /// The environment for a remote portal at `url` with a token.
    private static func remote(_ workspace: Workspace, _ url: String) -> [String: String] {
        ["ROOMKEEPER_PORTAL_URL": url, "ROOMKEEPER_TOKEN": token]
    }

    @Test("The operator chooses the portal: never roomkeeper.yaml, never by default, only https or loopback, no userinfo or query")
    func portalChoice() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let recorder = try await HostileServer.start(.errorMessage("should never be asked"))
        defer { Task { await recorder.stop() } }

        // A portal named in git is refused with file:line, and receives nothing.
        try workspace.edit("roomkeeper.yaml") { $0.replacingOccurrences(of: "spec:\n", with: "spec:\n  portal: {url: \"\(recorder.url)\"}\n") }
        let fromGit = try await workspace.run(["plan", "contoso"], environment: Self.remote(workspace, recorder.url))
        #expect(fromGit.status == 1)
        #expect(
            fromGit.errors.contains("roomkeeper.yaml:") && fromGit.errors.contains("error: roomkeeper.yaml may not choose the portal"),
            "\(fromGit.errors)")
        #expect(recorder.requests.isEmpty)
        try workspace.edit("roomkeeper.yaml") { $0.replacingOccurrences(of: "  portal: {url: \"\(recorder.url)\"}\n", with: "") }

        // Nothing configured: exit 1 and how to configure one, never the embedded portal by default.
        let none = try await workspace.run(["plan", "contoso"], environment: ["ROOMKEEPER_PORTAL_URL": ""])
        #expect(none.status == 1)
        #expect(none.errors.contains("no portal is configured: pass --portal URL"), "\(none.errors)")
        #expect(!none.errors.contains("USAGE") && !none.output.contains("against the embedded portal"))
        #expect(!FileManager.default.fileExists(atPath: workspace.state.appendingPathComponent("embedded-portal.sqlite").path))

        let refused: [(String, String)] = [
            ("http://portal.example.net/api", "must be reached over https://"),
            ("https://svc:hunter2@127.0.0.1:9/api", "may not hold a user name or password"),
            ("https://127.0.0.1:9/api?redirect=evil", "may not have a query or fragment"),
            ("ftp://127.0.0.1/api", "must start with https://"),
        ]
        for (url, message) in refused {
            let result = try await workspace.run(["plan", "contoso", "--portal", url], environment: ["ROOMKEEPER_TOKEN": Self.token])
            #expect(result.status == 1, "\(url)")
            #expect(result.errors.contains(message), "\(url): \(result.errors)")
            #expect(!result.errors.contains("hunter2") && !result.errors.contains(Self.token))
        }
        let embeddedWithToken = try await workspace.run(["plan", "contoso", "--portal", "embedded"], environment: ["ROOMKEEPER_TOKEN": Self.token])
        #expect(embeddedWithToken.status == 1)
        #expect(embeddedWithToken.errors.contains("the portal is the embedded one, which takes none"))
        #expect(recorder.requests.isEmpty)
    }

    @Test("Paging never leaves the portal: a nextLink elsewhere or in a loop is refused, and the token stays home")
    func paging() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let elsewhere = try await HostileServer.start(.errorMessage("stolen"))
        let hostile = try await HostileServer.start(.nextLink("\(elsewhere.url)/v1/rooms?$top=1000"))
        let looping = try await HostileServer.start(.loopingNextLink)
        defer {
            Task {
                await elsewhere.stop()
                await hostile.stop()
                await looping.stop()
            }
        }

        let foreign = try await workspace.run(["plan", "contoso"], environment: Self.remote(workspace, hostile.url))
        #expect(foreign.status == 1)
        #expect(foreign.errors.contains("points to \(elsewhere.url), not to \(hostile.url); Roomkeeper does not follow it"), "\(foreign.errors)")
        #expect(elsewhere.requests.isEmpty, "the token followed the link: \(elsewhere.requests)")

        // A delta read's last link names where to ask next time: only its token is kept, and a
        // link to another origin is refused rather than trusted.
        let foreignDelta = try await HostileServer.start(.deltaLink("\(elsewhere.url)/v1/rooms/delta?$deltatoken=abc"))
        defer { Task { await foreignDelta.stop() } }
        let refused = try await workspace.run(["plan", "contoso"], environment: Self.remote(workspace, foreignDelta.url))
        #expect(refused.status == 1)
        #expect(refused.errors.contains("points to \(elsewhere.url), not to \(foreignDelta.url); Roomkeeper does not follow it"), "\(refused.errors)")
        #expect(elsewhere.requests.isEmpty, "a request went to the delta link's host: \(elsewhere.requests)")

        let loop = try await workspace.run(["plan", "contoso"], environment: Self.remote(workspace, looping.url))
        #expect(loop.status == 1)
        #expect(loop.errors.contains("links back to a page it already gave"), "\(loop.errors)")
        #expect(looping.requests.count < 20)
    }

    @Test("The emulator builds its links from its own base URL, never from the Host header")
    func emulatorLinks() async throws {
        let portal = try await RunningPortal.start(seed: TestTenant.seed(rooms: 5), tokens: TestTenant.tokens)
        defer { Task { await portal.stopAndRemove() } }
        let token = TestTenant.tokens[TestTenant.administrator] ?? ""
        let page = try await httpRequest(
            "GET", "\(portal.url)/v1/rooms?$top=2", headers: ["Authorization": "Bearer \(token)", "Host": "evil.example:666"])
        #expect(page.status == 200)
        #expect(page.body.contains("\"@odata.nextLink\":\"\(portal.url)/v1/rooms?"), "\(page.body)")
        #expect(!page.body.contains("evil.example"))
    }

    @Test(
        "Retry-After is parsed as RFC 9110 says: hostile values neither crash nor stall the CLI",
        arguments: ["-1e300", "-inf", "nan", "99999999999", "1.5"])
    func retryAfter(_ value: String) async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let hostile = try await HostileServer.start(.retryAfter(value))
        defer { Task { await hostile.stop() } }
        let started = ContinuousClock.now
        let result = try await workspace.run(["plan", "contoso"], environment: Self.remote(workspace, hostile.url))
        // Exit 1 with the portal's answer; never a crash (132) or the whole 60 s budget.
        #expect(result.status == 1, "\(value): \(result.errors)")
        #expect(result.errors.contains("slow down"), "\(result.errors)")
        #expect(ContinuousClock.now - started < .seconds(45), "\(value) waited out the budget")
    }

    @Test("A portal that stalls after its headers fails the plan with a clear error instead of hanging")
    func stalledPortal() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let hostile = try await HostileServer.start(.stallAfterHeaders)
        defer { Task { await hostile.stop() } }
        let result = try await workspace.run(["plan", "contoso", "--portal-timeout", "1"], environment: Self.remote(workspace, hostile.url))
        #expect(result.status == 1)
        #expect(result.errors.contains("no answer within 1 s"), "\(result.errors)")
    }

    @Test("A git server that accepts and never answers is cut off, named, with the limit that stopped it")
    func silentGitServer() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let silent = try await HostileServer.start(.silent)
        defer { Task { await silent.stop() } }
        let result = try await workspace.run(
            [
                "plan", "--source", "\(silent.url)/rooms.git", "--source-timeout", "2", "--git-cache",
                workspace.state.appendingPathComponent("git").path,
            ])
        #expect(result.status == 1)
        #expect(result.errors.contains("\(silent.url)/rooms.git sent nothing for 2 s; the fetch was stopped"), "\(result.errors)")
    }

    @Test("Git credentials go only to the configured remote: a redirect elsewhere gets none")
    func gitRedirect() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let asking = try await HostileServer.start(.askForCredentials)
        let redirecting = try await HostileServer.start(.redirect(to: asking.url))
        defer {
            Task {
                await asking.stop()
                await redirecting.stop()
            }
        }
        let result = try await workspace.run(
            ["plan", "--source", "\(redirecting.url)/rooms.git", "--git-cache", workspace.state.appendingPathComponent("git").path],
            environment: ["ROOMKEEPER_GIT_TOKEN": "git-token-55aa"])
        #expect(result.status == 1)
        #expect(
            result.errors.contains("withheld the git credentials for \(redirecting.url)/rooms.git: the server asked for them for \(asking.url)"),
            "\(result.errors)")
        #expect(!asking.sawCredentials && !redirecting.sawCredentials, "\(asking.requests) \(redirecting.requests)")
        #expect(!result.errors.contains("git-token-55aa"))
    }

    @Test("Sign-in follows no redirect: a 307 from the sign-in host sends the client secret nowhere else", arguments: [307, 308, 302])
    func signInRedirect(status: Int) async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let elsewhere = try await HostileServer.start(.errorMessage("you should not be here"))
        defer { Task { await elsewhere.stop() } }
        let redirecting = try await HostileServer.start(.redirect(to: elsewhere.url, status: status))
        defer { Task { await redirecting.stop() } }
        let result = try await workspace.run(
            ["plan", "contoso", "--graph"],
            environment: [
                "AZURE_TENANT_ID": "7b6f1a2c-0d3e-4f5a-9b8c-1d2e3f4a5b6c", "AZURE_CLIENT_ID": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
                "AZURE_CLIENT_SECRET": "client-secret-never-elsewhere", "AZURE_AUTHORITY_HOST": redirecting.url,
                "ROOMKEEPER_GRAPH_ENDPOINT": elsewhere.url,
            ])
        #expect(result.status == 1, "\(result.output) \(result.errors)")
        #expect(redirecting.requests.count >= 1, "the sign-in host was asked")
        #expect(elsewhere.requests.isEmpty, "nothing followed the redirect: \(elsewhere.requests)")
        #expect(!(result.output + result.errors).contains("client-secret-never-elsewhere"))
    }

    @Test("A notification webhook over plain http:// to another host is refused before anything is read or sent")
    func plainWebhook() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        for url in ["http://hooks.example.net/teams/abc", "HTTP://10.0.0.7/hook"] {
            let refused = try await workspace.run(["drift", "contoso", "--notify", url])
            #expect(refused.status == 64, "\(url): \(refused.errors)")
            #expect(refused.errors.contains("the webhook URL must be https:// (plain http:// only to this machine)"), "\(refused.errors)")
            let controller = try await workspace.run(["controller", "contoso", "--notify", url, "--listen", "127.0.0.1:0"])
            #expect(controller.status == 64, "\(controller.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: workspace.state.appendingPathComponent("embedded-portal.sqlite").path))
    }

    @Test("A portal's error text and a lease holder reach the terminal escaped")
    func controlCharacters() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let hostile = try await HostileServer.start(.errorMessage("denied\\x1b]0;owned\\x07\\x1b[2J"))
        defer { Task { await hostile.stop() } }
        let result = try await workspace.run(["plan", "contoso"], environment: Self.remote(workspace, hostile.url))
        #expect(result.status == 1)
        #expect(result.errors.contains("denied\\u{1B}]0;owned"), "\(result.errors)")
        #expect(!(result.output + result.errors).unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
    }
}

/// Saved plans are files anyone might have edited: checked, never trusted.
@Suite("Hostile saved plans")
struct HostileSavedPlanTests {
    /// Saves a plan of the workspace's repository, edits its JSON with `change`, and applies it.
    private static func apply(
        _ workspace: Workspace, _ arguments: [String] = [], change: (inout [String: Any]) -> Void
    ) async throws -> ProcessResult {
        let saved = workspace.state.appendingPathComponent("plan.json")
        let planned = try await workspace.run(["plan", "contoso", "--out", saved.path])
        #expect(planned.status == 2, "\(planned.errors)")
        var plan = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: saved)) as? [String: Any])
        change(&plan)
        try JSONSerialization.data(withJSONObject: plan).write(to: saved)
        return try await workspace.run(["apply", saved.path] + arguments)
    }

    @Test("An id with path characters, another format, another portal or an edited action is refused, and nothing is written")
    func refused() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let escape = try await Self.apply(workspace) { $0["id"] = "../../escaped" }
        #expect(escape.status == 1)
        #expect(escape.errors.contains("has a plan id that Roomkeeper never writes"), "\(escape.errors)")
        #expect(!FileManager.default.fileExists(atPath: workspace.state.deletingLastPathComponent().appendingPathComponent("escaped.jsonl").path))

        let future = try await Self.apply(workspace) { $0["formatVersion"] = "9.0" }
        #expect(future.status == 1)
        #expect(future.errors.contains("is a plan of format 9.0; this Roomkeeper applies 1.3: run plan again"), "\(future.errors)")

        let otherPortal = try await Self.apply(workspace) { $0["portal"] = "https://portal.example.net" }
        #expect(otherPortal.status == 1)
        #expect(otherPortal.errors.contains("the plan was made against the portal at https://portal.example.net"), "\(otherPortal.errors)")

        // Someone widened an assignment in the file: the planner would never produce it.
        let widened = try await Self.apply(workspace) { plan in
            guard var actions = plan["actions"] as? [[String: Any]],
                let index = actions.firstIndex(where: { ($0["id"] as? String) == "create RoleAssignment/seattle-technicians" }),
                var payload = actions[index]["payload"] as? [String: Any], var object = payload["roleAssignment"] as? [String: Any]
            else {
                Issue.record("the plan has no such action")
                return
            }
            object["scope"] = ["allRooms": true, "roomGroupIds": [], "roomIds": []]
            payload["roleAssignment"] = object
            actions[index]["payload"] = payload
            plan["actions"] = actions
        }
        #expect(widened.status == 1)
        #expect(widened.errors.contains("'create RoleAssignment/seattle-technicians' is not an action the manifests produce"), "\(widened.errors)")
        #expect(widened.errors.contains("the saved plan holds 1 action its manifests do not produce"))

        // None of them wrote a journal or touched the portal.
        let journals = (try? FileManager.default.contentsOfDirectory(atPath: workspace.state.appendingPathComponent("journal").path)) ?? []
        #expect(journals.isEmpty, "\(journals)")
        #expect(try await workspace.run(["plan", "contoso"]).output.contains("Plan: 23 to create"))
    }

    @Test("A saved plan's own verdict is never trusted: blockers emptied in the file are found again, and nothing is deleted")
    func verdictRecomputed() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        #expect(try await workspace.run(["apply", "contoso", "--auto-approve"]).status == 0)
        // Every assignment removed in git: the last Pro Manager goes, and 7 deletions pass the guard's 5.
        try workspace.edit("access/assignments.yaml") { _ in "" }
        let saved = workspace.state.appendingPathComponent("plan.json")
        let planned = try await workspace.run(["plan", "contoso", "--out", saved.path])
        #expect(planned.output.contains("Refused:"), "\(planned.output)")
        var plan = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: saved)) as? [String: Any])
        #expect((plan["blockers"] as? [Any])?.isEmpty == false)
        plan["blockers"] = []
        try JSONSerialization.data(withJSONObject: plan).write(to: saved)

        let refused = try await workspace.run(["apply", saved.path])
        #expect(refused.status == 1)
        #expect(refused.output.contains("Refused: the plan deletes 7 objects; the deletion guard allows 5."), "\(refused.output)")
        #expect(refused.output.contains("Refused: the plan removes the last"), "\(refused.output)")
        #expect(refused.errors.contains("the plan must not be applied as it is"), "\(refused.errors)")
        // --allow-mass-delete lifts the deletion guard only; the lock-out guard has no flag.
        let forced = try await workspace.run(["apply", saved.path, "--allow-mass-delete"])
        #expect(forced.status == 1)
        #expect(!forced.output.contains("the deletion guard allows"), "\(forced.output)")
        #expect(forced.output.contains("Refused: the plan removes the last"), "\(forced.output)")
        let after = try await workspace.run(["plan", "contoso"])
        #expect(after.output.contains("7 to delete"), "every assignment is still there: \(after.output.suffix(300))")
    }

    @Test("A plan made from git is applied only with --source naming the same remote, never from the plan's own URL")
    func origin() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let recorder = try await HostileServer.start(.askForCredentials)
        defer { Task { await recorder.stop() } }
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        try await fixture.commit("tenants", "Contoso", files: try GeneratedManifests.example("contoso", under: "contoso/"))
        let remote = "file://" + fixture.exports.appendingPathComponent("tenants.git").path
        let source = ["--source", remote, "--path", "contoso", "--git-cache", workspace.state.appendingPathComponent("git").path]
        let saved = workspace.state.appendingPathComponent("plan.json")
        #expect(try await workspace.run(["plan"] + source + ["--out", saved.path]).status == 2)

        let withoutSource = try await workspace.run(["apply", saved.path])
        #expect(withoutSource.status == 1)
        #expect(withoutSource.errors.contains("pass the same remote with --source"), "\(withoutSource.errors)")

        // A plan file pointing its origin at another server sends nothing there.
        var plan = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: saved)) as? [String: Any])
        var origin = try #require(plan["origin"] as? [String: Any])
        origin["url"] = "\(recorder.url)/tenants.git"
        plan["origin"] = origin
        try JSONSerialization.data(withJSONObject: plan).write(to: saved)
        let redirected = try await workspace.run(["apply", saved.path] + source, environment: ["ROOMKEEPER_GIT_TOKEN": "git-token-1234"])
        #expect(redirected.status == 1)
        #expect(redirected.errors.contains("not from the configured"), "\(redirected.errors)")
        #expect(recorder.requests.isEmpty)
    }
}

/// What Roomkeeper keeps on disk holds the enrollment key, tokens' effects and tenant data.
@Suite("Files at rest")
struct FilesAtRestTests {
    private static func mode(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? -1
    }

    @Test("The state folder, journals, history, inventory record and embedded portal are 0700/0600, also after rewrites")
    func permissions() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let state = workspace.state.appendingPathComponent("private-state")
        let environment = ["ROOMKEEPER_STATE_DIR": state.path]
        #expect(try await workspace.run(["apply", "contoso", "--auto-approve"], environment: environment).status == 0)
        #expect(try await workspace.run(["drift", "contoso"], environment: environment).status != 1)
        let inventory = try #require(FileManager.default.enumerator(atPath: state.appendingPathComponent("inventory").path)?.nextObject() as? String)
        let inventoryFile = state.appendingPathComponent("inventory/\(inventory)").path
        // A file loosened by hand is tightened again by the next run that rewrites it.
        chmod(inventoryFile, 0o644)
        #expect(try await workspace.run(["plan", "contoso"], environment: environment).status == 0)

        var checked = 0
        let walker = try #require(FileManager.default.enumerator(atPath: state.path))
        while let relative = walker.nextObject() as? String {
            let path = state.appendingPathComponent(relative).path
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory))
            let mode = try Self.mode(path)
            #expect(mode == (isDirectory.boolValue ? 0o700 : 0o600), "\(relative) is \(String(mode, radix: 8))")
            checked += 1
        }
        #expect(try Self.mode(state.path) == 0o700)
        #expect(checked >= 5, "the journal, history, inventory and portal files were all checked")
    }

    @Test("Reports written with --out are 0600, and the folder they go to is left as it is")
    func reportsOut() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let reports = workspace.state.appendingPathComponent("reports")
        try FileManager.default.createDirectory(at: reports, withIntermediateDirectories: true)
        chmod(reports.path, 0o755)
        #expect(try await workspace.run(["plan", "contoso", "--out", reports.appendingPathComponent("plan.json").path]).status == 2)
        #expect(try await workspace.run(["drift", "contoso", "--out", reports.appendingPathComponent("drift.html").path]).status == 2)
        #expect(try Self.mode(reports.appendingPathComponent("plan.json").path) == 0o600)
        #expect(try Self.mode(reports.appendingPathComponent("drift.html").path) == 0o600)
        #expect(try Self.mode(reports.path) == 0o755, "the operator's folder is not tightened")
    }
}
