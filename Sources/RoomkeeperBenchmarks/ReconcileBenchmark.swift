import Engine
import Foundation
import Manifests
import PortalAPI
import PortalClient
import PortalEmulator
import Reconciler
import StateStore

/// Plans and applies the generated large tenant (`--sites`, 200 by default: 20,000 rooms,
/// 40,000 devices, 2,000 room groups, 5,000 role assignments) against an emulator server on a
/// loopback port in this process, over HTTP: a cold plan, the full apply, a no-change plan, then
/// drift checks of the converged tenant (the first with no history, the second with one).
func reconcileBenchmark() async throws {
    let repository = GeneratedRepository(sites: option("--sites", default: 200))
    let concurrency = option("--concurrency", default: 8)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }

    let files = Dictionary(uniqueKeysWithValues: repository.files().map { ($0.path, Array($0.text.utf8)) })
    let loaded = ManifestLoader.load(from: InMemoryTree(files: files))
    guard !loaded.diagnostics.hasErrors else {
        throw BenchmarkFailure("the generated repository does not load: \(loaded.diagnostics.prefix(3))")
    }
    let administrator = "bench@contoso.com"
    let store = try PortalStore(path: folder.appendingPathComponent("portal.sqlite").path)
    let seeding = ContinuousClock.now
    let seed = repository.tenant(administrator: administrator)
    try await seed.seed(into: store)
    print("seeded \(seed.rooms.count) rooms, \(seed.devices.count) devices, \(seed.users.count) users in \(ContinuousClock.now - seeding)")

    let (port, token, server) = try await serve(store, administrator: administrator)
    let client = HTTPPortalClient(baseURL: "http://127.0.0.1:\(port)", token: token)

    func timedPlan(_ label: String) async throws -> Plan {
        let start = ContinuousClock.now
        let live = try await LiveState.read(from: client).state
        let read = ContinuousClock.now - start
        let plan = Planner.plan(declared: loaded.manifests, live: live, source: "generated", portal: client.endpointDescription)
        print(
            "\(label): read the portal in \(read), planned in \(ContinuousClock.now - start - read); "
                + "\(plan.actions.count) actions, \(plan.findings.count) findings, applyable: \(plan.isApplyable)")
        return plan
    }

    let cold = try await timedPlan("cold plan")
    let start = ContinuousClock.now
    let report = await Executor(portal: client, journal: nil, options: ApplyOptions(concurrency: concurrency)).apply(cold)
    let applied = ContinuousClock.now - start
    print(
        "apply: \(report.count(.done)) done, \(report.count(.failed)) failed, \(report.count(.notAttempted)) not attempted "
            + "in \(applied) (concurrency \(concurrency), \(client.transportCounts.retried) retries)")
    if let failure = report.results.first(where: { $0.outcome == .failed }) { print("first failure: \(failure.action): \(failure.message ?? "")") }
    let after = try await timedPlan("no-change plan")
    let snapshot = ManifestSnapshot(description: "generated", origin: .folder("generated"), revision: "generated", load: loaded)
    let history = DriftHistory(url: folder.appendingPathComponent("drift.jsonl"))
    var drift: DriftReport?
    for run in ["first", "second"] {
        let start = ContinuousClock.now
        let check = try await Engine(stateFolder: folder).checkDrift(snapshot, portal: client, history: history, notifier: nil)
        drift = check.report
        print(
            "drift check (\(run), history \(run == "first" ? "empty" : "of one check")): \(ContinuousClock.now - start); "
                + "\(check.report.items.count) drift items, \(check.report.devices.count) device notes, in sync: \(check.report.inSync)")
    }
    print("peak memory (client and server in one process): \(String(format: "%.0f", peakMemoryMiB())) MiB")
    server.cancel()
    _ = await server.result
    if !report.succeeded || !after.actions.isEmpty || drift?.inSync != true { throw BenchmarkFailure("a goal was missed: see the table above") }
}
