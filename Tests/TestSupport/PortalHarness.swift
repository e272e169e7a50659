import AsyncHTTPClient
import Foundation
import Logging
import PortalAPI
import PortalClient
import PortalEmulator
import ServiceLifecycle

/// A real emulator server on 127.0.0.1 and a free port, over a SQLite file in a temporary folder.
/// `stop()` shuts it down; `restart()` starts a new server on the same file.
public final class RunningPortal: Sendable {
    public let folder: URL
    public let databasePath: String
    public let url: String
    public let service: PortalService
    /// The HTTP client for tests' requests. It opens a connection per request, so no request can
    /// reach a stopped server's lingering connection (a later server may get the same port).
    public let http = RunningPortal.testClient
    private let services: ServiceGroup
    private let server: Task<Void, any Error>

    private init(
        folder: URL, databasePath: String, url: String, service: PortalService, services: ServiceGroup, server: Task<Void, any Error>
    ) {
        self.services = services
        self.folder = folder
        self.databasePath = databasePath
        self.url = url
        self.service = service
        self.server = server
    }

    /// Starts a server over `folder` (a new temporary one by default), seeding the tenant if the store is empty.
    public static func start(
        seed: TenantSeed, tokens: [String: String], faults: FaultPlan = FaultPlan(),
        rateLimit: (perSecond: Double, burst: Double)? = nil, operationDelay: TimeInterval = 0, folder: URL? = nil
    ) async throws -> RunningPortal {
        let folder = try folder ?? temporaryFolder("roomkeeper-portal")
        let path = folder.appendingPathComponent("portal.sqlite").path
        let store = try PortalStore(path: path)
        try await seed.seed(into: store)
        let service = PortalService(store: store, operationDelay: operationDelay)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = PortalServer.makeApplication(
            service: service,
            configuration: PortalServerConfiguration(tokens: TokenDirectory(tokens: tokens), faults: faults, rateLimit: rateLimit),
            onServerRunning: { port in continuation.yield(port) })
        // Run as a service, so that stopping is a graceful shutdown: cancelling the server's task
        // while it holds accepted connections traps in NIO.
        let services = ServiceGroup(configuration: .init(services: [application], logger: Logger(label: "roomkeeper.test-portal")))
        let server = Task { try await services.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return RunningPortal(
            folder: folder, databasePath: path, url: "http://127.0.0.1:\(port)", service: service, services: services, server: server)
    }

    /// Runs `body` against a server started for it, and stops and removes the server afterwards,
    /// whether `body` returned or threw.
    public static func with<Result>(
        seed: TenantSeed, tokens: [String: String], _ body: (RunningPortal) async throws -> Result
    ) async throws -> Result {
        let portal = try await start(seed: seed, tokens: tokens)
        do {
            let result = try await body(portal)
            await portal.stopAndRemove()
            return result
        } catch {
            await portal.stopAndRemove()
            throw error
        }
    }

    /// Shared by every test server, never shut down (a client must not be deinitialised unshut).
    public static let testClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.maximumUsesPerConnection = 1
        // As Roomkeeper's own client: a refused connection fails at once, and the retry policy decides.
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// Stops the server gracefully and waits until it has.
    public func stop() async {
        await services.triggerGracefulShutdown()
        _ = await server.result
    }

    /// Stops the server and removes its folder.
    public func stopAndRemove() async {
        await stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// A client for the user `userPrincipalName` (whose token is `token`).
    public func client(token: String, retry: RetryPolicy = RetryPolicy(), pageSize: Int = 1000) -> HTTPPortalClient {
        HTTPPortalClient(baseURL: url, token: token, http: http, retry: retry, pageSize: pageSize)
    }
}

/// A small tenant for tests: an administrator, a site lead scoped by a room group, a user with no
/// role, `rooms` rooms and a device in the first room.
public enum TestTenant {
    public static let administrator = "admin@contoso.com"
    public static let siteLead = "lead@contoso.com"
    public static let nobody = "nobody@contoso.com"
    public static let tokens = [administrator: "admin-token", siteLead: "lead-token", nobody: "nobody-token"]

    /// Room 0 waits in onboarding with its main unit checked in, unless `onboardingUnit` is false
    /// (for tests whose manifests declare no devices and must converge to in sync).
    public static func seed(rooms: Int = 3, onboardingUnit: Bool = true) -> TenantSeed {
        TenantSeed(
            administrators: [administrator],
            users: [
                .init(userPrincipalName: administrator, displayName: "Admin"),
                .init(userPrincipalName: siteLead, displayName: "Lead", groups: ["sg-leads"]),
                .init(userPrincipalName: nobody, displayName: "Nobody"),
            ],
            groups: [.init(name: "sg-leads")],
            rooms: (0..<rooms).map { .init(email: room($0), displayName: "Room \($0)", enrollmentState: $0 == 0 ? "onboarding" : nil) },
            devices: onboardingUnit ? [.init(serialNumber: "SN-1", deviceType: "teamsRoom", room: room(0))] : [])
    }

    public static func room(_ index: Int) -> String { String(format: "room-%05d@contoso.com", index) }
}

extension Portal {
    /// The tenant's room groups other than the default one every portal starts with.
    public func roomGroupsBesidesDefault() async throws -> [Tagged<PortalRoomGroup>] {
        try await list(PortalRoomGroup.self).filter { $0.resource.id != PortalRoomGroup.defaultGroupId }
    }
}
