import Foundation
import PortalAPI
import PortalClient
import PortalEmulator

/// Lists `--devices` devices (40,000 by default) through the HTTP client from an emulator server
/// on a loopback port in this process, and reports objects per second and peak memory.
func listBenchmark() async throws {
    let deviceCount = option("--devices", default: 40_000)
    let pageSize = option("--page", default: 1000)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }

    let rooms = (0..<deviceCount / 2).map { TenantSeed.Room(email: "mtr-\($0)@contoso.com", displayName: "Room \($0)") }
    let devices = (0..<deviceCount).map { index in
        TenantSeed.Device(
            serialNumber: "SN-\(index)", deviceType: index % 2 == 0 ? "teamsRoom" : "touchConsole", manufacturer: "Lenovo",
            model: "ThinkSmart Core", room: rooms[index / 2].email)
    }
    let administrator = "bench@contoso.com"
    let seed = TenantSeed(
        administrators: [administrator], users: [.init(userPrincipalName: administrator, displayName: "Bench")], rooms: rooms,
        devices: devices)
    let store = try PortalStore(path: folder.appendingPathComponent("portal.sqlite").path)
    let seeding = ContinuousClock.now
    try await seed.seed(into: store)
    print("seeded \(rooms.count) rooms and \(devices.count) devices in \(ContinuousClock.now - seeding)")

    let (port, token, server) = try await serve(store, administrator: administrator)

    let client = HTTPPortalClient(baseURL: "http://127.0.0.1:\(port)", token: token, pageSize: pageSize)
    for run in 1...3 {
        let start = ContinuousClock.now
        let listed = try await client.list(PortalDevice.self)
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "run \(run): listed \(listed.count) devices in \(String(format: "%.2f", seconds)) s = "
                + "\(String(format: "%.0f", Double(listed.count) / seconds)) objects/s (pages of \(pageSize), "
                + "\(client.transportCounts.retried) retries)")
    }
    print("peak memory (client and server in one process): \(String(format: "%.0f", peakMemoryMiB())) MiB")
    server.cancel()
    _ = await server.result
}

/// Serves `store` on a free loopback port in this process, with a new token for `administrator`.
func serve(_ store: PortalStore, administrator: String) async throws -> (port: Int, token: String, server: Task<Void, any Error>) {
    let token = UUID().uuidString
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let application = PortalServer.makeApplication(
        service: PortalService(store: store),
        configuration: PortalServerConfiguration(tokens: TokenDirectory(tokens: [administrator: token])),
        onServerRunning: { continuation.yield($0) })
    let server = Task { try await application.run() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw CancellationError() }
    return (port, token, server)
}
