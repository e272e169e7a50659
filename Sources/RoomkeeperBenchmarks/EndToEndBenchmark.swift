import Engine
import Foundation
import PortalEmulator

/// The benchmark run the way users run Roomkeeper: the release `roomkeeper` as separate
/// processes (validate, a cold plan, apply, a no-change plan, drift) against the release
/// `roomkeeper portal serve` on loopback, over the generated tenant written to disk (the
/// repository as files, the tenant as a fixture). Prints each step beside its goal and exits 1
/// when a goal is missed.
///
/// `roomkeeper-bench e2e [--sites 200]`
func endToEndBenchmark() async throws {
    let repository = GeneratedRepository(sites: option("--sites", default: 200))
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-e2e-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let manifests = folder.appendingPathComponent("repository")
    var bytes = 0
    for file in repository.files() {
        let url = manifests.appendingPathComponent(file.path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try file.text.write(to: url, atomically: true, encoding: .utf8)
        bytes += file.text.utf8.count
    }
    let administrator = "bench@contoso.com"
    let seed = repository.tenant(administrator: administrator)
    let seedFile = folder.appendingPathComponent("tenant.yaml")
    try fixture(seed).write(to: seedFile)
    print("Generated: \(repository.roomCount) rooms, \(seed.devices.count) devices, \(seed.users.count) users; "
        + "repository \(String(format: "%.1f", Double(bytes) / 1_048_576)) MiB in \(repository.files().count) files")

    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("roomkeeper")
    let token = "bench-\(UUID().uuidString)"
    var environment = ProcessInfo.processInfo.environment
    environment["ROOMKEEPER_PORTAL_TOKENS"] = "\(administrator)=\(token)"
    environment["NO_COLOR"] = "1"
    let server = Process()
    server.executableURL = executable
    server.arguments = ["portal", "serve", "--db", folder.appendingPathComponent("portal.sqlite").path, "--seed", seedFile.path, "--listen", "127.0.0.1:0"]
    server.environment = environment
    let output = Pipe()
    server.standardOutput = output
    server.standardError = FileHandle.nullDevice
    let starting = Date()
    try server.run()
    defer { server.terminate() }
    guard let url = try await listeningURL(output.fileHandleForReading) else {
        print("roomkeeper portal serve did not start (build it: swift build -c release --product roomkeeper)")
        exit(1)
    }
    print("portal serve: seeded and listening in \(String(format: "%.1f", Date().timeIntervalSince(starting))) s")

    environment["ROOMKEEPER_PORTAL_URL"] = url
    environment["ROOMKEEPER_TOKEN"] = token
    environment["ROOMKEEPER_STATE_DIR"] = folder.appendingPathComponent("state").path
    func step(_ arguments: [String], expecting status: Int32) async throws -> Double {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let start = DispatchTime.now().uptimeNanoseconds
        try process.run()
        // Waiting blocks a thread: not one of the cooperative pool's.
        try await offCooperativePool { process.waitUntilExit() }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        guard process.terminationStatus == status else {
            print("roomkeeper \(arguments.joined(separator: " ")) exited \(process.terminationStatus), not \(status)")
            exit(1)
        }
        return elapsed
    }
    let path = manifests.path
    var rows: [(String, Double, Double)] = []
    rows.append(("validate", try await step(["validate", path], expecting: 0), 1.0))
    rows.append(("cold plan", try await step(["plan", path], expecting: 2), 3.0))
    rows.append(("full apply", try await step(["apply", path, "--auto-approve"], expecting: 0), 30.0))
    rows.append(("no-change plan", try await step(["plan", path], expecting: 0), 1.0))
    rows.append(("drift", try await step(["drift", path], expecting: 0), 1.0))
    let cliPeak = childrenPeakMiB()
    let serverPeak = peakMemoryMiB(of: server.processIdentifier)
    print("\n| step | measured | goal |\n|---|---|---|")
    var missed = false
    for (name, seconds, goal) in rows {
        print("| \(name) | \(String(format: "%.2f", seconds)) s | < \(String(format: "%g", goal)) s\(seconds < goal ? "" : " (missed)") |")
        missed = missed || seconds >= goal
    }
    print("| peak memory | CLI \(String(format: "%.0f", cliPeak)) MiB, emulator \(String(format: "%.0f", serverPeak)) MiB | < 500 MiB each |")
    missed = missed || cliPeak >= 500 || serverPeak >= 500
    if missed { exit(1) }
}

/// The peak resident memory of the largest child process waited for so far, in MiB.
private func childrenPeakMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// The tenant as `portal serve --seed` reads it (JSON is YAML's flow style).
private func fixture(_ seed: TenantSeed) throws -> Data {
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
