import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Reports

/// Who may call the controller's endpoints that change something.
public struct ControllerCredentials: Sendable {
    /// The git host's webhook secret: `POST /hooks/git` needs it when set.
    public var webhookSecret: String?
    /// The operators' token: `POST /suspend` and `/resume` need it as a bearer token. Without
    /// one they answer only on a loopback listener; a webhook delivery never reaches them.
    public var adminToken: String?
    /// Whether the triggers listen on a loopback address only.
    public var loopbackOnly: Bool

    public init(webhookSecret: String?, adminToken: String?, loopbackOnly: Bool) {
        self.webhookSecret = webhookSecret
        self.adminToken = adminToken
        self.loopbackOnly = loopbackOnly
    }
}

/// The controller's HTTP endpoints. Probes, unauthenticated and read-only: `/healthz` (the
/// process answers), `/readyz` (the first reconcile has finished and none is stuck), `/metrics`
/// (Prometheus), `/status` (JSON), `/report` (the last drift report as HTML). Triggers:
/// `POST /hooks/git` (reconcile now, for a git push) with the webhook secret, as GitHub and Gitea
/// sign (`X-Hub-Signature-256`, an HMAC-SHA256 of the body), as GitLab sends it
/// (`X-Gitlab-Token`), or as a bearer token; and `POST /reconcile`, `/suspend`, `/resume` with the
/// operators' own token.
public enum ControllerServer {
    /// Which endpoints one listener serves: probes and triggers may listen apart.
    public struct Endpoints: OptionSet, Sendable {
        public let rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        public static let probes = Endpoints(rawValue: 1)
        public static let triggers = Endpoints(rawValue: 2)
    }

    public static func makeApplication(
        controller: Controller, host: String, port: Int, endpoints: Endpoints = [.probes, .triggers], credentials: ControllerCredentials,
        logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router()
        // Request counts and durations, through swift-metrics (a no-op until a backend is bootstrapped).
        router.middlewares.add(MetricsMiddleware())
        if endpoints.contains(.probes) { addProbes(to: router, controller: controller) }
        if endpoints.contains(.triggers) { addTriggers(to: router, controller: controller, credentials: credentials) }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "roomkeeper-controller"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    private static func addProbes(to router: Router<BasicRequestContext>, controller: Controller) {
        router.get("/healthz") { _, _ in "ok\n" }
        router.get("/readyz") { _, _ -> Response in
            let status = await controller.status
            let text = status.isReady ? "ready\n" : "not ready: \(status.condition.rawValue) \(status.reason.rawValue): \(status.message)\n"
            return Response(status: status.isReady ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/metrics") { _, _ -> Response in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: controller.metrics.exposition())))
        }
        router.get("/report") { _, _ -> Response in
            guard let report = await controller.latestReport else {
                return refusal(.notFound, "no drift report yet: the first check has not finished\n")
            }
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: DriftRenderer.html(report, history: await controller.driftHistory()))))
        }
        router.get("/status") { _, _ -> Response in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            let body = try encoder.encode(await controller.status)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    private static func addTriggers(to router: Router<BasicRequestContext>, controller: Controller, credentials: ControllerCredentials) {
        router.post("/hooks/git") { request, _ -> Response in
            guard try await authorized(request, secret: credentials.webhookSecret) else {
                return refusal(.unauthorized, "a valid webhook secret is required\n")
            }
            // A suspended controller does not reconcile: say so, rather than accept and ignore it.
            guard await !controller.status.suspended else {
                return refusal(.conflict, "the controller is suspended; resume it to reconcile\n")
            }
            await controller.trigger(because: "webhook")
            return accepted("reconcile requested\n")
        }
        router.post("/reconcile") { request, _ -> Response in
            if let refused = operatorRefusal(request, credentials) { return refused }
            guard await !controller.status.suspended else {
                return refusal(.conflict, "the controller is suspended; resume it to reconcile\n")
            }
            await controller.trigger(because: "operator")
            return accepted("reconcile requested\n")
        }
        router.post("/suspend") { request, _ -> Response in
            if let refused = operatorRefusal(request, credentials) { return refused }
            try await controller.suspend()
            return accepted("suspended\n")
        }
        router.post("/resume") { request, _ -> Response in
            if let refused = operatorRefusal(request, credentials) { return refused }
            try await controller.resume()
            return accepted("resumed\n")
        }
    }

    /// Why an operator request is refused, or nil to let it through: the bearer token must be
    /// the admin token (never the webhook secret, so a captured push delivery cannot suspend
    /// reconciling); with no admin token configured, only a loopback listener takes them.
    static func operatorRefusal(_ request: Request, _ credentials: ControllerCredentials) -> Response? {
        guard let adminToken = credentials.adminToken else {
            return credentials.loopbackOnly
                ? nil : refusal(.forbidden, "reconcile, suspend and resume need an admin token (--admin-token-file) on a listener beyond loopback\n")
        }
        let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst("Bearer ".count)) : nil }
        guard let presented, SHA256.hash(data: Data(presented.utf8)) == SHA256.hash(data: Data(adminToken.utf8)) else {
            return refusal(.unauthorized, "a valid admin token is required (Authorization: Bearer ...)\n")
        }
        return nil
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

    /// Whether the request carries the secret, in any of the ways git hosts send it; every
    /// request is authorised when no secret is configured.
    static func authorized(_ request: Request, secret: String?) async throws -> Bool {
        guard let secret, !secret.isEmpty else { return true }
        let key = SymmetricKey(data: Data(secret.utf8))
        if let signature = request.headers[signatureHeader], signature.hasPrefix("sha256=") {
            let body = Data(try await request.body.collect(upTo: 4 << 20).readableBytesView)
            guard let given = Data(hexadecimal: String(signature.dropFirst("sha256=".count))) else { return false }
            return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: body, using: key)
        }
        let presented = request.headers[gitlabTokenHeader]
            ?? request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst("Bearer ".count)) : nil }
        guard let presented else { return false }
        // Compare digests, so the comparison takes the same time whatever the prefix matched.
        return SHA256.hash(data: Data(presented.utf8)) == SHA256.hash(data: Data(secret.utf8))
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
