import Engine
import Foundation
import Reconciler
import StateStore
import TestSupport
import Testing

@Suite("roomkeeper plan, end to end")
struct PlanCommandTests {
    private func environment(state: URL, extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["ROOMKEEPER_STATE_DIR"] = state.path
        environment["ROOMKEEPER_PORTAL_URL"] = "embedded"
        environment["ROOMKEEPER_TOKEN"] = nil
        for (key, value) in extra { environment[key] = value }
        return environment
    }

    @Test("Against the embedded portal: says which portal, lists the changes and what needs a person, exits 2")
    func embedded() async throws {
        let state = try temporaryFolder("roomkeeper-plan")
        defer { try? FileManager.default.removeItem(at: state) }
        let result = try await runProcess(
            Roomkeeper.executable, ["plan", "examples/contoso"], environment: environment(state: state), in: repositoryRoot)
        #expect(result.status == 2, "\(result.errors)")
        let lines = result.output.split(separator: "\n").map(String.init)
        #expect(lines.first == "Roomkeeper plan for examples/contoso against the embedded portal (\(state.path)/embedded-portal.sqlite)")
        #expect(lines.contains("  + RoomGroup/london-floor-3  create"))
        #expect(lines.contains("  ~ RoleAssignment/pro-managers  update"))
        #expect(lines.contains("  * Device/sea-10b-compute  enroll"))
        #expect(lines.contains { $0.contains("Device/lon-5e-console: missing") })
        #expect(lines.last == "Plan: 23 to create, 1 to update, 1 room to enroll, 6 rooms to move to another ring.")
    }

    @Test("--format json is the versioned plan, and --out saves the same")
    func json() async throws {
        let state = try temporaryFolder("roomkeeper-plan")
        defer { try? FileManager.default.removeItem(at: state) }
        let saved = state.appendingPathComponent("plan.json")
        let result = try await runProcess(
            Roomkeeper.executable, ["plan", "examples/contoso", "--format", "json", "--out", saved.path],
            environment: environment(state: state), in: repositoryRoot)
        #expect(result.status == 2)
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(plan["formatVersion"] as? String == "1.3")
        #expect((plan["actions"] as? [Any])?.count == 31)
        #expect(try String(contentsOf: saved, encoding: .utf8) == result.output)
    }

    @Test("show prints a saved plan as plan printed it, in text, Markdown and JSON, without a portal; a file that is not a plan is refused")
    func show() async throws {
        let state = try temporaryFolder("roomkeeper-plan")
        defer { try? FileManager.default.removeItem(at: state) }
        let saved = state.appendingPathComponent("plan.json")
        let planned = try await runProcess(
            Roomkeeper.executable, ["plan", "examples/contoso", "--out", saved.path], environment: environment(state: state), in: repositoryRoot)
        #expect(planned.status == 2)
        // No portal is configured for show: it reads only the file.
        var withoutPortal = environment(state: state)
        withoutPortal["ROOMKEEPER_PORTAL_URL"] = nil
        let text = try await runProcess(Roomkeeper.executable, ["show", saved.path], environment: withoutPortal, in: repositoryRoot)
        #expect(text.status == 0)
        #expect(text.output == planned.output)
        let json = try await runProcess(
            Roomkeeper.executable, ["show", saved.path, "--format", "json"], environment: withoutPortal, in: repositoryRoot)
        #expect(json.output == (try String(contentsOf: saved, encoding: .utf8)))
        let markdown = try await runProcess(
            Roomkeeper.executable, ["show", saved.path, "--format", "markdown"], environment: withoutPortal, in: repositoryRoot)
        #expect(markdown.output.contains("23 to create"))
        let notAPlan = try await runProcess(Roomkeeper.executable, ["show", "README.md"], environment: withoutPortal, in: repositoryRoot)
        #expect(notAPlan.status == 1)
        #expect(notAPlan.errors.contains("README.md is not a plan saved by `roomkeeper plan --out`"))
    }

    @Test("Against a remote portal with the token from the environment; never printed")
    func remote() async throws {
        let portal = try await RunningPortal.start(seed: TestTenant.seed(), tokens: TestTenant.tokens)
        let state = try temporaryFolder("roomkeeper-plan")
        defer { try? FileManager.default.removeItem(at: state) }
        let token = TestTenant.tokens[TestTenant.administrator] ?? ""
        let result = try await runProcess(
            Roomkeeper.executable, ["plan", "examples/contoso", "--portal", portal.url],
            environment: environment(state: state, extra: ["ROOMKEEPER_TOKEN": token]), in: repositoryRoot)
        // The second plan reads the portal by delta from the cache the first one left.
        let again = try await runProcess(
            Roomkeeper.executable, ["plan", "examples/contoso", "--portal", portal.url],
            environment: environment(state: state, extra: ["ROOMKEEPER_TOKEN": token]), in: repositoryRoot)
        await portal.stopAndRemove()
        #expect(result.output.hasPrefix("Roomkeeper plan for examples/contoso against the portal at \(portal.url)"))
        #expect(result.status == 1)  // the test tenant lacks the example's users: those are errors to fix first
        #expect(result.output.contains("user megan.bowen@contoso.com is not in the directory"))
        #expect(!result.output.contains(token) && !result.errors.contains(token))
        #expect(again.status == result.status && again.output == result.output)
        // What the plan left in the state folder is private and holds no credential.
        let cache = StateFolder(state).portalReadCache(for: .portal(endpoint: portal.url)).appendingPathComponent("rooms.bin")
        let mode = try FileManager.default.attributesOfItem(atPath: cache.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let files = FileManager.default.enumerator(at: state, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            #expect(!(try String(decoding: Data(contentsOf: file), as: UTF8.self)).contains(token), "\(file.lastPathComponent) holds the token")
        }
        let noToken = try await runProcess(
            Roomkeeper.executable, ["plan", "examples/contoso", "--portal", "http://127.0.0.1:9"], environment: environment(state: state),
            in: repositoryRoot)
        #expect(noToken.status == 1)
        #expect(noToken.errors.contains("set ROOMKEEPER_TOKEN or pass --token-file FILE"))
    }

    @Test("Invalid manifests make no plan and touch no portal")
    func invalid() async throws {
        let state = try temporaryFolder("roomkeeper-plan")
        defer { try? FileManager.default.removeItem(at: state) }
        let result = try await runProcess(
            Roomkeeper.executable, ["plan", "examples/invalid"], environment: environment(state: state), in: repositoryRoot)
        #expect(result.status == 1)
        #expect(result.errors.contains("examples/invalid: 69 errors; no plan was made"))
        #expect(!FileManager.default.fileExists(atPath: state.appendingPathComponent("embedded-portal.sqlite").path))
    }

    @Test("--format markdown writes a pull request comment")
    func markdown() async throws {
        let state = try temporaryFolder("roomkeeper-plan")
        defer { try? FileManager.default.removeItem(at: state) }
        let result = try await runProcess(
            Roomkeeper.executable, ["plan", "examples/contoso", "--format", "markdown"], environment: environment(state: state),
            in: repositoryRoot)
        #expect(result.status == 2)
        #expect(result.output.hasPrefix("### Roomkeeper plan\n\nManifests `examples/contoso` (sha256:"))
        #expect(result.output.contains("| + | `RoomGroup/london-floor-3` | create |"))
    }

    @Test("A portal that lists far fewer objects than at the last plan is refused until the shrink is accepted")
    func inventoryShrink() async throws {
        let state = try temporaryFolder("roomkeeper-plan")
        defer { try? FileManager.default.removeItem(at: state) }
        let plan = { (extra: [String]) in
            try await runProcess(
                Roomkeeper.executable, ["plan", "examples/contoso"] + extra, environment: environment(state: state), in: repositoryRoot)
        }
        #expect(try await plan([]).status == 2)
        let folder = state.appendingPathComponent("inventory")
        let record = try #require(try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).first)
        let text = try String(contentsOf: record, encoding: .utf8)
        // As if the last plan had seen ten times the rooms this portal lists now.
        try text.replacingOccurrences(of: "\"rooms\" : 41", with: "\"rooms\" : 410").write(to: record, atomically: true, encoding: .utf8)

        let refused = try await plan([])
        #expect(refused.status == 1)
        #expect(refused.output.contains("Refused: the portal lists 41 rooms, down from 410 at "))
        #expect(try await plan(["--accept-inventory-shrink"]).status == 2)
        #expect(try await plan([]).status == 2, "the accepted inventory is remembered")
    }

    @Test("--source reads the manifests from a git remote at a ref, and the plan records the commit")
    func gitSource() async throws {
        let state = try temporaryFolder("roomkeeper-plan")
        let fixture = try GitFixture()
        defer {
            try? FileManager.default.removeItem(at: state)
            fixture.remove()
        }
        try await fixture.create("tenants")
        let files = try FileManager.default.subpathsOfDirectory(atPath: examples("contoso").path).filter { $0.hasSuffix(".yaml") }
        var contents: [String: String] = [:]
        for file in files { contents["contoso/\(file)"] = try String(contentsOf: examples("contoso").appendingPathComponent(file), encoding: .utf8) }
        let commit = try await fixture.commit("tenants", "Import Contoso", files: contents)
        let url = "file://" + fixture.exports.appendingPathComponent("tenants.git").path
        var environment = environment(state: state)
        environment["XDG_CACHE_HOME"] = state.appendingPathComponent("cache").path
        let result = try await runProcess(
            Roomkeeper.executable, ["plan", "--source", url, "--ref", "main", "--path", "contoso", "--format", "json"],
            environment: environment, in: repositoryRoot)
        #expect(result.status == 2, "\(result.errors)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        let origin = try #require(plan["origin"] as? [String: String])
        #expect(
            origin == [
                "url": url, "ref": "main", "path": "contoso", "commit": commit, "subject": "Import Contoso", "author": "Ada Admin <ada@contoso.com>",
            ])
        #expect(plan["sourceRevision"] as? String == commit)
        #expect((plan["actions"] as? [Any])?.count == 31)

        let missing = try await runProcess(
            Roomkeeper.executable, ["plan", "--source", url, "--ref", "release"], environment: environment, in: repositoryRoot)
        #expect(missing.status == 1)
        #expect(
            missing.errors.contains("roomkeeper: error: ref 'release' is not a branch, tag or commit of \(url); branches: main; no plan was made"))
    }
}
