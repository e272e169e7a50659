import AsyncHTTPClient
import Foundation
import HTTPTransport
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PortalAPI
import Synchronization

/// The Kubernetes API server, for the Leases of one namespace: a handful of JSON calls over the
/// one HTTP transport, no client library. In a pod, `inCluster()` finds the server, the service
/// account's token and the cluster's CA where Kubernetes mounts them.
public struct KubernetesAPI: Sendable {
    /// `https://host:port`.
    public let server: String
    public let namespace: String
    /// Read again for every request: the kubelet rotates a projected token in place.
    let tokenFile: String?
    let transport: HTTPTransport
    let timeout: Duration

    public init(
        server: String, namespace: String, tokenFile: String?, http: HTTPClient = .roomkeeper, logger: Logger, timeout: Duration = .seconds(10)
    ) {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.namespace = namespace
        self.tokenFile = tokenFile
        self.transport = HTTPTransport(peer: "the Kubernetes API", http: http, logger: logger)
        self.timeout = timeout
    }

    /// Where Kubernetes mounts a pod's service account.
    public static let serviceAccountFolder = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// The API of the cluster this process runs in, from `KUBERNETES_SERVICE_HOST` and `_PORT`
    /// and the service account's files in `serviceAccount` (its token, namespace and the cluster's
    /// CA, `ca.crt`, the only certificate trusted); nil outside a cluster.
    public static func inCluster(
        environment: [String: String] = ProcessInfo.processInfo.environment, serviceAccount: String = serviceAccountFolder, logger: Logger
    ) throws -> KubernetesAPI? {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty else { return nil }
        let port = environment["KUBERNETES_SERVICE_PORT"].flatMap { $0.isEmpty ? nil : $0 } ?? "443"
        let namespace = try String(decoding: FileHandle.readBounded(path: serviceAccount + "/namespace", limit: 256), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        // An IPv6 service address goes in brackets.
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        return KubernetesAPI(
            server: "https://\(authority)", namespace: namespace, tokenFile: serviceAccount + "/token",
            http: inClusterHTTP(trusting: serviceAccount + "/ca.crt"), logger: logger)
    }

    /// A client that trusts the CA in `caFile` alone and follows no redirect, one per CA file; they
    /// live as long as the process (a process has one cluster).
    static func inClusterHTTP(trusting caFile: String) -> HTTPClient {
        inClusterClients.withLock { clients in
            if let client = clients[caFile] { return client }
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(caFile)
            var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
            configuration.redirectConfiguration = .disallow
            configuration.connectionPool.retryConnectionEstablishment = false
            configuration.timeout.connect = .seconds(10)
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            clients[caFile] = client
            return client
        }
    }

    private static let inClusterClients = Mutex<[String: HTTPClient]>([:])

    /// Sends one request and returns the answer's status and body; a connection that failed is
    /// an error. Nothing is retried here: a lease decision acts on what it reads now.
    func send(_ method: HTTPMethod, _ path: String, body: Data? = nil) async throws -> (status: Int, body: Data) {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let tokenFile {
            let token = try String(decoding: FileHandle.readBounded(path: tokenFile, limit: 64 << 10), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let answer = try await transport.send(request, policy: .once(timeout: timeout, maximumResponseBytes: 4 << 20))
        return (answer.status, Data(answer.body.readableBytesView))
    }
}

/// What the API server said no to, as Kubernetes names it.
public enum LeaseError: Error, Equatable, CustomStringConvertible {
    /// Create: a Lease of that name exists (409 AlreadyExists).
    case alreadyExists(String)
    /// Update from an older read: someone wrote since (409 Conflict). Read again.
    case conflict(String)
    case notFound(String)
    /// 401 or 403: the service account may not do this; its Role must allow Leases.
    case refused(status: Int, message: String)
    case unexpected(status: Int, message: String)

    public var description: String {
        switch self {
        case .alreadyExists(let name): "the Lease \(name) already exists"
        case .conflict(let name): "the Lease \(name) changed since it was read"
        case .notFound(let name): "there is no Lease \(name)"
        case .refused(let status, let message):
            "the Kubernetes API refused (\(status)): \(message); the service account's Role must allow get, list, create, update and delete on leases"
        case .unexpected(let status, let message): "the Kubernetes API answered \(status): \(message)"
        }
    }
}

/// The Leases of the API's namespace.
public struct LeaseClient: Sendable {
    public let api: KubernetesAPI

    public init(api: KubernetesAPI) {
        self.api = api
    }

    private var collection: String { "/apis/coordination.k8s.io/v1/namespaces/\(Self.segment(api.namespace))/leases" }

    /// The Lease named `name`, nil when there is none.
    public func get(_ name: String) async throws -> Lease? {
        let (status, body) = try await api.send(.GET, collection + "/" + Self.segment(name))
        if status == 404 { return nil }
        return try decode(status, body, name: name)
    }

    /// The Leases whose labels match `labelSelector` (`key=value`).
    public func list(labelSelector: String) async throws -> [Lease] {
        let query = labelSelector.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&+="))) ?? ""
        let (status, body) = try await api.send(.GET, collection + "?labelSelector=" + query)
        struct List: Decodable { var items: [Lease] }
        guard status == 200 else { throw Self.error(status, body, name: "list") }
        return try JSONDecoder().decode(List.self, from: body).items
    }

    /// Creates `lease`; `alreadyExists` when another got there first.
    public func create(_ lease: Lease) async throws -> Lease {
        var lease = lease
        lease.metadata.resourceVersion = nil
        let (status, body) = try await api.send(.POST, collection, body: try JSONEncoder().encode(lease))
        return try decode(status, body, name: lease.metadata.name)
    }

    /// Replaces `lease`, read at its `resourceVersion`; `conflict` when it changed since.
    public func update(_ lease: Lease) async throws -> Lease {
        let name = lease.metadata.name
        let (status, body) = try await api.send(.PUT, collection + "/" + Self.segment(name), body: try JSONEncoder().encode(lease))
        return try decode(status, body, name: name)
    }

    public func delete(_ name: String) async throws {
        let (status, body) = try await api.send(.DELETE, collection + "/" + Self.segment(name))
        guard (200..<300).contains(status) || status == 404 else { throw Self.error(status, body, name: name) }
    }

    private func decode(_ status: Int, _ body: Data, name: String) throws -> Lease {
        guard (200..<300).contains(status) else { throw Self.error(status, body, name: name) }
        return try JSONDecoder().decode(Lease.self, from: body)
    }

    /// A `Status` answer as a `LeaseError`: its `reason` tells a create's clash from an update's.
    static func error(_ status: Int, _ body: Data, name: String) -> LeaseError {
        struct Status: Decodable {
            var reason: String?
            var message: String?
        }
        let answer = try? JSONDecoder().decode(Status.self, from: body)
        let message = String((answer?.message ?? "").prefix(300))
        switch (status, answer?.reason) {
        case (409, "AlreadyExists"): return .alreadyExists(name)
        case (409, _): return .conflict(name)
        case (404, _): return .notFound(name)
        case (401, _), (403, _): return .refused(status: status, message: message)
        default: return .unexpected(status: status, message: message)
        }
    }

    /// A name as one path segment.
    static func segment(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#"))) ?? text
    }
}
