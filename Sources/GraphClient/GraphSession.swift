import AsyncHTTPClient
import Foundation
import GraphAPI
import HTTPTransport
import Logging
import NIOCore
import NIOHTTP1
import PortalAPI
import Synchronization

/// Requests to Microsoft Graph v1.0 as Graph asks clients to make them
/// (learn.microsoft.com/graph/best-practices-concept, learn.microsoft.com/graph/throttling):
///
/// - every read names its properties with `$select`; lists page with `$top` and follow
///   `@odata.nextLink` only on the configured Graph host, within bounds;
/// - `429` and `503` wait for `Retry-After` (else jittered backoff) within `RetryPolicy`'s budget;
/// - each service has its own concurrency limit (Places allows four concurrent requests per app);
/// - a background caller marks its requests `x-ms-throttle-priority: low`;
/// - a `401` signs in again once; the token goes only to the Graph host;
/// - Graph's error body becomes a `GraphError` with its request id.
public final class GraphSession: Sendable {
    /// How urgent the caller's requests are, sent as `x-ms-throttle-priority`.
    public enum Priority: String, Sendable {
        /// A person is waiting (plan, validate).
        case normal
        /// Nobody is waiting (the controller's periodic reads).
        case low
    }

    /// A Graph service with its own throttling limits, and so its own concurrency gate.
    public enum Service: Sendable {
        case directory, places
    }

    public let tokens: GraphTokenProvider
    private let transport: HTTPTransport
    private let retry: RetryPolicy
    private let timeout: Duration
    private let priority: Priority
    private let logger: Logger
    private let gates: [Service: ConcurrencyGate]
    /// Batches some of whose members were throttled: the transport counts the 429s it sees itself.
    private let throttledMembers = Atomic<Int>(0)

    /// What a session has done so far, for benchmarks and tests.
    public struct Counters: Sendable, Equatable {
        public var requests = 0
        public var retries = 0
        public var throttled = 0
    }

    /// The most bytes one answer may hold, the most pages one list may take and the most objects
    /// it may hold: far above any tenant, low enough that a server cannot exhaust memory.
    static let maximumResponseBytes = 64 << 20
    public static let maximumPages = 20_000
    public static let maximumListedObjects = 5_000_000
    /// The most bytes the pages of one list may hold in all, unless the session is given less.
    public static let maximumListedBytes = 1 << 30
    private let listedBytesLimit: Int

    public init(
        tokens: GraphTokenProvider, http: HTTPClient, retry: RetryPolicy = RetryPolicy(), timeout: Duration = .seconds(60),
        priority: Priority = .normal, directoryConcurrency: Int = 8, placesConcurrency: Int = 4,
        listedBytesLimit: Int = GraphSession.maximumListedBytes, logger: Logger = Logger(label: "roomkeeper.graph")
    ) {
        self.listedBytesLimit = listedBytesLimit
        self.tokens = tokens
        transport = HTTPTransport(peer: "Graph", http: http, logger: logger)
        self.retry = retry
        self.timeout = timeout
        self.priority = priority
        self.logger = logger
        gates = [.directory: ConcurrencyGate(limit: directoryConcurrency), .places: ConcurrencyGate(limit: placesConcurrency)]
    }

    public var counts: Counters {
        let sent = transport.counts
        return Counters(requests: sent.requests, retries: sent.retries, throttled: sent.throttled + throttledMembers.load(ordering: .relaxed))
    }

    /// The Graph host, e.g. `https://graph.microsoft.com`.
    public var host: GraphHost { tokens.signIn.graph }

    /// `https://graph.microsoft.com/v1.0` + `path` (which starts with `/`).
    public func url(_ path: String) -> String { "\(host.origin)/v1.0\(path)" }

    /// Every page of a list from `firstURL`, following `@odata.nextLink` on the Graph host only.
    /// Returns the items and, for a delta round, the `@odata.deltaLink` of its last page.
    ///
    /// `pageSize` asks for pages that large with `Prefer: odata.maxpagesize`, for reads that
    /// take no `$top` (delta rounds).
    public func list<Item: Codable & Sendable>(
        _ item: Item.Type, from firstURL: String, service: Service = .directory, advancedQuery: Bool = false, pageSize: Int? = nil
    ) async throws -> (items: [Item], deltaLink: String?) {
        var items: [Item] = []
        var next: String? = firstURL
        var pages = 0
        var bytes = 0
        while let url = next {
            guard pages < Self.maximumPages, items.count <= Self.maximumListedObjects else {
                throw GraphError(
                    status: 0, code: "TooManyPages",
                    message: "a Graph list went on past \(pages) pages and \(items.count) objects; Roomkeeper stops there")
            }
            let page: GraphPage<Item> = try await send(
                .GET, url: url, body: nil, service: service, advancedQuery: advancedQuery, pageSize: pageSize
            ) { received in
                bytes += received
                try checkListedBytes(bytes)
            }
            pages += 1
            items += page.value
            if let deltaLink = page.deltaLink, page.nextLink == nil { return (items, try onGraphHost(deltaLink)) }
            next = try page.nextLink.map(onGraphHost)
        }
        return (items, nil)
    }

    /// Every item of a collection that pages by `$skip` and gives no next link, as Places does:
    /// `place-list` documents `$top`, `$skip` and `$count` with pages of 100, and the service
    /// returns no `@odata.nextLink` (microsoftgraph/microsoft-graph-docs#18604, #6427, #9923,
    /// #9542; msgraph-sdk-dotnet#2190: "only 100 elements while OdataCount is 1535").
    ///
    /// `path` is the collection's path and query without `$top`, `$skip` or `$count`. Pages of
    /// `pageSize` are asked for, each at the offset of the items received so far, until the
    /// count `$count=true` reported is reached, or a page comes back empty, or (with no count) a
    /// page comes back shorter than the longest so far: a server that caps pages below `pageSize`
    /// is read to the end all the same. Bounded as `list` is.
    public func listBySkip<Item: Codable & Sendable>(
        _ item: Item.Type, path: String, pageSize: Int = 100, service: Service = .places
    ) async throws -> [Item] {
        var items: [Item] = []
        var bytes = 0
        var longest = 0
        var total: Int?
        for pages in 0... {
            guard pages < Self.maximumPages, items.count <= Self.maximumListedObjects else {
                throw GraphError(
                    status: 0, code: "TooManyPages",
                    message: "a Graph list went on past \(pages) pages and \(items.count) objects; Roomkeeper stops there")
            }
            let separator = path.contains("?") ? "&" : "?"
            let url = url("\(path)\(separator)$top=\(pageSize)&$skip=\(items.count)&$count=true")
            let page: GraphPage<Item> = try await send(
                .GET, url: url, body: nil, service: service, advancedQuery: false, pageSize: nil
            ) { received in
                bytes += received
                try checkListedBytes(bytes)
            }
            items += page.value
            total = total ?? page.count
            let shortPage = page.value.count < longest
            longest = max(longest, page.value.count)
            if page.value.isEmpty { break }
            if let total {
                if items.count >= total { break }
            } else if shortPage {
                break
            }
        }
        return items
    }

    /// Refuses a list whose pages hold more than `listedBytesLimit` bytes so far.
    private func checkListedBytes(_ bytes: Int) throws {
        guard bytes <= listedBytesLimit else {
            throw GraphError(
                status: 0, code: "TooManyBytes", message: "a Graph list went on past \(listedBytesLimit >> 20) MiB; Roomkeeper stops there")
        }
    }

    /// Answers to up to 20 GET requests (paths relative to `/v1.0`) in one `$batch` request, by
    /// request id. A member that failed is reported in its place; the batch does not fail for it.
    /// Members throttled with 429 are sent again in a later batch, after their Retry-After.
    public func batch<Body: Codable & Sendable>(
        _ body: Body.Type, paths: [String: String], service: Service = .directory
    ) async throws -> [String: Result<Body, GraphError>] {
        precondition(paths.count <= GraphBatchRequest.maximumRequests, "a Graph batch holds at most 20 requests")
        var remaining = paths
        var answers: [String: Result<Body, GraphError>] = [:]
        var attempt = 0
        var waited = 0.0
        while !remaining.isEmpty {
            attempt += 1
            let request = GraphBatchRequest(requests: remaining.sorted { $0.key < $1.key }.map { .init(id: $0.key, url: $0.value) })
            let response: GraphBatchResponse<Body> = try await send(
                .POST, url: url("/$batch"), body: try JSONEncoder().encode(request), service: service, advancedQuery: false, pageSize: nil)
            var throttledWait: Double?
            for item in response.responses where remaining[item.id] != nil {
                if (200..<300).contains(item.status), let body = item.body {
                    answers[item.id] = .success(body)
                    remaining[item.id] = nil
                } else if item.status == 429 || item.status == 503 {
                    let wait = RetryPolicy.retryAfterSeconds(item.headers?.first { $0.key.lowercased() == "retry-after" }?.value)
                    throttledWait = max(throttledWait ?? 0, wait ?? 0)
                } else {
                    let detail = item.error?.error
                    answers[item.id] = .failure(
                        GraphError(
                            status: item.status, code: detail?.code ?? "HTTP\(item.status)",
                            message: detail?.message ?? "Graph answered \(item.status)", requestId: detail?.innerError?.requestId))
                    remaining[item.id] = nil
                }
            }
            guard !remaining.isEmpty else { break }
            throttledMembers.add(1, ordering: .relaxed)
            guard let wait = retry.delay(afterAttempt: attempt, retryAfter: throttledWait, waitedSoFar: waited) else {
                for id in remaining.keys {
                    answers[id] = .failure(GraphError(status: 429, code: "TooManyRequests", message: "Graph kept throttling this request"))
                }
                break
            }
            try await transport.pause(wait, attempt: attempt, reason: "batch members throttled", url: url("/$batch"))
            waited += wait
        }
        return answers
    }

    /// One POST whose answer has no body (204), e.g. an action; retried as reads are, so only
    /// for actions that are safe to repeat.
    public func post(_ url: String, body: some Encodable, service: Service = .directory) async throws {
        let _: GraphNoContent = try await send(
            .POST, url: url, body: try JSONEncoder().encode(body), service: service, advancedQuery: false, pageSize: nil)
    }

    /// One GET, decoded.
    public func get<Response: Decodable>(_ url: String, service: Service = .directory, advancedQuery: Bool = false) async throws -> Response {
        try await send(.GET, url: url, body: nil, service: service, advancedQuery: advancedQuery, pageSize: nil)
    }

    /// `link` if it is on the Graph host this session signs in for; a token never follows a
    /// link anywhere else.
    private func onGraphHost(_ link: String) throws -> String {
        guard host.contains(link), URLComponents(string: link)?.percentEncodedPath.hasPrefix("/v1.0/") == true else {
            throw GraphError(
                status: 0, code: "ForeignNextLink",
                message: "Graph's next page points to \(PortalEndpoint.origin(of: link)), not to \(host); Roomkeeper does not follow it")
        }
        return link
    }

    /// Sends one request through the transport: 429, 503 and 504 and failed connections are
    /// retried within the budget (Graph's throttling guidance); a 401 signs in again once, with a
    /// new budget. `received` is told the size of each successful answer before it is decoded,
    /// and may refuse it.
    private func send<Response: Decodable>(
        _ method: HTTPMethod, url: String, body: Data?, service: Service, advancedQuery: Bool, pageSize: Int?,
        received: (Int) throws -> Void = { _ in }
    ) async throws -> Response {
        guard host.contains(url) else {
            throw GraphError(status: 0, code: "ForeignURL", message: "refusing to send a Graph token to \(PortalEndpoint.origin(of: url))")
        }
        let policy = TransportPolicy(
            retryableStatuses: [429, 503, 504], repeatsAfterConnectionFailure: true, retry: retry, timeout: timeout,
            maximumResponseBytes: Self.maximumResponseBytes)
        var signedInAgain = false
        while true {
            var sentToken = ""
            let answer: HTTPAnswer
            do {
                answer = try await transport.send(policy: policy, gate: gates[service]) {
                    // A fresh token each attempt: a long wait may outlive the last one.
                    sentToken = try await tokens.token()
                    return request(method, url: url, token: sentToken, body: body, advancedQuery: advancedQuery, pageSize: pageSize)
                }
            } catch let failure as TransportFailure {
                throw GraphError(status: 0, code: "ConnectionFailed", message: "could not reach Graph at \(host): \(failure)")
            }
            if answer.succeeded {
                try received(answer.body.readableBytes)
                if answer.body.readableBytes == 0, let nothing = GraphNoContent() as? Response { return nothing }
                do {
                    return try JSONDecoder().decode(Response.self, from: Data(answer.body.readableBytesView))
                } catch {
                    throw GraphError(
                        status: answer.status, code: "UnreadableResponse",
                        message: "Graph's answer to \(Self.path(of: url)) could not be read: \(error)",
                        requestId: answer.headers.first(name: "request-id"))
                }
            }
            if answer.status == 401, !signedInAgain {
                signedInAgain = true
                await tokens.refused(sentToken)
                continue
            }
            throw Self.graphError(status: answer.status, headers: answer.headers, body: answer.body)
        }
    }

    private func request(
        _ method: HTTPMethod, url: String, token: String, body: Data?, advancedQuery: Bool, pageSize: Int?
    ) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "client-request-id", value: UUID().uuidString.lowercased())
        if priority == .low { request.headers.add(name: "x-ms-throttle-priority", value: "low") }
        // Advanced queries ($count, OData casts on member lists) need eventual consistency
        // (learn.microsoft.com/graph/aad-advanced-queries).
        if advancedQuery { request.headers.add(name: "ConsistencyLevel", value: "eventual") }
        if let pageSize { request.headers.add(name: "Prefer", value: "odata.maxpagesize=\(pageSize)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    static func graphError(status: Int, headers: HTTPHeaders, body: ByteBuffer) -> GraphError {
        let retryAfter = RetryPolicy.retryAfterSeconds(headers.first(name: "Retry-After"))
        if let decoded = try? JSONDecoder().decode(GraphErrorBody.self, from: Data(body.readableBytesView)) {
            return GraphError(
                status: status, code: String(decoded.error.code.prefix(100)), message: String(decoded.error.message.prefix(1000)),
                requestId: decoded.error.innerError?.requestId ?? headers.first(name: "request-id"), retryAfter: retryAfter)
        }
        return GraphError(
            status: status, code: "HTTP\(status)", message: "Graph answered \(status)", requestId: headers.first(name: "request-id"),
            retryAfter: retryAfter)
    }

    /// The path of a URL, for messages: no host or query.
    static func path(of url: String) -> String { URLComponents(string: url)?.path ?? "a Graph URL" }
}

/// The answer of a request that returns no body.
public struct GraphNoContent: Decodable, Sendable {}
