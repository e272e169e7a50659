import AsyncHTTPClient
import Foundation
import GraphAPI
import GraphClient
import HTTPTransport
import PortalAPI
import PortalClient

/// Reads a generated tenant directory through Graph the way the controller does: the release
/// `roomkeeper graph serve` as its own process on loopback, and one directory reader in this
/// process making a first pass and then passes by delta link. Reports objects per second,
/// requests per pass and peak memory of both processes.
///
/// `roomkeeper-bench directory [--users 100000] [--groups 20000] [--rooms 20000] [--passes 3]`
func directoryBenchmark() async throws {
    let users = option("--users", default: 100_000)
    let groups = option("--groups", default: 20_000)
    let rooms = option("--rooms", default: 20_000)
    let passes = max(2, option("--passes", default: 3))
    let clientId = "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f"
    let secret = "bench-secret-\(UUID().uuidString)"
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let secretFile = folder.appendingPathComponent("secret")
    try secret.write(to: secretFile, atomically: true, encoding: .utf8)

    let started = Date()
    let (server, url) = try await startGraphServe(seed: "generated:\(users):\(groups):\(rooms)", clientId: clientId, secretFile: secretFile)
    defer { server.terminate() }
    print(
        "Generated directory: \(users) users, \(groups) groups, \(rooms) rooms, served by pid \(server.processIdentifier), up in \(String(format: "%.1f", Date().timeIntervalSince(started))) s"
    )

    let host = try GraphHost(validating: url, purpose: "emulator")
    let signIn = try GraphSignIn(
        tenantId: "0b5e6c1d-2f3a-4b5c-8d7e-9f0a1b2c3d4e", clientId: clientId, credential: .secret(ClientSecret(secret)), authority: host, graph: host)
    let session = GraphSession(tokens: GraphTokenProvider(signIn: signIn, http: .roomkeeper), http: .roomkeeper, priority: .low)
    let reader = GraphDirectoryReader(session: session)
    var firstRequests = 0
    for pass in 1...passes {
        let before = session.counts.requests
        let start = DispatchTime.now().uptimeNanoseconds
        let directory = try await reader.read()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let requests = session.counts.requests - before
        if pass == 1 { firstRequests = requests }
        let objects = directory.users.count + directory.groups.count + directory.rooms.count + directory.roomLists.count
        print(
            String(
                format: "pass %d: %.2f s, %d objects (%.0f/s), %d requests (%.1f%% of the first pass), %d throttled",
                pass, elapsed, objects, Double(objects) / elapsed, requests, 100 * Double(requests) / Double(max(1, firstRequests)),
                session.counts.throttled))
    }
    print(
        "peak memory: reader \(String(format: "%.0f", peakMemoryMiB())) MiB, emulator \(String(format: "%.0f", peakMemoryMiB(of: server.processIdentifier))) MiB"
    )
}

/// Starts the release `roomkeeper graph serve` beside this benchmark on a free loopback port, with
/// the app `clientId` signing in with the secret in `secretFile`; exits when it does not start.
func startGraphServe(seed: String, clientId: String, secretFile: URL) async throws -> (server: Process, url: String) {
    let server = Process()
    server.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("roomkeeper")
    server.arguments = [
        "graph", "serve", "--listen", "127.0.0.1:0", "--seed", seed, "--client-id", clientId, "--client-secret-file", secretFile.path,
    ]
    let output = Pipe()
    server.standardOutput = output
    server.standardError = FileHandle.nullDevice
    try server.run()
    guard let url = try await listeningURL(output.fileHandleForReading) else {
        server.terminate()
        throw BenchmarkFailure("roomkeeper graph serve did not start (build it: swift build -c release --product roomkeeper)")
    }
    return (server, url)
}

/// The `http://...` address in the line the server prints when it listens; read on a dispatch
/// queue, since reading a pipe blocks and must not hold a thread of the cooperative pool.
func listeningURL(_ handle: FileHandle) async throws -> String? {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            var buffer = Data()
            while true {
                let chunk = handle.availableData
                guard !chunk.isEmpty else { return continuation.resume(returning: nil) }
                buffer.append(chunk)
                let text = String(decoding: buffer, as: UTF8.self)
                if let line = text.split(separator: "\n").first(where: { $0.contains("listening on http://") }) {
                    return continuation.resume(returning: line.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
                }
            }
        }
    }
}

/// A process's peak resident memory (VmHWM), in MiB.
func peakMemoryMiB(of pid: Int32) -> Double { memoryMiB(of: pid, "VmHWM") }

/// A memory figure of a process from /proc (`VmHWM`, its peak resident memory; `VmRSS`, now), in MiB.
func memoryMiB(of pid: Int32, _ field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
        let line = status.split(separator: "\n").first(where: { $0.hasPrefix("\(field):") })
    else { return 0 }
    return Double(line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
}
