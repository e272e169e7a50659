import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PortalAPI
import Synchronization

/// The request context of the emulator's routes: Hummingbird's, plus the authenticated caller.
public struct PortalRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var principal: Principal?
    /// Set by fault injection: treat this request's If-Match as stale.
    public var staleETag = false

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    public var maxUploadSize: Int { 1 << 20 }
}

/// How the emulator serves: where, for whom, how fast and how flakily.
public struct PortalServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; `onServerRunning` learns which.
    public var port: Int
    public var tokens: TokenDirectory
    public var faults: FaultPlan
    /// Requests per second and burst per caller; nil for no limit.
    public var rateLimit: (perSecond: Double, burst: Double)?
    /// Where clients reach the server, for the `@odata.nextLink`s it hands out; nil for
    /// `http://host:port` of the listening socket. Never taken from a request's `Host` header.
    public var baseURL: String?

    public init(
        host: String = "127.0.0.1", port: Int = 0, tokens: TokenDirectory, faults: FaultPlan = FaultPlan(),
        rateLimit: (perSecond: Double, burst: Double)? = nil, baseURL: String? = nil
    ) {
        self.baseURL = baseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.host = host
        self.port = port
        self.tokens = tokens
        self.faults = faults
        self.rateLimit = rateLimit
    }
}

/// The emulator's HTTP server: the contract in `openapi.yaml`, on Hummingbird.
public enum PortalServer {
    /// The application, ready to run (`runService()` handles SIGTERM and SIGINT gracefully).
    public static func makeApplication(
        service: PortalService, configuration: PortalServerConfiguration, logger: Logger = Logger(label: "roomkeeper.portal"),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let router = Router(context: PortalRequestContext.self)
        router.add(middleware: ErrorMiddleware())
        if !configuration.faults.isEmpty { router.add(middleware: FaultMiddleware(plan: configuration.faults)) }
        router.add(middleware: AuthMiddleware(service: service, tokens: configuration.tokens))
        if let limit = configuration.rateLimit {
            router.add(middleware: ThrottleMiddleware(limiter: RateLimiter(perSecond: limit.perSecond, burst: limit.burst)))
        }
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        let advertised = AdvertisedURL(configuration.baseURL ?? "http://\(host):\(configuration.port)")
        Routes(service: service, baseURL: advertised).add(to: router)
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "roomkeeper-portal"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                if configuration.baseURL == nil { advertised.set("http://\(host):\(port)") }
                await onServerRunning(port)
            },
            logger: logger)
    }
}

/// The server's own base URL, known once the socket is bound (port 0 picks one).
final class AdvertisedURL: Sendable {
    private let value: Mutex<String>
    init(_ url: String) { value = Mutex(url) }
    func set(_ url: String) { value.withLock { $0 = url } }
    var url: String { value.withLock { $0 } }
}

// MARK: - Middleware

/// Turns every error into the contract's JSON error body; nothing internal (or secret) leaks.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = PortalRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as PortalError {
            return Self.response(error)
        } catch let held as LeaseHeldError {
            return try JSONResponse.make(held.lease, status: .conflict)
        } catch let error as HTTPError where error.status == .notFound {
            // A path the contract has, asked with a method it does not take: 405 naming those it does.
            guard let allowed = ContractRoutes.shipped.methods(for: request.uri.path), !allowed.contains(request.method.rawValue) else {
                return Self.response(PortalError(status: 404, code: "NotFound", message: error.body ?? "Not Found"))
            }
            var response = Self.response(PortalError(status: 405, code: "MethodNotAllowed", message: "\(request.method) is not allowed here"))
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        } catch let error as HTTPError {
            let code = error.status == .notFound ? "NotFound" : "HTTP\(error.status.code)"
            return Self.response(PortalError(status: error.status.code, code: code, message: error.body ?? error.status.reasonPhrase))
        } catch is DecodingError {
            return Self.response(.badRequest("the request body does not match the contract's schema"))
        } catch let error as DroppedConnection {
            throw error
        } catch {
            context.logger.error("Request failed", metadata: ["error.type": "\(type(of: error))"])
            return Self.response(PortalError(status: 500, code: "InternalServerError", message: "the portal failed; try again"))
        }
    }

    static func response(_ error: PortalError) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let retryAfter = error.retryAfter { headers[.retryAfter] = String(Int(retryAfter.rounded(.up))) }
        let body = (try? JSONResponse.encoder.encode(error.body)) ?? Data()
        return Response(
            status: HTTPResponse.Status(code: error.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Maps the bearer token to a directory user and works out what the user may do.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = PortalRequestContext
    let service: PortalService
    let tokens: TokenDirectory

    /// Paths that authenticate otherwise (the agent presents the enrollment key) or not at all.
    static let open: Set<String> = ["/v1/agent/checkin", "/healthz"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !Self.open.contains(request.uri.path) else { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let user = tokens.user(forToken: String(header.dropFirst(7)))
        else { throw PortalError.unauthorized("send 'Authorization: Bearer <token>' with a token the portal knows") }
        var context = context
        context.principal = try await service.principal(userPrincipalName: user)
        return try await next(request, context)
    }
}

/// 429 with Retry-After when a caller goes over its request rate.
struct ThrottleMiddleware: RouterMiddleware {
    typealias Context = PortalRequestContext
    let limiter: RateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let wait = limiter.admit(context.principal?.userPrincipalName ?? "anonymous") {
            throw PortalError.tooManyRequests(retryAfter: wait)
        }
        return try await next(request, context)
    }
}

/// Thrown to close a connection mid-response, as a flaky network would.
struct DroppedConnection: Error {}

/// Injects latency, 429s, 5xx, dropped connections and stale entity tags at the plan's rates.
struct FaultMiddleware: RouterMiddleware {
    typealias Context = PortalRequestContext
    let plan: FaultPlan
    private let dice: Dice

    /// The seeded generator, shared by every request the middleware sees.
    private final class Dice: Sendable {
        let random: Mutex<SeededRandom>
        init(seed: UInt64) { random = Mutex(SeededRandom(seed: seed)) }
    }

    init(plan: FaultPlan) {
        self.plan = plan
        dice = Dice(seed: plan.seed)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let (latency, roll, writeRoll) = dice.random.withLock { generator in
            (
                Double.random(in: 0...1, using: &generator), Double.random(in: 0..<1, using: &generator),
                Double.random(in: 0..<1, using: &generator)
            )
        }
        if plan.maximumLatency > .zero { try await Task.sleep(for: plan.maximumLatency * latency) }
        let retryAfter = Double(plan.retryAfterSeconds)
        if roll < plan.throttleRate { throw PortalError.tooManyRequests(retryAfter: retryAfter) }
        if roll < plan.throttleRate + plan.serverErrorRate {
            throw PortalError(status: 503, code: "ServiceUnavailable", message: "the portal is busy; try again", retryAfter: retryAfter)
        }
        var context = context
        context.staleETag = writeRoll < plan.staleETagRate
        let response = try await next(request, context)
        if roll >= plan.throttleRate + plan.serverErrorRate, roll < plan.throttleRate + plan.serverErrorRate + plan.dropRate {
            // The request was handled; only its answer is lost, which is the hard case for clients.
            return Response(status: response.status, headers: response.headers, body: ResponseBody { _ in throw DroppedConnection() })
        }
        return response
    }
}

// MARK: - JSON

enum JSONResponse {
    static var encoder: JSONEncoder { PortalJSON.encoder }
    static var decoder: JSONDecoder { PortalJSON.decoder }

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    /// Decodes a request body. With `defaultId`, a body without an `id` gets that one (the
    /// contract lets clients leave it out: the portal assigns it, or the URL names it).
    static func decode<T: Decodable>(
        _ type: T.Type, from request: Request, context: PortalRequestContext, defaultId: String? = nil
    ) async throws -> T {
        let buffer = try await request.body.collect(upTo: context.maxUploadSize)
        var data = Data(buffer.readableBytesView)
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            // The entity tag a client echoes back is ignored, but must still be what the contract says.
            if let tag = object["@odata.etag"], !(tag is String) {
                throw PortalError.badRequest("@odata.etag must be a string", target: "@odata.etag")
            }
            if let defaultId, object["id"] == nil {
                var object = object
                object["id"] = defaultId
                data = try JSONSerialization.data(withJSONObject: object)
            }
        }
        return try decoder.decode(T.self, from: data)
    }
}
