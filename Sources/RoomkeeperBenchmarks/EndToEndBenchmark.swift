import Engine
import Foundation
import PortalAPI
import PortalEmulator

/// The benchmark run the way users run Roomkeeper: the release `roomkeeper` as separate
/// processes (validate, a cold plan, apply, a no-change plan, drift) against the release
/// `roomkeeper portal serve` on loopback, over the generated tenant written to disk (the
/// repository as files, the tenant as a fixture). Then a cold plan of the same shape at twice the
/// size, for linear growth. Prints each row beside its goal and exits 1 when a goal is missed.
///
/// Steps that change nothing (validate, the cold plan with its read cache removed each time, the
/// no-change plan, drift) run `--repeat` times (3) and report their median: this machine's
/// timings vary from run to run.
///
/// `roomkeeper-bench e2e [--sites 200] [--repeat 3] [--keep] [--port N]`: `--keep` leaves the work folder
/// (repository, fixture, database, state folder) for profiling a step by hand, against a
/// `portal serve` started again on the same `--port` (the read cache is kept per portal address).
/// `roomkeeper-bench e2e --linearity`: only cold plans at 100, 200 and 400 sites.
func endToEndBenchmark() async throws {
    let sites = option("--sites", default: 200)
    let repeats = max(1, option("--repeat", default: 3))
    let keep = arguments.contains("--keep")
    if arguments.contains("--linearity") {
        var previous: Double?
        print("| rooms | cold plan | x the previous size |\n|---|---|---|")
        for scale in [sites / 2, sites, sites * 2] {
            let tenant = try BenchTenant(GeneratedRepository(sites: scale), keep: keep)
            let plan = try await tenant.withPortal {
                try await $0.median(["plan", tenant.repository.path], expecting: 2, repeats: repeats, fromColdCache: true).median
            }.result
            let growth = previous.map { String(format: "%.2fx", plan / $0) } ?? ""
            print("| \(scale * 100) | \(String(format: "%.2f", plan)) s | \(growth) |")
            previous = plan
        }
        return
    }

    let tenant = try BenchTenant(GeneratedRepository(sites: sites), keep: keep)
    let rawParse = (0..<3).map { _ in seconds { _ = tenant.files.reduce(0) { $0 + rawEventCount($1) } } }.min() ?? 0
    var rows: [Row] = []
    var cliPeak = 0.0
    let first = try await tenant.withPortal { portal in
        let path = tenant.repository.path
        let (validate, validateRange, _) = try await portal.median(["validate", path], expecting: 0, repeats: repeats)
        rows.append(
            Row(
                "validate of the \(String(format: "%.1f", tenant.megabytes)) MiB repository",
                "\(String(format: "%.2f", validate)) s\(validateRange), \(String(format: "%.2f", rawParse / validate))x libyaml's raw event parse "
                    + "of the same bytes (\(String(format: "%.2f", rawParse)) s, one thread)",
                goal: ">= 0.5x", met: rawParse / validate >= 0.5))
        let plan = try await portal.median(["plan", path], expecting: 2, repeats: repeats, fromColdCache: true)
        rows.append(Row("cold plan (no read cache)", plan.median, under: 3, note: plan.range))
        let apply = try await portal.run(["apply", path, "--auto-approve"], expecting: 0)
        let actions = plan.summary.replacingOccurrences(of: "Plan: ", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "."))
        rows.append(Row("full apply (\(actions))", apply.seconds, under: 30))
        let noChange = try await portal.median(["plan", path], expecting: 0, repeats: repeats)
        rows.append(Row("no-change plan after apply", noChange.median, under: 1, note: noChange.range))
        let drift = try await portal.median(["drift", path], expecting: 0, repeats: repeats)
        rows.append(Row("drift of the converged tenant", drift.median, under: 1, note: drift.range))
        cliPeak = childrenPeakMiB()
        return plan.median
    }
    let coldPlan = first.result
    let double = try BenchTenant(GeneratedRepository(sites: sites * 2), keep: keep)
    let doublePlan = try await double.withPortal {
        try await $0.median(["plan", double.repository.path], expecting: 2, repeats: repeats, fromColdCache: true).median
    }.result
    rows.append(
        Row(
            "cold plan of the same shape at twice the size", "\(String(format: "%.2f", doublePlan / coldPlan))x the 1x time",
            goal: "<= 2.2x (linear)", met: doublePlan / coldPlan <= 2.2))
    rows.append(
        Row(
            "peak memory", "CLI \(String(format: "%.0f", cliPeak)) MiB, emulator \(String(format: "%.0f", first.peakMiB)) MiB",
            goal: "< 500 MiB", met: cliPeak < 500 && first.peakMiB < 500))

    print("\n| step | measured | goal |\n|---|---|---|")
    for row in rows { print("| \(row.step) | \(row.measured) | \(row.goal)\(row.met ? "" : " (missed)") |") }
    if rows.contains(where: { !$0.met }) { throw BenchmarkFailure("a goal was missed: see the table above") }
}

/// One row of the result table.
private struct Row {
    var step: String
    var measured: String
    var goal: String
    var met: Bool

    init(_ step: String, _ measured: String, goal: String, met: Bool) {
        (self.step, self.measured, self.goal, self.met) = (step, measured, goal, met)
    }

    init(_ step: String, _ seconds: Double, under limit: Double, note: String = "") {
        self.init(step, "\(String(format: "%.2f", seconds)) s\(note)", goal: "< \(String(format: "%g", limit)) s", met: seconds < limit)
    }
}

/// A generated repository and tenant fixture written to a work folder.
private struct BenchTenant {
    let folder: URL
    let repository: URL
    let fixture: URL
    let files: [[UInt8]]
    let keep: Bool
    static let administrator = "bench@contoso.com"

    var megabytes: Double { Double(files.reduce(0) { $0 + $1.count }) / 1_048_576 }

    init(_ generated: GeneratedRepository, keep: Bool) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-e2e-\(UUID().uuidString)")
        repository = folder.appendingPathComponent("repository")
        fixture = folder.appendingPathComponent("tenant.json")
        self.keep = keep
        var files: [[UInt8]] = []
        for file in generated.files() {
            let url = repository.appendingPathComponent(file.path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try file.text.write(to: url, atomically: true, encoding: .utf8)
            files.append(Array(file.text.utf8))
        }
        self.files = files
        let seed = generated.tenant(administrator: Self.administrator)
        try fixtureData(seed).write(to: fixture)
        print(
            "Generated: \(generated.roomCount) rooms, \(seed.devices.count) devices, \(seed.users.count) users; "
                + "repository \(String(format: "%.1f", megabytes)) MiB in \(files.count) files, in \(folder.path)")
    }

    /// Runs `work` with `portal serve` seeded from the fixture, then stops the server (and removes
    /// the folder unless kept). Returns the work's result and the server's peak memory.
    func withPortal<T>(_ work: (PortalProcess) async throws -> T) async throws -> (result: T, peakMiB: Double) {
        defer { if !keep { try? FileManager.default.removeItem(at: folder) } }
        let portal = try await PortalProcess(tenant: self)
        defer { portal.server.terminate() }
        let result = try await work(portal)
        return (result, peakMemoryMiB(of: portal.server.processIdentifier))
    }
}

/// `roomkeeper portal serve` as a child process, and the environment CLI steps run with.
private struct PortalProcess {
    let server: Process
    let executable: URL
    let environment: [String: String]

    init(tenant: BenchTenant) async throws {
        executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("roomkeeper")
        let token = "bench-\(UUID().uuidString)"
        var environment = ProcessInfo.processInfo.environment
        environment["ROOMKEEPER_PORTAL_TOKENS"] = "\(BenchTenant.administrator)=\(token)"
        environment["NO_COLOR"] = "1"
        server = Process()
        server.executableURL = executable
        server.arguments = [
            "portal", "serve", "--db", tenant.folder.appendingPathComponent("portal.sqlite").path, "--seed", tenant.fixture.path,
            "--listen", "127.0.0.1:\(option("--port", default: 0))",
        ]
        server.environment = environment
        let output = Pipe()
        server.standardOutput = output
        server.standardError = FileHandle.nullDevice
        let starting = Date()
        try server.run()
        guard let url = try await listeningURL(output.fileHandleForReading) else {
            server.terminate()
            throw BenchmarkFailure("roomkeeper portal serve did not start (build it: swift build -c release --product roomkeeper)")
        }
        print("portal serve: seeded and listening in \(String(format: "%.1f", Date().timeIntervalSince(starting))) s")
        environment["ROOMKEEPER_PORTAL_URL"] = url
        environment["ROOMKEEPER_TOKEN"] = token
        environment["ROOMKEEPER_STATE_DIR"] = tenant.folder.appendingPathComponent("state").path
        self.environment = environment
    }

    /// The median of `repeats` runs of a step, and their range; `fromColdCache` removes the read
    /// cache before each run, for a cold plan.
    func median(
        _ arguments: [String], expecting status: Int32, repeats: Int, fromColdCache: Bool = false
    ) async throws -> (median: Double, range: String, summary: String) {
        var times: [Double] = []
        var summary = ""
        for _ in 0..<repeats {
            if fromColdCache, let state = environment["ROOMKEEPER_STATE_DIR"] {
                try? FileManager.default.removeItem(atPath: state + "/cache")
            }
            let step = try await run(arguments, expecting: status)
            times.append(step.seconds)
            summary = step.summary
        }
        times.sort()
        let range = repeats > 1 ? " (\(repeats) runs: \(String(format: "%.2f", times[0]))-\(String(format: "%.2f", times[times.count - 1])) s)" : ""
        return (times[times.count / 2], range, summary)
    }

    /// Runs one CLI step to its end; exits the benchmark when it ends with another status.
    /// Returns its wall time and its summary (the last line it printed).
    func run(_ arguments: [String], expecting status: Int32) async throws -> (seconds: Double, summary: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        try process.run()
        // Reading and waiting block a thread: not one of the cooperative pool's.
        let printed = try await offCooperativePool { output.fileHandleForReading.readDataToEndOfFile() }
        try await offCooperativePool { process.waitUntilExit() }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let summary = String(decoding: printed, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        guard process.terminationStatus == status else {
            throw BenchmarkFailure("roomkeeper \(arguments.joined(separator: " ")) exited \(process.terminationStatus), not \(status): \(summary)")
        }
        print("roomkeeper \(arguments.first ?? ""): \(String(format: "%.2f", elapsed)) s; \(summary)")
        return (elapsed, summary)
    }
}

/// The peak resident memory of the largest child process waited for so far, in MiB.
func childrenPeakMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// The tenant as `portal serve --seed` reads it (JSON is YAML's flow style).
func fixtureData(_ seed: TenantSeed) throws -> Data {
    let document: [String: Any] = [
        "administrators": seed.administrators,
        "users": seed.users.map { ["userPrincipalName": $0.userPrincipalName, "displayName": $0.displayName, "groups": $0.groups] },
        "groups": seed.groups.map { group -> [String: Any] in
            var entry: [String: Any] = ["name": group.name]
            if let mail = group.mail { entry["mail"] = mail }
            return entry
        },
        "rooms": seed.rooms.map { room -> [String: Any] in
            var entry: [String: Any] = ["email": room.email, "displayName": room.displayName]
            entry["location"] = (try? JSONSerialization.jsonObject(with: JSONEncoder().encode(room.location))) ?? [:]
            if let state = room.enrollmentState { entry["enrollmentState"] = state }
            return entry
        },
        "devices": seed.devices.map { device -> [String: Any] in
            var entry: [String: Any] = ["serialNumber": device.serialNumber, "deviceType": device.deviceType]
            if let maker = device.manufacturer { entry["manufacturer"] = maker }
            if let model = device.model { entry["model"] = model }
            if let room = device.room { entry["room"] = room }
            return entry
        },
    ]
    return try JSONSerialization.data(withJSONObject: document)
}
