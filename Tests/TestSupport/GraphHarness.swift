import AsyncHTTPClient
import Crypto
import Foundation
import GraphAPI
import GraphClient
import GraphEmulator
import Logging
import PortalAPI
import ServiceLifecycle
import SwiftASN1
import X509
import _CryptoExtras

/// A real Graph emulator on 127.0.0.1 and a free port. `stop()` shuts it down.
public final class RunningGraph: Sendable {
    public let url: String
    /// Each tenant's directory, in the order they were given; `store` is the first.
    public let stores: [GraphDirectoryStore]
    public var store: GraphDirectoryStore { stores[0] }
    private let services: ServiceGroup
    private let server: Task<Void, any Error>

    private init(url: String, stores: [GraphDirectoryStore], services: ServiceGroup, server: Task<Void, any Error>) {
        self.url = url
        self.stores = stores
        self.services = services
        self.server = server
    }

    public static func start(tenant: GraphTenant, configuration: GraphServerConfiguration = GraphServerConfiguration()) async throws -> RunningGraph {
        try await start(tenants: [tenant], configuration: configuration)
    }

    /// One server for all of `tenants`, as `graph serve --copies` runs.
    public static func start(tenants: [GraphTenant], configuration: GraphServerConfiguration = GraphServerConfiguration()) async throws
        -> RunningGraph
    {
        let stores = tenants.map { GraphDirectoryStore(tenant: $0) }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let application = GraphServer.makeApplication(stores: stores, configuration: configuration, onServerRunning: { continuation.yield($0) })
        let services = ServiceGroup(configuration: .init(services: [application], logger: Logger(label: "roomkeeper.test-graph")))
        let server = Task { try await services.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw CancellationError() }
        return RunningGraph(url: "http://127.0.0.1:\(port)", stores: stores, services: services, server: server)
    }

    public func stop() async {
        await services.triggerGracefulShutdown()
        _ = await server.result
    }

    /// Sign-in settings for this emulator with `credential`.
    /// Sign-in settings for this emulator with `credential`, as if it were `cloud`'s hosts.
    public func signIn(
        _ credential: GraphCredential, tenantId: String? = nil, clientId: String = TestDirectory.clientId, cloud: GraphCloud = .global
    ) throws -> GraphSignIn {
        let host = try GraphHost(validating: url, purpose: "emulator")
        return try GraphSignIn(
            tenantId: tenantId ?? store.tenantId, clientId: clientId, credential: credential, authority: host, graph: host, cloud: cloud)
    }

    /// A session signing in with `credential`, retrying quickly.
    public func session(
        _ credential: GraphCredential, tenantId: String? = nil, priority: GraphSession.Priority = .normal,
        now: @escaping @Sendable () -> Date = Date.init
    ) throws -> GraphSession {
        let tokens = GraphTokenProvider(signIn: try signIn(credential, tenantId: tenantId), http: RunningPortal.testClient, now: now)
        return GraphSession(
            tokens: tokens, http: RunningPortal.testClient, retry: RetryPolicyForTests.quick, priority: priority)
    }
}

public enum RetryPolicyForTests {
    /// Retries within seconds, so that a test of throttling ends soon.
    public static let quick = RetryPolicy(maximumAttempts: 8, baseDelay: 0.05, maximumDelay: 1, maximumTotalWait: 30)
}

/// A certificate and its key made for a test, as a PEM file's text.
public struct TestCertificate: Sendable {
    public let pem: String
    public let certificatePEM: String
    public let privateKeyPEM: String

    public static func make(name: String = "roomkeeper-test", validFor days: Double = 365, now: Date = Date()) throws -> TestCertificate {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let subject = try DistinguishedName { CommonName(name) }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(days * 86_400), issuer: subject,
            subject: subject, signatureAlgorithm: .sha256WithRSAEncryption, extensions: Certificate.Extensions(),
            issuerPrivateKey: Certificate.PrivateKey(key))
        let certificatePEM = try certificate.serializeAsPEM().pemString
        return TestCertificate(
            pem: key.pemRepresentation + "\n" + certificatePEM + "\n", certificatePEM: certificatePEM, privateKeyPEM: key.pemRepresentation)
    }

    /// Signs a token with this certificate's key (a workload identity issuer's, in tests); with
    /// `naming`, the header names the certificate by its SHA-256 thumbprint, as an app's assertion does.
    public func sign(_ claims: ClientAssertionClaims, naming: Bool = false) throws -> String {
        let key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        let thumbprint = naming ? Base64URL.encode(Data(SHA256.hash(data: try PEMDocument(pemString: certificatePEM).derBytes))) : nil
        return try CompactJWT.sign(header: JWTHeader(alg: "RS256", typ: "JWT", x5tS256: thumbprint), claims: claims) { input in
            Data(try key.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }
}

/// A small directory for Graph tests.
public enum TestDirectory {
    public static let tenantId = "5f1d7c2a-3b4e-4f60-8a9b-0c1d2e3f4a5b"
    public static let clientId = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
    public static let secret = "test-secret-value-7Q~x"

    /// With `devices`, a small fleet: London 3A's Lenovo in Intune and Autopilot, London 3B's
    /// Dell in Intune only and weeks without a sync, an HP sharing the Lenovo's serial number,
    /// and a Surface Hub signed in as Paris 1A that nothing declares.
    public static func tenant(app: GraphTenant.App? = nil, people: Int = 5, devices: Bool = false) -> GraphTenant {
        let users =
            (0..<people).map { index in
                GraphTenant.User(userPrincipalName: "person\(index)@contoso.com", displayName: "Person \(index)", licences: ["ENTERPRISEPACK"])
            } + [
                GraphTenant.User(userPrincipalName: "megan.bowen@contoso.com", displayName: "Megan Bowen"),
                GraphTenant.User(userPrincipalName: "gone.user@contoso.com", displayName: "Gone User", accountEnabled: false),
            ]
        return GraphTenant(
            tenantId: tenantId,
            apps: [app ?? GraphTenant.App(clientId: clientId, secrets: [.init(value: secret)])],
            users: users,
            groups: [
                GraphTenant.Group(displayName: "Room Admins", members: ["megan.bowen@contoso.com", "person0@contoso.com"]),
                GraphTenant.Group(displayName: "London Leads", mail: "london-leads@contoso.com", members: ["person1@contoso.com"]),
                GraphTenant.Group(displayName: "London Leads", mail: "london-leads-old@contoso.com", members: []),
                GraphTenant.Group(
                    displayName: "All Staff", mail: "all-staff@contoso.com", securityEnabled: false, mailEnabled: true, groupTypes: ["Unified"]),
            ],
            rooms: [
                GraphTenant.Room(
                    email: "conf-lon-3a@contoso.com", displayName: "London 3A",
                    address: GraphPhysicalAddress(city: "London", countryOrRegion: "United Kingdom"), building: "One Canada Square",
                    floorLabel: "3", floorNumber: 3, capacity: 8, tags: ["video"]),
                GraphTenant.Room(
                    email: "conf-lon-3b@contoso.com", displayName: "London 3B",
                    address: GraphPhysicalAddress(city: "London", countryOrRegion: "United Kingdom"), building: "One Canada Square",
                    floorNumber: 3, capacity: 4, licence: .basic),
                GraphTenant.Room(
                    email: "conf-par-1a@contoso.com", displayName: "Paris 1A",
                    address: GraphPhysicalAddress(city: "Paris", countryOrRegion: "France"),
                    building: "Tour Eiffel", floorNumber: 1, capacity: 12),
                GraphTenant.Room(email: "conf-hidden@contoso.com", displayName: "Hidden", hidden: true),
            ],
            roomLists: [
                GraphTenant.RoomList(
                    email: "london-rooms@contoso.com", displayName: "London", rooms: ["conf-lon-3a@contoso.com", "conf-lon-3b@contoso.com"]),
                GraphTenant.RoomList(email: "paris-rooms@contoso.com", displayName: "Paris", rooms: ["conf-par-1a@contoso.com"]),
            ],
            roleHolders: [
                .init(role: .globalReader, principal: "person2@contoso.com"),
                .init(role: .teamsAdministrator, principal: "megan.bowen@contoso.com"),
                .init(role: .teamsDevicesAdministrator, principal: "person3@contoso.com", directoryScopeId: "/administrativeUnits/1234"),
                // A role-assignable group: its members hold the role.
                .init(role: .globalReader, principal: GraphDirectoryStore.objectId("group", "london-leads@contoso.com")),
            ],
            managedDevices: devices
                ? [
                    .init(
                        serialNumber: "SN-LON-3A", manufacturer: "LENOVO", model: "ThinkSmart Core", name: "MTR-LON-3A",
                        account: "conf-lon-3a@contoso.com"),
                    .init(
                        serialNumber: "SN-LON-3B", manufacturer: "Dell Inc.", model: "OptiPlex 7090", name: "MTR-LON-3B", lastSyncHoursAgo: 500,
                        account: "conf-lon-3b@contoso.com"),
                    .init(serialNumber: "SN-LON-3A", manufacturer: "HP", model: "EliteDesk", name: "DESK-1", account: "person0@contoso.com"),
                    .init(
                        serialNumber: "SN-PAR-HUB", manufacturer: "Microsoft Corporation", model: "Surface Hub 2S", name: "HUB-PAR-1A",
                        account: "conf-par-1a@contoso.com"),
                ] : [],
            autopilotDevices: devices
                ? [
                    .init(serialNumber: "SN-LON-3A", manufacturer: "LENOVO", model: "ThinkSmart Core", groupTag: "MTR-London"),
                    .init(serialNumber: "SN-LON-3A", manufacturer: "HP", model: "EliteDesk", groupTag: "Office"),
                    .init(serialNumber: "SN-PAR-1A", manufacturer: "Lenovo", model: "ThinkSmart Core", groupTag: "Kiosk"),
                ] : [])
    }
}

/// A `kind: Tenant` document for a Graph-only tenant (its portal has no API) whose sign-in and
/// Graph are both the emulator at `graphURL`, with its secret in `secrets/app-secret` beside the
/// tenants file, checked every hour.
public func graphOnlyTenantDocument(name: String, sourceURL: String, tenantId: String, clientId: String, graphURL: String) -> String {
    """
    apiVersion: roomkeeper/v1
    kind: Tenant
    metadata: {name: \(name)}
    spec:
      source: {url: "\(sourceURL)"}
      graph: {tenantId: "\(tenantId)", clientId: "\(clientId)", clientSecretFile: secrets/app-secret, authorityHost: "\(graphURL)", graphEndpoint: "\(graphURL)"}
      interval: 1h
    """
}
