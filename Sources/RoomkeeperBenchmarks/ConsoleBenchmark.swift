import Foundation
import GraphEmulator
import TestSupport

/// The console at 20,000 rooms, as people use it: the release `roomkeeper controller REPO
/// --console-url` over the generated repository, signing people in through the release `roomkeeper
/// graph serve` (which also serves the directory), and each page fetched over HTTP by a signed-in
/// browser (median of `--repeat`). Two tenants: one through Graph alone (48,000 checklist steps),
/// and one with the portal's API (`roomkeeper portal serve`), first as planned against an empty
/// portal (12,000 changes), then after `apply` (5,000 assignments to list under "who can get
/// in"). Goal: every page under 200 ms; exits 1 when one is slower.
///
/// `roomkeeper-bench console [--sites 200] [--users 100000] [--repeat 5]`
func consoleBenchmark() async throws {
    let generated = GeneratedRepository(sites: option("--sites", default: 200))
    let repeats = max(1, option("--repeat", default: 5))
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("roomkeeper")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-console-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let repository = folder.appendingPathComponent("repository")
    try generated.write(to: repository)
    let fixture = folder.appendingPathComponent("directory.json")
    print("Generated: \(try GraphFixture(generated, users: option("--users", default: 100_000)).write(to: fixture))")
    let secret = "bench-secret-\(UUID().uuidString)"
    let secretFile = folder.appendingPathComponent("secret")
    try secret.write(to: secretFile, atomically: true, encoding: .utf8)
    let clientId = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
    let person = "bench@contoso.com"
    let port = try freeLoopbackPort()
    let origin = "http://127.0.0.1:\(port)"

    let graph = try BackgroundProcess(
        executable,
        [
            "graph", "serve", "--listen", "127.0.0.1:0", "--seed", fixture.path, "--client-id", clientId, "--client-secret-file", secretFile.path,
            "--redirect-uri", "\(origin)/console/callback", "--app-role", "\(person)=Roomkeeper.Operator",
        ])
    defer { kill(graph.processIdentifier, SIGTERM) }
    guard let line = try await graph.line(containing: "emulator listening on"),
        let graphURL = line.split(separator: " ").first(where: { $0.hasPrefix("http") }).map(String.init)
    else {
        throw BenchmarkFailure("roomkeeper graph serve did not start (build it: swift build -c release --product roomkeeper): \(graph.printed)")
    }
    let adminToken = "bench-admin-\(UUID().uuidString)"
    var environment = ProcessInfo.processInfo.environment
    environment.merge(
        [
            "AZURE_TENANT_ID": GraphFixture.tenantId, "AZURE_CLIENT_ID": clientId, "AZURE_CLIENT_SECRET": secret, "AZURE_AUTHORITY_HOST": graphURL,
            "ROOMKEEPER_GRAPH_ENDPOINT": graphURL, "ROOMKEEPER_ADMIN_TOKEN": adminToken, "NO_COLOR": "1",
        ], uniquingKeysWith: { _, new in new })
    environment["ROOMKEEPER_PORTAL_URL"] = nil
    let console = ConsoleUnderTest(
        executable: executable, origin: origin, port: port, adminToken: adminToken, person: person, repeats: repeats, repository: repository)

    // Through Graph alone.
    environment["ROOMKEEPER_STATE_DIR"] = folder.appendingPathComponent("graph-state").path
    var missed = try await console.measure("Through Graph alone", ["--graph"], environment: environment)

    // With the portal's API: planned against the empty portal, then applied.
    let token = "bench-\(UUID().uuidString)"
    var portalEnvironment = environment
    portalEnvironment["ROOMKEEPER_PORTAL_TOKENS"] = "\(person)=\(token)"
    portalEnvironment["ROOMKEEPER_STATE_DIR"] = folder.appendingPathComponent("portal-state").path
    let portalFixture = folder.appendingPathComponent("portal.json")
    try fixtureData(generated.tenant(administrator: person)).write(to: portalFixture)
    let portal = try BackgroundProcess(
        executable,
        ["portal", "serve", "--db", folder.appendingPathComponent("portal.sqlite").path, "--seed", portalFixture.path, "--listen", "127.0.0.1:0"],
        environment: portalEnvironment)
    defer { kill(portal.processIdentifier, SIGTERM) }
    guard let portalLine = try await portal.line(containing: "emulator listening on", timeout: 600),
        let portalURL = portalLine.split(separator: " ").first(where: { $0.hasPrefix("http") }).map(String.init)
    else {
        throw BenchmarkFailure("roomkeeper portal serve did not start: \(portal.printed.suffix(2000))")
    }
    portalEnvironment["ROOMKEEPER_PORTAL_URL"] = portalURL
    portalEnvironment["ROOMKEEPER_TOKEN"] = token
    missed = try await console.measure("With the portal's API, before apply", [], environment: portalEnvironment) || missed
    let apply = try await runProcess(executable, ["apply", repository.path, "--auto-approve"], environment: portalEnvironment)
    guard apply.status == 0 else {
        throw BenchmarkFailure("apply failed: \(apply.output.suffix(1000)) \(apply.errors.suffix(1000))")
    }
    missed = try await console.measure("With the portal's API, after apply", [], environment: portalEnvironment) || missed
    if missed { throw BenchmarkFailure("a goal was missed: see the table above") }
}

/// A controller with its console, started for one measurement and stopped after it.
private struct ConsoleUnderTest {
    let executable: URL
    let origin: String
    let port: Int
    let adminToken: String
    let person: String
    let repeats: Int
    let repository: URL

    /// Starts the controller with `arguments`, waits for its first pass, signs in, and prints the
    /// median time of each page. Returns whether a page missed the goal.
    func measure(_ label: String, _ arguments: [String], environment: [String: String]) async throws -> Bool {
        let controller = try BackgroundProcess(
            executable,
            ["controller", repository.path, "--listen", "127.0.0.1:\(port)", "--console-url", origin, "--log-level", "warning"] + arguments,
            environment: environment)
        defer { kill(controller.processIdentifier, SIGTERM) }
        guard try await controller.line(containing: "controller listening on") != nil else {
            throw BenchmarkFailure("the controller did not start: \(controller.printed.suffix(2000))")
        }
        let started = Date()
        _ = try await poll(
            minutes: 10, { try await httpRequest("GET", "\(origin)/status", headers: ["Authorization": "Bearer \(adminToken)"]).body },
            until: { ((try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["reconciles"] as? Int ?? 0) > 0 },
            gaveUp: { "no pass in ten minutes: \($0 ?? "")" })
        print("\n\(label): first pass in \(String(format: "%.1f", Date().timeIntervalSince(started))) s")

        let browser = CookieBrowser()
        _ = try await browser.signIn(to: origin, as: person)
        let base = "/console/tenants/default"
        var pages: [(name: String, path: String)] = [
            ("overview", "/console"), ("tenant", base), ("drift", "\(base)/drift"), ("plan, first page", "\(base)/plan"),
            ("who can get in", "\(base)/access"), ("who can get in, filtered", "\(base)/access?q=site-7"),
        ]
        let plan = try await browser.get(origin + base + "/plan")
        if let last = Self.lastPage(plan.body) { pages.append(("plan, last page (\(last))", "\(base)/plan?page=\(last)")) }
        let checklist = try await browser.get(origin + base + "/checklist")
        if let last = Self.lastPage(checklist.body) {
            pages += [("checklist, first page", "\(base)/checklist"), ("checklist, last page (\(last))", "\(base)/checklist?page=\(last)")]
        }
        if let range = checklist.body.range(of: "\(base)/checklist/") {
            pages.append(("a step of the walk-through", "\(base)/checklist/" + checklist.body[range.upperBound...].prefix { $0.isHexDigit }))
        }
        print("\n| page | median | size | goal |\n|---|---|---|---|")
        var missed = false
        for page in pages {
            var times: [Double] = []
            var size = 0
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                let answer = try await browser.get(origin + page.path)
                times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                guard answer.status == 200 else {
                    throw BenchmarkFailure("\(page.path) answered \(answer.status)")
                }
                size = answer.body.utf8.count
            }
            let median = times.sorted()[times.count / 2]
            missed = missed || median >= 200
            print("| \(page.name) | \(String(format: "%.0f", median)) ms | \(size / 1024) KiB | < 200 ms\(median >= 200 ? " (missed)" : "") |")
        }
        // Stopped, and gone, before the next controller listens on the same port.
        _ = try await controller.terminate()
        return missed
    }

    /// The last page a paged list offers, from its "Page 1 of N" line.
    static func lastPage(_ body: String) -> Int? {
        guard let range = body.range(of: "Page 1 of ") else { return nil }
        return Int(body[range.upperBound...].prefix { $0.isNumber })
    }
}
