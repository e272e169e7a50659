import Foundation
import PortalAPI
import PortalEmulator

/// The Graph-only path as users run it: the release `roomkeeper graph serve` as its own process,
/// seeded with the directory the generated repository expects (its 20,000 rooms in 40 room lists,
/// 100,000 users, 30,000 Intune devices of which 20,000 are the rooms' main units, registered in
/// Autopilot), and the release `roomkeeper drift --graph` as separate processes: a cold one (no
/// state folder) and then by delta. Reports time and Graph requests (from the CLI's debug log)
/// against the goals, and exits 1 when one is missed.
///
/// `roomkeeper-bench graph [--sites 200] [--users 100000] [--repeat 3] [--keep]`
func graphDriftBenchmark() async throws {
    let generated = GeneratedRepository(sites: option("--sites", default: 200))
    let userCount = option("--users", default: 100_000)
    let repeats = max(1, option("--repeat", default: 3))
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-graph-bench-\(UUID().uuidString)")
    defer { if !arguments.contains("--keep") { try? FileManager.default.removeItem(at: folder) } }
    let repository = folder.appendingPathComponent("repository")
    try generated.write(to: repository)
    let fixture = folder.appendingPathComponent("directory.json")
    let shape = try GraphFixture(generated, users: userCount).write(to: fixture)
    print("Generated: \(shape)")

    let clientId = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
    let secret = "bench-secret-\(UUID().uuidString)"
    let secretFile = folder.appendingPathComponent("secret")
    try secret.write(to: secretFile, atomically: true, encoding: .utf8)
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("roomkeeper")
    let starting = Date()
    let (server, url) = try await startGraphServe(seed: fixture.path, clientId: clientId, secretFile: secretFile)
    defer { server.terminate() }
    print("graph serve: seeded and listening in \(String(format: "%.1f", Date().timeIntervalSince(starting))) s")

    var environment = ProcessInfo.processInfo.environment
    environment.merge([
        "AZURE_TENANT_ID": GraphFixture.tenantId, "AZURE_CLIENT_ID": clientId, "AZURE_CLIENT_SECRET": secret, "AZURE_AUTHORITY_HOST": url,
        "ROOMKEEPER_GRAPH_ENDPOINT": url, "ROOMKEEPER_STATE_DIR": folder.appendingPathComponent("state").path, "NO_COLOR": "1",
    ]) { _, new in new }
    let drift = ["drift", repository.path, "--graph", "--log-level", "debug", "--log-format", "json"]

    let cold = try await runDrift(executable, drift, environment: environment)
    var warm: [GraphDriftRun] = []
    for _ in 0..<repeats { warm.append(try await runDrift(executable, drift, environment: environment)) }
    warm.sort { $0.seconds < $1.seconds }
    let median = warm[warm.count / 2]
    let share = Double(median.requests) / Double(max(1, cold.requests))
    let range =
        repeats > 1 ? " (\(repeats) runs: \(String(format: "%.2f", warm[0].seconds))-\(String(format: "%.2f", warm[warm.count - 1].seconds)) s)" : ""

    let rows: [(step: String, measured: String, goal: String, met: Bool)] = [
        (
            "cold `drift --graph`, no state folder", "\(String(format: "%.2f", cold.seconds)) s, \(cold.requests) Graph requests", "< 30 s",
            cold.seconds < 30
        ),
        ("`drift --graph` by delta", "\(String(format: "%.2f", median.seconds)) s\(range)", "< 1 s", median.seconds < 1),
        ("its Graph requests", "\(median.requests), \(String(format: "%.1f", share * 100))% of the cold run's", "< 5%", share < 0.05),
        (
            "peak memory",
            "CLI \(String(format: "%.0f", childrenPeakMiB())) MiB, graph serve \(String(format: "%.0f", peakMemoryMiB(of: server.processIdentifier))) MiB",
            "< 500 MiB", childrenPeakMiB() < 500 && peakMemoryMiB(of: server.processIdentifier) < 500
        ),
    ]
    print("\nDrift said: \(median.summary)")
    print("\n| step | measured | goal |\n|---|---|---|")
    for row in rows { print("| \(row.step) | \(row.measured) | \(row.goal)\(row.met ? "" : " (missed)") |") }
    if rows.contains(where: { !$0.met }) { throw BenchmarkFailure("a goal was missed: see the table above") }
}

/// One `drift --graph` process: its wall time, the Graph requests its debug log counted, and
/// the last line it printed.
struct GraphDriftRun {
    var seconds: Double
    var requests: Int
    var summary: String
}

private func runDrift(_ executable: URL, _ arguments: [String], environment: [String: String]) async throws -> GraphDriftRun {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.environment = environment
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let start = DispatchTime.now().uptimeNanoseconds
    try process.run()
    // Reading and waiting block a thread: not one of the cooperative pool's.
    async let printedErrors = offCooperativePool { errors.fileHandleForReading.readDataToEndOfFile() }
    let printed = try await offCooperativePool { output.fileHandleForReading.readDataToEndOfFile() }
    let logged = try await printedErrors
    try await offCooperativePool { process.waitUntilExit() }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let summary = String(decoding: printed, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
    // Drift exits 2 here: the portal has no API, so its part is a person's.
    guard [0, 2].contains(process.terminationStatus) else {
        throw BenchmarkFailure(
            "roomkeeper \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(summary)\n\(String(decoding: logged, as: UTF8.self).suffix(2000))"
        )
    }
    let requests = String(decoding: logged, as: UTF8.self).split(separator: "\n").compactMap { line -> Int? in
        guard line.contains("Read the directory through Graph"),
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        else { return nil }
        return (object["requests"] as? String).flatMap(Int.init) ?? object["requests"] as? Int
    }.reduce(0, +)
    print("roomkeeper drift --graph: \(String(format: "%.2f", seconds)) s, \(requests) Graph requests; \(summary)")
    return GraphDriftRun(seconds: seconds, requests: requests, summary: summary)
}

/// The directory fixture `graph serve --seed` reads (JSON is YAML's flow style), made from what
/// the generated repository expects of the tenant.
struct GraphFixture {
    static let tenantId = "0b5e6c1d-2f3a-4b5c-8d7e-9f0a1b2c3d4e"
    let document: [String: Any]
    let summary: String

    /// - Parameter intuneDevices: Intune's devices in all: the rooms' main units, and staff laptops.
    init(_ generated: GeneratedRepository, users total: Int, intuneDevices: Int = 30_000) {
        let seed = generated.tenant(administrator: "bench@contoso.com")
        // Room mailboxes bring their resource accounts: the people make up the rest.
        let people =
            seed.users.map { ["userPrincipalName": $0.userPrincipalName, "displayName": $0.displayName] }
            + (0..<max(0, total - seed.rooms.count - seed.users.count)).map {
                ["userPrincipalName": "staff\($0)@contoso.com", "displayName": "Staff \($0)", "licences": ["ENTERPRISEPACK"]]
            }
        let groups = seed.groups.enumerated().map { index, group in
            ["displayName": group.name, "members": (0..<5).map { seed.users[(index * 5 + $0) % seed.users.count].userPrincipalName }]
        }
        let rooms = seed.rooms.map { room -> [String: Any] in
            var entry: [String: Any] = ["email": room.email, "displayName": room.displayName]
            entry["country"] = room.location.country
            entry["city"] = room.location.city
            entry["building"] = room.location.building
            entry["floor"] = room.location.floor
            return entry
        }
        // One room list per city: 40 lists of 500 rooms at 200 sites.
        let byBuilding = Dictionary(grouping: seed.rooms, by: { $0.location.city ?? "" })
        let lists = byBuilding.keys.sorted().enumerated().map { index, city in
            ["email": "rooms-\(index)@contoso.com", "displayName": "Rooms of \(city)", "rooms": byBuilding[city, default: []].map(\.email)]
        }
        // The main units, in Intune (no primary user: Autopilot self-deploying) and in Autopilot with
        // the Teams Rooms tag; laptops of staff make up the rest of Intune's devices.
        let mainUnits = seed.devices.filter { $0.deviceType == "teamsRoom" }
        var managed: [[String: Any]] = mainUnits.map {
            ["serialNumber": $0.serialNumber, "manufacturer": $0.manufacturer ?? "", "model": $0.model ?? "", "name": "MTR-\($0.serialNumber)"]
        }
        managed += (0..<max(0, intuneDevices - managed.count)).map {
            ["serialNumber": "LT\($0)X", "manufacturer": "Dell", "model": "Latitude 7450", "name": "LT-\($0)", "account": "staff\($0)@contoso.com"]
        }
        let autopilot = mainUnits.map {
            ["serialNumber": $0.serialNumber, "manufacturer": $0.manufacturer ?? "", "model": $0.model ?? "", "groupTag": "MTR-Bench"]
        }
        document = [
            "tenantId": Self.tenantId, "users": people, "groups": groups, "rooms": rooms, "roomLists": lists,
            "managedDevices": managed, "autopilotDevices": autopilot,
            "directoryRoles": [["role": "teamsAdministrator", "principal": "bench@contoso.com"]],
        ]
        summary =
            "\(rooms.count) rooms in \(lists.count) room lists, \(people.count + rooms.count) users, \(groups.count) groups, "
            + "\(managed.count) Intune devices, \(autopilot.count) Autopilot registrations"
    }

    /// Writes the fixture; returns what it holds.
    func write(to url: URL) throws -> String {
        try JSONSerialization.data(withJSONObject: document).write(to: url)
        return summary
    }
}
