import Foundation
import GraphEmulator
import TestSupport

/// A partner's many tenants as they run: `replicas` release `roomkeeper controller --tenants`
/// processes sharing `tenants` Graph-only tenants (a real tenant's portal has no API) through
/// Leases on the Kubernetes stand-in; each tenant its own repository on one `git daemon` and its
/// own directory in one `roomkeeper graph serve --copies` (its own tokens and throttling
/// limits), of `rooms` rooms each. Measures the time until every tenant has been reconciled once,
/// each replica's memory per tenant once idle, and the takeover after a `kill -9` of a replica;
/// exits 1 when a goal is missed.
///
/// The repositories are one repository exported under every tenant's name (a symbolic link
/// each): every tenant still clones, parses and plans its own copy.
///
/// `roomkeeper-bench tenants [--tenants 1000] [--rooms 50] [--replicas 3] [--lease 15] [--tenant-concurrency 4] [--keep]`
func tenantsBenchmark() async throws {
    let count = max(1, option("--tenants", default: 1000))
    let replicaCount = max(1, option("--replicas", default: 3))
    let lease = option("--lease", default: 15)
    let concurrency = option("--tenant-concurrency", default: 4)
    let generated = GeneratedRepository(sites: 1, roomsPerSite: max(10, option("--rooms", default: 50)))
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("roomkeeper")
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-tenants-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { if !arguments.contains("--keep") { try? FileManager.default.removeItem(at: folder) } }
    let names = (0..<count).map { String(format: "customer-%04d", $0) }

    // One repository, exported under every tenant's name.
    let git = try GitFixture()
    defer { if !arguments.contains("--keep") { git.remove() } }
    try await git.create("template")
    try await git.commit("template", "Rooms", files: Dictionary(uniqueKeysWithValues: generated.files().map { ($0.path, $0.text) }))
    for name in names {
        try FileManager.default.createSymbolicLink(
            at: git.exports.appendingPathComponent("\(name).git"), withDestinationURL: git.exports.appendingPathComponent("template.git"))
    }
    let daemon = try await git.daemon()
    defer { daemon.stopNow() }

    // Every tenant's directory in one Graph emulator, and the secrets, readable by their owner only.
    let fixture = folder.appendingPathComponent("directory.json")
    let shape = try GraphFixture(generated, users: 300, intuneDevices: generated.roomCount * 2).write(to: fixture)
    let secrets = folder.appendingPathComponent("secrets")
    try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
    let cluster = try await KubernetesStandIn.start()
    defer { cluster.stopNow() }
    let adminToken = "bench-admin-\(UUID().uuidString)"
    for (file, text) in [("app-secret", "bench-secret-\(UUID().uuidString)"), ("sa-token", cluster.token)] {
        try text.write(to: secrets.appendingPathComponent(file), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secrets.appendingPathComponent(file).path)
    }
    let clientId = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
    let graph = try BackgroundProcess(
        executable,
        [
            "graph", "serve", "--listen", "127.0.0.1:0", "--seed", fixture.path, "--copies", String(count), "--client-id", clientId,
            "--client-secret-file", secrets.appendingPathComponent("app-secret").path,
        ])
    guard let line = try await graph.line(containing: "emulator listening on"),
        let graphURL = line.split(separator: " ").first(where: { $0.hasPrefix("http") })
    else {
        throw BenchmarkFailure("roomkeeper graph serve did not start (build it: swift build -c release --product roomkeeper): \(graph.printed)")
    }
    print("Each tenant: \(shape); \(count) tenants")

    let tenantsFile = folder.appendingPathComponent("tenants.yaml")
    try names.enumerated().map { index, name in
        graphOnlyTenantDocument(
            name: name, sourceURL: "\(daemon.url)/\(name).git", tenantId: GraphTenant.tenantId(ofCopy: index, of: GraphFixture.tenantId),
            clientId: clientId, graphURL: String(graphURL))
    }.joined(separator: "\n---\n").write(to: tenantsFile, atomically: true, encoding: .utf8)

    // The replicas, started together as a Deployment's pods are.
    let started = Date()
    var replicas: [Replica] = []
    for index in 0..<replicaCount {
        let name = "roomkeeper-\(index)"
        var environment = ProcessInfo.processInfo.environment
        environment.merge(
            [
                "ROOMKEEPER_STATE_DIR": folder.appendingPathComponent(name).path,
                "XDG_CACHE_HOME": folder.appendingPathComponent("\(name)-cache").path,
                "ROOMKEEPER_ADMIN_TOKEN": adminToken, "NO_COLOR": "1",
            ], uniquingKeysWith: { _, new in new })
        environment["ROOMKEEPER_PORTAL_URL"] = nil
        let process = try BackgroundProcess(
            executable,
            [
                "controller", "--tenants", tenantsFile.path, "--listen", "127.0.0.1:0", "--kubernetes-api", cluster.url, "--kubernetes-token-file",
                secrets.appendingPathComponent("sa-token").path, "--kubernetes-namespace", "bench", "--replica-name", name,
                "--tenant-lease-seconds", String(lease), "--tenant-concurrency", String(concurrency), "--log-level", "warning",
            ], environment: environment)
        guard let line = try await process.line(containing: "controller listening on"), let base = line.split(separator: " ").last else {
            throw BenchmarkFailure("\(name) did not start: \(process.printed.suffix(2000))")
        }
        replicas.append(Replica(name: name, process: process, base: String(base)))
    }
    defer {
        for replica in replicas where replica.process.isRunning { kill(replica.process.processIdentifier, SIGTERM) }
        kill(graph.processIdentifier, SIGTERM)
    }

    // A full pass: every tenant reconciled once, by exactly one replica.
    var fleet = try await waitUntil(minutes: 10, replicas, token: adminToken) { $0.reconciled.count == count }
    let fullPass = Date().timeIntervalSince(started)
    print("Full pass: \(String(format: "%.1f", fullPass)) s; \(fleet.summary)")
    let overlap = fleet.overlap
    if !overlap.isEmpty { print("Tenants run by more than one replica: \(overlap.sorted().prefix(10))") }

    // Idle: the passes are over and the next is an hour away; what each replica holds now.
    try await Task.sleep(for: .seconds(10))
    fleet = try await FleetView.read(replicas, token: adminToken)
    let perTenant = replicas.map { replica -> (name: String, mib: Double, tenants: Int) in
        (replica.name, memoryMiB(of: replica.process.processIdentifier, "VmRSS"), fleet.running[replica.name, default: []].count)
    }
    for row in perTenant { print("\(row.name): \(row.tenants) tenants, \(String(format: "%.0f", row.mib)) MiB resident") }
    let worstPerTenant = perTenant.map { $0.mib / Double(max(1, $0.tenants)) }.max() ?? 0

    // Takeover: kill -9 a replica; the others take its tenants once its Leases expire in their eyes.
    var takeover: (taken: Double, reconciled: Double)?
    if replicaCount > 1, let victim = replicas.first {
        let orphans = fleet.running[victim.name, default: []]
        kill(victim.process.processIdentifier, SIGKILL)
        let killed = Date()
        let survivors = Array(replicas.dropFirst())
        _ = try await waitUntil(minutes: 5, survivors, token: adminToken) { orphans.isSubset(of: $0.allRunning) }
        let takenAfter = Date().timeIntervalSince(killed)
        _ = try await waitUntil(minutes: 5, survivors, token: adminToken) { orphans.isSubset(of: $0.reconciled) }
        takeover = (takenAfter, Date().timeIntervalSince(killed))
        print(
            "Takeover of \(orphans.count) tenants after kill -9 of \(victim.name): taken in \(String(format: "%.1f", takenAfter)) s, reconciled in \(String(format: "%.1f", takeover?.reconciled ?? 0)) s"
        )
    }

    let tick = Double(max(500, lease * 1000 * 2 / 15)) / 1000
    var rows: [(step: String, measured: String, goal: String, met: Bool)] = [
        (
            "every tenant reconciled once (\(count) tenants, \(replicaCount) replicas)", "\(String(format: "%.1f", fullPass)) s", "< 120 s",
            fullPass < 120 && fleet.failed.isEmpty
        ),
        ("tenants run by more than one replica", "\(overlap.count)", "0", overlap.isEmpty),
        (
            "memory per idle tenant (a replica's resident memory / its tenants)", "\(String(format: "%.2f", worstPerTenant)) MiB", "< 5 MB",
            worstPerTenant < 5
        ),
    ]
    if let takeover {
        // A survivor sees the last renewal up to a round late, and takes the Lease a round after it expires.
        let bound = Double(lease) + 2 * tick
        rows.append(
            (
                "takeover after kill -9: Leases taken / tenants reconciled again",
                "\(String(format: "%.1f", takeover.taken)) s / \(String(format: "%.1f", takeover.reconciled)) s",
                "< lease + interval (\(lease) s + 1 h); taken within lease + 2 rounds (\(String(format: "%g", bound)) s) + 1.5 s of polling",
                takeover.reconciled < Double(lease) + 3600 && takeover.taken < bound + 1.5
            ))
    }
    print("\n| step | measured | goal |\n|---|---|---|")
    for row in rows { print("| \(row.step) | \(row.measured) | \(row.goal)\(row.met ? "" : " (missed)") |") }
    if !fleet.failed.isEmpty { print("Not reconciled well: \(fleet.failed.prefix(10))") }
    if rows.contains(where: { !$0.met }) { throw BenchmarkFailure("a goal was missed: see the table above") }
}

private struct Replica {
    var name: String
    var process: BackgroundProcess
    var base: String
}

/// What the replicas' `/status` say: which tenants each runs, and which have finished a pass.
private struct FleetView {
    var running: [String: Set<String>] = [:]
    var reconciled: Set<String> = []
    /// Tenants whose last pass did not end Ready, with their reason.
    var failed: [String: String] = [:]

    var allRunning: Set<String> { running.values.reduce(into: []) { $0.formUnion($1) } }

    var overlap: Set<String> {
        var seen: Set<String> = []
        var twice: Set<String> = []
        for tenants in running.values {
            twice.formUnion(seen.intersection(tenants))
            seen.formUnion(tenants)
        }
        return twice
    }

    var summary: String {
        running.keys.sorted().map { "\($0) runs \(running[$0, default: []].count)" }.joined(separator: ", ")
            + (failed.isEmpty ? "" : "; \(failed.count) not Ready")
    }

    static func read(_ replicas: [Replica], token: String) async throws -> FleetView {
        var view = FleetView()
        for replica in replicas {
            let answer = try await httpRequest("GET", "\(replica.base)/status", headers: ["Authorization": "Bearer \(token)"])
            let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] ?? [:]
            let tenants = object["tenants"] as? [String: [String: Any]] ?? [:]
            view.running[replica.name] = Set(tenants.keys)
            for (name, status) in tenants where (status["reconciles"] as? Int ?? 0) > 0 {
                view.reconciled.insert(name)
                if status["condition"] as? String != "Ready" { view.failed[name] = "\(status["reason"] ?? "")" }
            }
        }
        return view
    }
}

/// Reads the replicas' status every half second until `done`, or gives up after `minutes`.
private func waitUntil(minutes: Double, _ replicas: [Replica], token: String, _ done: (FleetView) -> Bool) async throws -> FleetView {
    try await poll(
        minutes: minutes, { try await FleetView.read(replicas, token: token) }, until: done,
        gaveUp: { "Gave up after \(minutes) minutes: \($0?.reconciled.count ?? 0) reconciled; \($0?.summary ?? "")" })
}
