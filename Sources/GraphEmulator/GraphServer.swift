import Foundation
import GraphAPI
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// How the Graph emulator serves: where, how long its tokens live, and how it throttles.
public struct GraphServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; `onServerRunning` learns which.
    public var port: Int
    /// Seconds an access token lives.
    public var tokenLifetime: TimeInterval
    /// Answer every n-th Graph request (batch members included) with 429 and `Retry-After`.
    public var throttleEvery: Int?
    public var retryAfterSeconds: Int
    /// Concurrent Places requests one app may make before Places answers 429; Microsoft
    /// documents four (learn.microsoft.com/graph/throttling-limits).
    public var placesConcurrency: Int
    /// Where clients reach the server, for the links it hands out; nil for the listening socket's
    /// `http://host:port`. Never taken from a request's `Host` header.
    public var baseURL: String?
    /// The most items a Places page holds, whatever `$top` asks: 100, as Places pages; lower to
    /// play a server that caps pages below what a client asks for.
    public var placesPageCap: Int

    public init(
        host: String = "127.0.0.1", port: Int = 0, tokenLifetime: TimeInterval = 3599, throttleEvery: Int? = nil, retryAfterSeconds: Int = 1,
        placesConcurrency: Int = 4, baseURL: String? = nil, placesPageCap: Int = 100
    ) {
        self.placesPageCap = max(1, placesPageCap)
        self.baseURL = baseURL
        self.host = host
        self.port = port
        self.tokenLifetime = tokenLifetime
        self.throttleEvery = throttleEvery
        self.retryAfterSeconds = retryAfterSeconds
        self.placesConcurrency = placesConcurrency
    }
}

/// The Graph emulator's HTTP server (`roomkeeper graph serve`): the token endpoint at
/// `/{tenant}/oauth2/v2.0/token` and Graph v1.0 under `/v1.0`, on one port, so that both the
/// sign-in authority host and the Graph endpoint point at it.
public enum GraphServer {
    public static func makeApplication(
        store: GraphDirectoryStore, configuration: GraphServerConfiguration, logger: Logger = Logger(label: "roomkeeper.graph-emulator"),
        now: @escaping @Sendable () -> Date = Date.init, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        makeApplication(stores: [store], configuration: configuration, logger: logger, now: now, onServerRunning: onServerRunning)
    }

    /// One server for several tenants, each its own directory, as Graph is one service for every
    /// tenant: a token names the tenant it was issued in (as Entra's `tid` claim does), and
    /// reaches that tenant's directory only.
    public static func makeApplication(
        stores: [GraphDirectoryStore], configuration: GraphServerConfiguration, logger: Logger = Logger(label: "roomkeeper.graph-emulator"),
        now: @escaping @Sendable () -> Date = Date.init, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        precondition(!stores.isEmpty, "a Graph server serves at least one tenant")
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        let base = Mutex(configuration.baseURL ?? "http://\(host):\(configuration.port)")
        let router = Router()
        let issuers = stores.indices.map { index in
            TokenIssuer(
                store: stores[index], tag: String(index), endpoint: { tenant in base.withLock { $0 } + "/\(tenant)/oauth2/v2.0/token" },
                lifetime: configuration.tokenLifetime, now: now, issuer: { tenant in base.withLock { $0 } + "/\(tenant)/v2.0" })
        }
        let issuerByTenant = Dictionary(stores.indices.map { (stores[$0].tenantId, issuers[$0]) }, uniquingKeysWith: { first, _ in first })
        router.post("/:tenant/oauth2/v2.0/token") { request, context -> Response in
            let tenant = context.parameters.get("tenant") ?? ""
            let body = try await request.body.collect(upTo: 64 << 10)
            let form = Self.form(String(buffer: body))
            // An unknown tenant gets the first issuer's "tenant not found".
            let tokens = issuerByTenant[tenant.lowercased()] ?? issuers[0]
            switch Result(catching: { () throws(TokenIssuer.Refusal) in try tokens.issue(tenant: tenant, form: form) }) {
            case .success(let answer): return json(200, try JSONEncoder().encode(answer))
            case .failure(let refusal): return json(refusal.status, (try? JSONEncoder().encode(refusal.body)) ?? Data())
            }
        }
        let web = WebSignIn(
            stores: Dictionary(stores.map { ($0.tenantId, $0) }, uniquingKeysWith: { first, _ in first }), base: { base.withLock { $0 } }, now: now)
        router.get("/:tenant/v2.0/.well-known/openid-configuration") { _, context -> Response in
            guard let document = web.configuration(tenant: context.parameters.get("tenant") ?? "") else {
                return json(400, Data(#"{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant not found."}"#.utf8))
            }
            return json(200, try JSONEncoder().encode(document))
        }
        router.get("/:tenant/discovery/v2.0/keys") { _, _ -> Response in json(200, try JSONEncoder().encode(IDTokenSigner.shared.keySet)) }
        router.get("/:tenant/oauth2/v2.0/authorize") { request, context -> Response in
            var query: [String: String] = [:]
            for item in URLComponents(string: request.uri.description)?.queryItems ?? [] { query[item.name] = item.value ?? "" }
            return web.authorizePage(tenant: context.parameters.get("tenant") ?? "", query: query)
        }
        router.post("/:tenant/oauth2/v2.0/authorize") { request, context -> Response in
            let body = try await request.body.collect(upTo: 64 << 10)
            return web.signIn(tenant: context.parameters.get("tenant") ?? "", form: Self.form(String(buffer: body)))
        }
        let served = stores.map { Served(store: $0, configuration: configuration, base: { base.withLock { $0 } }, now: now) }
        router.get("/v1.0/**") { request, _ in Served.tenant(of: request, among: served).answer(request, body: nil) }
        // Batches and actions (one wildcard: a more specific route would shadow the GET wildcard's paths).
        router.post("/v1.0/**") { request, _ in
            Served.tenant(of: request, among: served).answer(request, body: Data(buffer: try await request.body.collect(upTo: 4 << 20)))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "roomkeeper-graph"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                if configuration.baseURL == nil { base.withLock { $0 = "http://\(host):\(port)" } }
                await onServerRunning(port)
            },
            logger: logger)
    }

    static func form(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return fields
    }

    static func json(_ status: Int, _ body: Data, headers: [String: String] = [:]) -> Response {
        var fields = HTTPFields()
        fields[.contentType] = "application/json"
        fields[HTTPField.Name("request-id")!] = UUID().uuidString.lowercased()
        for (name, value) in headers { if let name = HTTPField.Name(name) { fields[name] = value } }
        return Response(status: .init(code: status), headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Authenticates, throttles and answers Graph requests, batches included.
private struct Served: Sendable {
    let store: GraphDirectoryStore
    let configuration: GraphServerConfiguration
    let base: @Sendable () -> String
    let now: @Sendable () -> Date

    /// The tenant whose token the request bears (its tag, before the first dot), or the first,
    /// which refuses a token it did not issue.
    static func tenant(of request: Request, among served: [Served]) -> Served {
        guard served.count > 1, let header = request.headers[.authorization], header.hasPrefix("Bearer "),
            let tag = header.dropFirst(7).split(separator: ".", maxSplits: 1).first, let index = Int(tag), served.indices.contains(index)
        else { return served[0] }
        return served[index]
    }

    func answer(_ request: Request, body: Data?) -> Response {
        let low = request.headers[HTTPField.Name("x-ms-throttle-priority")!]?.lowercased() == "low"
        store.state.withLock { state in
            state.httpRequests += 1
            if low { state.lowPriorityRequests += 1 }
        }
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            return respond(.error(401, "InvalidAuthenticationToken", "Access token is empty."))
        }
        let token = String(header.dropFirst(7))
        guard let issued = store.state.withLock({ $0.tokens[token] }) else {
            return respond(.error(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."))
        }
        guard issued.expires > now() else {
            return respond(.error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."))
        }
        let endpoints = GraphEndpoints(store: store, baseURL: base(), placesPageCap: configuration.placesPageCap)
        let eventual = request.headers[HTTPField.Name("ConsistencyLevel")!]?.lowercased() == "eventual"
        guard var call = Self.call(method: request.method.rawValue, target: request.uri.description, eventual: eventual, body: body) else {
            return respond(.error(400, "BadRequest", "Invalid request URL."))
        }
        if let prefer = request.headers[HTTPField.Name("Prefer")!], let range = prefer.range(of: "odata.maxpagesize=") {
            call.maximumPageSize = Int(prefer[range.upperBound...].prefix { $0.isNumber })
        }
        if call.path == "/$batch" { return respond(batch(call, endpoints: endpoints, issued: issued)) }
        return respond(single(call, endpoints: endpoints, issued: issued))
    }

    private func single(_ call: GraphCall, endpoints: GraphEndpoints, issued: GraphDirectoryStore.IssuedToken) -> GraphAnswer {
        let count = store.state.withLock { state in
            state.requests += 1
            return state.requests
        }
        if let every = configuration.throttleEvery, every > 0, count % every == 0 { return throttled() }
        let places = call.path.hasPrefix("/places/")
        if places {
            let admitted = store.state.withLock { state in
                guard state.placesInFlight[issued.clientId, default: 0] < configuration.placesConcurrency else { return false }
                state.placesInFlight[issued.clientId, default: 0] += 1
                return true
            }
            guard admitted else { return throttled() }
        }
        defer { if places { store.state.withLock { $0.placesInFlight[issued.clientId, default: 1] -= 1 } } }
        return endpoints.handle(call, permissions: issued.permissions)
    }

    private func throttled() -> GraphAnswer {
        var answer = GraphAnswer.error(429, "TooManyRequests", "Too many requests; retry after the time Retry-After gives.")
        answer.headers["Retry-After"] = String(configuration.retryAfterSeconds)
        return answer
    }

    /// A JSON batch (learn.microsoft.com/graph/json-batching): at most 20 members, each answered
    /// on its own, with its own status; one member failing does not fail the others.
    private func batch(_ call: GraphCall, endpoints: GraphEndpoints, issued: GraphDirectoryStore.IssuedToken) -> GraphAnswer {
        guard let data = call.body, let request = try? JSONDecoder().decode(GraphBatchRequest.self, from: data) else {
            return .error(400, "BadRequest", "Invalid batch payload format.")
        }
        guard request.requests.count <= GraphBatchRequest.maximumRequests else {
            return .error(400, "BadRequest", "The batch request contains more than 20 requests.")
        }
        guard Set(request.requests.map(\.id)).count == request.requests.count else {
            return .error(400, "BadRequest", "Batch request ids must be unique.")
        }
        var responses: [[String: Any]] = []
        for item in request.requests {
            let answer: GraphAnswer
            if let member = Self.call(
                method: item.method, target: "/v1.0" + (item.url.hasPrefix("/") ? item.url : "/" + item.url), eventual: call.consistencyLevelEventual,
                body: nil),
                member.path != "/$batch"
            {
                answer = single(member, endpoints: endpoints, issued: issued)
            } else {
                answer = .error(400, "BadRequest", "Invalid request URL in batch member '\(item.id)'.")
            }
            var headers = answer.headers
            headers["Content-Type"] = "application/json"
            responses.append(["id": item.id, "status": answer.status, "headers": headers, "body": answer.json ?? NSNull()])
        }
        return GraphAnswer(status: 200, json: ["responses": responses])
    }

    private func respond(_ answer: GraphAnswer) -> Response {
        let body = answer.json.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.withoutEscapingSlashes]) } ?? Data()
        return GraphServer.json(answer.status, body, headers: answer.headers)
    }

    /// A request target (`/v1.0/users?$top=5`) as a call: the path after `/v1.0`, decoded, and the query.
    static func call(method: String, target: String, eventual: Bool, body: Data?) -> GraphCall? {
        guard let components = URLComponents(string: "http://graph" + target), components.path.hasPrefix("/v1.0/") else { return nil }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        return GraphCall(method: method, path: String(components.path.dropFirst(5)), query: query, consistencyLevelEventual: eventual, body: body)
    }
}
