import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PortalAPI
import Reports

/// Who may call the controller's endpoints. Nothing but the probes answers without a token.
public struct ControllerCredentials: Sendable {
    /// The git host's webhook secret: `POST /hooks/git` is off until one is set.
    public var webhookSecret: String?
    /// The operators' token: `POST /reconcile`, `/suspend` and `/resume` need it as a bearer
    /// token, and are refused while none is configured; it also reads `/status` and `/report`.
    public var adminToken: String?
    /// A token that reads `/status` and `/report` (which name people, rooms and serials) and
    /// changes nothing.
    public var readToken: String?
    /// Whether the listener is on a loopback address: then the `Host` a request names must be a
    /// loopback name too, so a web page cannot reach it through DNS rebinding.
    public var loopbackOnly: Bool

    public init(webhookSecret: String?, adminToken: String?, readToken: String? = nil, loopbackOnly: Bool) {
        self.webhookSecret = webhookSecret
        self.adminToken = adminToken
        self.readToken = readToken
        self.loopbackOnly = loopbackOnly
    }
}

/// The controller's HTTP endpoints.
/// - Probes, for the kubelet and Prometheus, unauthenticated, saying nothing about the tenant:
///   `/healthz` (the process answers), `/readyz` (the first reconcile has finished and none is
///   stuck), `/metrics`.
/// - Reads, with the read or the admin token: `/status` (JSON), `/report` (the last drift report
///   as HTML).
/// - Triggers: `POST /hooks/git` (reconcile now, for a git push) with the webhook secret, as
///   GitHub and Gitea sign (`X-Hub-Signature-256`, an HMAC-SHA256 of the body), as GitLab sends it
///   (`X-Gitlab-Token`), or as a bearer token; and `POST /reconcile`, `/suspend`, `/resume` with
///   the operators' own token.
///
/// Reads and operator requests are refused when they come from a web page on another site
/// (`Origin`, `Sec-Fetch-Site`) or name another host on a loopback listener; and since each needs
/// an `Authorization` header, no browser sends one without a CORS preflight, which the
/// controller never grants.
public enum ControllerServer {
    /// Which endpoints one listener serves: probes listen apart when asked to.
    public struct Endpoints: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let probes = Endpoints(rawValue: 1)
        public static let triggers = Endpoints(rawValue: 2)
        public static let reads = Endpoints(rawValue: 4)
    }

    /// What one process serves: one tenant's controller, or a partner's tenants, whose
    /// endpoints are each tenant's under `/tenants/NAME/` (`/status` lists them all).
    public enum Served: Sendable {
        case one(Controller)
        case fleet(TenantFleet)
    }

    public static func makeApplication(
        controller: Controller, host: String, port: Int, endpoints: Endpoints = [.probes, .reads, .triggers],
        credentials: ControllerCredentials, logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        makeApplication(
            serving: .one(controller), host: host, port: port, endpoints: endpoints, credentials: credentials, logger: logger,
            onServerRunning: onServerRunning)
    }

    /// Routes another module adds beside the controller's own (the console's pages).
    public typealias MoreRoutes = @Sendable (Router<BasicRequestContext>) -> Void

    public static func makeApplication(
        serving served: Served, host: String, port: Int, endpoints: Endpoints = [.probes, .reads, .triggers],
        credentials: ControllerCredentials, logger: Logger, more: MoreRoutes? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        more?(router)
        // Request counts and durations, through swift-metrics (a no-op until a backend is bootstrapped).
        router.middlewares.add(MetricsMiddleware())
        switch served {
        case .one(let controller):
            if endpoints.contains(.probes) { addProbes(to: router, controller: controller) }
            let lookup: Lookup = { _ in controller }
            if endpoints.contains(.reads) { addReads(to: router, prefix: "", lookup: lookup, credentials: credentials) }
            if endpoints.contains(.triggers) { addTriggers(to: router, prefix: "", lookup: lookup, credentials: credentials) }
        case .fleet(let fleet):
            if endpoints.contains(.probes) { addProbes(to: router, fleet: fleet) }
            let lookup: Lookup = { context in
                guard let name = context.parameters.get("tenant") else { return nil }
                return await fleet.controller(named: name)
            }
            if endpoints.contains(.reads) {
                addFleetStatus(to: router, fleet: fleet, credentials: credentials)
                addReads(to: router, prefix: "/tenants/:tenant", lookup: lookup, credentials: credentials)
            }
            if endpoints.contains(.triggers) { addTriggers(to: router, prefix: "/tenants/:tenant", lookup: lookup, credentials: credentials) }
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "roomkeeper-controller"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    private static func addProbes(to router: Router<BasicRequestContext>, controller: Controller) {
        router.get("/healthz") { _, _ in "ok\n" }
        // Only ready or not: why is on /status, for those allowed to read it.
        router.get("/readyz") { _, _ -> Response in
            let ready = await controller.status.isReady
            return Response(
                status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"],
                body: .init(byteBuffer: ByteBuffer(string: ready ? "ready\n" : "not ready\n")))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: controller.metrics.exposition())))
        }
    }

    /// The controller a request is for: the one, or the tenant its path names.
    typealias Lookup = @Sendable (BasicRequestContext) async -> Controller?

    private static let noSuchTenant = refusal(.notFound, "no tenant of that name\n")

    /// The fleet's probes: the process answers, and is ready once it serves (each tenant's own
    /// state is on `/status`: one tenant's broken portal must not take the others' pod out).
    private static func addProbes(to router: Router<BasicRequestContext>, fleet: TenantFleet) {
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ in "ready\n" }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: fleet.registry.emitToString())))
        }
    }

    /// The fleet's `/status`: each tenant's status by name, and the tenants that could not start.
    private static func addFleetStatus(to router: Router<BasicRequestContext>, fleet: TenantFleet, credentials: ControllerCredentials) {
        struct FleetStatus: Encodable {
            var tenants: [String: ControllerStatus]
            var notStarted: [String: String]
        }
        router.get("/status") { request, _ -> Response in
            if let refused = readRefusal(request, credentials) { return refused }
            var tenants: [String: ControllerStatus] = [:]
            for name in await fleet.names {
                if let controller = await fleet.controller(named: name) { tenants[name] = await controller.status }
            }
            return try json(FleetStatus(tenants: tenants, notStarted: await fleet.problems))
        }
    }

    private static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    private static func addReads(to router: Router<BasicRequestContext>, prefix: String, lookup: @escaping Lookup, credentials: ControllerCredentials)
    {
        router.get("\(prefix)/report") { request, context -> Response in
            if let refused = readRefusal(request, credentials) { return refused }
            guard let controller = await lookup(context) else { return noSuchTenant }
            guard let report = await controller.latestReport else {
                return refusal(.notFound, "no drift report yet: the first check has not finished\n")
            }
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: DriftRenderer.html(report, chart: await controller.driftChart))))
        }
        router.get("\(prefix)/status") { request, context -> Response in
            if let refused = readRefusal(request, credentials) { return refused }
            guard let controller = await lookup(context) else { return noSuchTenant }
            return try json(await controller.status)
        }
    }

    private static func addTriggers(
        to router: Router<BasicRequestContext>, prefix: String, lookup: @escaping Lookup, credentials: ControllerCredentials
    ) {
        router.post("\(prefix)/hooks/git") { request, context -> Response in
            guard let secret = credentials.webhookSecret else {
                return refusal(
                    .notFound, "the git webhook is off until a webhook secret is set (--webhook-secret-file or ROOMKEEPER_WEBHOOK_SECRET)\n")
            }
            guard try await authorized(request, secret: secret) else {
                return refusal(.unauthorized, "a valid webhook secret is required\n")
            }
            guard let controller = await lookup(context) else { return noSuchTenant }
            // A suspended controller does not reconcile: say so, rather than accept and ignore it.
            guard await !controller.status.suspended else {
                return refusal(.conflict, "the controller is suspended; resume it to reconcile\n")
            }
            await controller.trigger(because: "webhook")
            return accepted("reconcile requested\n")
        }
        router.post("\(prefix)/reconcile") { request, context -> Response in
            if let refused = operatorRefusal(request, credentials) { return refused }
            guard let controller = await lookup(context) else { return noSuchTenant }
            guard await !controller.status.suspended else {
                return refusal(.conflict, "the controller is suspended; resume it to reconcile\n")
            }
            await controller.trigger(because: "operator")
            return accepted("reconcile requested\n")
        }
        router.post("\(prefix)/suspend") { request, context -> Response in
            if let refused = operatorRefusal(request, credentials) { return refused }
            guard let controller = await lookup(context) else { return noSuchTenant }
            try await controller.suspend()
            return accepted("suspended\n")
        }
        router.post("\(prefix)/resume") { request, context -> Response in
            if let refused = operatorRefusal(request, credentials) { return refused }
            guard let controller = await lookup(context) else { return noSuchTenant }
            try await controller.resume()
            return accepted("resumed\n")
        }
    }

    /// Why an operator request is refused, or nil to let it through: it must come from no web
    /// page of another site, and carry the admin token (never the webhook secret, so a captured
    /// push delivery cannot suspend reconciling). Without an admin token configured, none passes.
    static func operatorRefusal(_ request: Request, _ credentials: ControllerCredentials) -> Response? {
        if let refused = siteRefusal(request, credentials) { return refused }
        guard let adminToken = credentials.adminToken else {
            return refusal(
                .forbidden, "reconcile, suspend and resume are off until an admin token is set (--admin-token-file or ROOMKEEPER_ADMIN_TOKEN)\n")
        }
        guard let presented = bearer(request), sameSecret(presented, adminToken) else {
            return refusal(.unauthorized, "a valid admin token is required (Authorization: Bearer ...)\n")
        }
        return nil
    }

    /// Why a read of `/status` or `/report` is refused, or nil: as an operator request, with the
    /// read token or the admin token.
    static func readRefusal(_ request: Request, _ credentials: ControllerCredentials) -> Response? {
        if let refused = siteRefusal(request, credentials) { return refused }
        let tokens = [credentials.readToken, credentials.adminToken].compactMap { $0 }
        guard !tokens.isEmpty else {
            return refusal(
                .forbidden, "status and report are off until a read token (--read-token-file or ROOMKEEPER_READ_TOKEN) or an admin token is set\n")
        }
        guard let presented = bearer(request), tokens.contains(where: { sameSecret(presented, $0) }) else {
            return refusal(.unauthorized, "a valid read or admin token is required (Authorization: Bearer ...)\n")
        }
        return nil
    }

    private static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    /// A request a web page on another site made (its `Origin` names another host than the
    /// request's `Host`, or the browser says so in `Sec-Fetch-Site`), or one that names another
    /// host than a loopback listener's (DNS rebinding).
    static func siteRefusal(_ request: Request, _ credentials: ControllerCredentials) -> Response? {
        let host = request.head.authority
        if credentials.loopbackOnly {
            guard let host, ListenHost.isLoopback(ListenHost.name(ofAuthority: host)) else {
                return refusal(.forbidden, "this controller listens on loopback and answers only requests to a loopback host name\n")
            }
        }
        if let site = request.headers[secFetchSite], site != "same-origin", site != "none" {
            return refusal(.forbidden, "requests from other web sites are refused\n")
        }
        if let origin = request.headers[.origin] {
            guard let originURL = URL(string: origin), let originHost = originURL.host, let host,
                ListenHost.name(ofAuthority: host).lowercased() == originHost.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
                (originURL.port.map(String.init) ?? "") == ListenHost.port(ofAuthority: host)
            else { return refusal(.forbidden, "requests from other web sites are refused\n") }
        }
        return nil
    }

    private static func bearer(_ request: Request) -> String? {
        request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst("Bearer ".count)) : nil }
    }

    /// Compares digests, so the time taken says nothing about how much of the secret matched,
    /// nor about its length.
    static func sameSecret(_ presented: String, _ secret: String) -> Bool {
        SHA256.hash(data: Data(presented.utf8)) == SHA256.hash(data: Data(secret.utf8))
    }

    private static func refusal(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private static func accepted(_ text: String) -> Response {
        Response(status: .accepted, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    // Constant, valid header names: the initialiser fails only on invalid characters.
    private static let signatureHeader = HTTPField.Name("X-Hub-Signature-256")!
    private static let gitlabTokenHeader = HTTPField.Name("X-Gitlab-Token")!

    /// Whether the request carries the secret, in any of the ways git hosts send it.
    static func authorized(_ request: Request, secret: String) async throws -> Bool {
        let key = SymmetricKey(data: Data(secret.utf8))
        if let signature = request.headers[signatureHeader], signature.hasPrefix("sha256=") {
            let body = Data(try await request.body.collect(upTo: 4 << 20).readableBytesView)
            guard let given = Data(hexadecimal: String(signature.dropFirst("sha256=".count))) else { return false }
            return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: body, using: key)
        }
        guard let presented = request.headers[gitlabTokenHeader] ?? bearer(request) else { return false }
        return sameSecret(presented, secret)
    }
}

/// The host and port of a `Host` header or a listen address.
public enum ListenHost {
    /// `localhost`, `127.x.y.z` and `::1` (`PortalEndpoint.isLoopback`).
    public static func isLoopback(_ host: String) -> Bool { PortalEndpoint.isLoopback(host) }

    /// The host of `host:port`, `[v6]:port` or a bare host, without brackets.
    static func name(ofAuthority authority: String) -> String {
        if authority.hasPrefix("[") {
            return String(authority.dropFirst().prefix { $0 != "]" })
        }
        return String(authority.prefix { $0 != ":" })
    }

    /// The port of an authority, empty when it names none.
    static func port(ofAuthority authority: String) -> String {
        let afterHost = authority.hasPrefix("[") ? authority.drop { $0 != "]" }.dropFirst() : authority.drop { $0 != ":" }
        return afterHost.hasPrefix(":") ? String(afterHost.dropFirst()) : ""
    }
}

extension Data {
    /// Bytes from hexadecimal text; nil when it is not hexadecimal.
    init?(hexadecimal text: String) {
        guard text.count.isMultiple(of: 2) else { return nil }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        self.init(bytes)
    }
}
