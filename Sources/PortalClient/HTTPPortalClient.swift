import AsyncHTTPClient
import Foundation
import HTTPTransport
import Logging
import NIOCore
import NIOHTTP1
import PortalAPI
import Synchronization

/// The portal over HTTP, as the contract in `openapi.yaml` describes it.
///
/// Follows `@odata.nextLink` to the end of a list; honours `Retry-After`; retries reads, If-Match
/// writes and keyed creates with jittered backoff within `RetryPolicy`'s budget; never retries a
/// create without an idempotency key after a lost answer, since it may have happened.
/// The token is sent only in the Authorization header and is never logged or described.
public final class HTTPPortalClient: Portal {
    public let baseURL: String
    private let token: String
    private let retry: RetryPolicy
    private let pageSize: Int
    private let requestTimeout: Duration
    private let logger: Logger
    private let transport: HTTPTransport
    private let lostAnswersConfirmed = Atomic<Int>(0)

    /// - Parameters:
    ///   - baseURL: e.g. `http://127.0.0.1:8080`, without `/v1`.
    ///   - token: the bearer token, from the environment or a file.
    public init(
        baseURL: String, token: String, http: HTTPClient = .roomkeeper, retry: RetryPolicy = RetryPolicy(), pageSize: Int = 1000,
        requestTimeout: Duration = .seconds(30), listedBytesLimit: Int = HTTPPortalClient.maximumListedBytes,
        logger: Logger = Logger(label: "roomkeeper.portal-client")
    ) {
        self.listedBytesLimit = listedBytesLimit
        self.requestTimeout = requestTimeout
        self.baseURL = Self.endpointDescription(baseURL: baseURL)
        self.token = token
        self.retry = retry
        self.pageSize = pageSize
        self.logger = logger
        transport = HTTPTransport(peer: "portal", http: http, logger: logger)
    }

    public var endpointDescription: String { baseURL }

    /// The description a client for `baseURL` gives, known before one is made: the URL without a trailing slash.
    public static func endpointDescription(baseURL: String) -> String {
        baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    /// The largest answer one request may bring: a page of 1,000 objects is well under it.
    static let maximumResponseBytes = 64 << 20

    /// How many requests were retried so far, and how many writes that lost their answer were
    /// confirmed by reading back that they had landed.
    public var transportCounts: PortalTransportCounts {
        PortalTransportCounts(retried: transport.counts.retries, confirmedAfterLostAnswer: lostAnswersConfirmed.load(ordering: .relaxed))
    }

    // MARK: - Portal

    /// The most pages one list may take, and the most objects it may hold: far above any real
    /// tenant, low enough that a portal answering with endless links cannot exhaust memory.
    public static let maximumPages = 10_000
    public static let maximumListedObjects = 2_000_000
    /// The most bytes the pages of one list may hold in all, unless the client is given less.
    public static let maximumListedBytes = 512 << 20
    private let listedBytesLimit: Int

    public func list<R: PortalResource>(_ type: R.Type) async throws -> [Tagged<R>] {
        var items: [Tagged<R>] = []
        try await followPages(from: "\(baseURL)/v1/\(R.collection.rawValue)?$top=\(pageSize)", of: R.collection.rawValue) { (page: Page<Tagged<R>>) in
            items += page.value
            return (items.count, page.nextLink)
        }
        return items
    }

    public func deletions() async throws -> [AuditEntry] {
        var entries: [AuditEntry] = []
        let first = "\(baseURL)/v1/auditLog?$top=\(pageSize)&$filter=\(Self.queryValue(AuditEntry.deletionsFilter))"
        try await followPages(from: first, of: "the audit log's deletions") { (page: Page<AuditEntry>) in
            entries += page.value
            return (entries.count, page.nextLink)
        }
        return entries
    }

    public func changes<R: PortalResource>(_ type: R.Type, since token: DeltaToken?) async throws -> CollectionChanges<R> {
        let delta = "\(baseURL)/v1/\(R.collection.rawValue)/delta"
        // The token is the only part of a saved delta link Roomkeeper keeps: the request goes to
        // the configured portal, never to an address read back from a file.
        let first = token.map { "\(delta)?$deltatoken=\(Self.queryValue($0.value))" } ?? "\(delta)?$top=\(pageSize)"
        var changes = CollectionChanges<R>(changed: [], removed: [], token: DeltaToken(""))
        var deltaLink: String?
        try await followPages(from: first, of: R.collection.rawValue) { (page: DeltaPage<R>) in
            changes.record(page.value)
            deltaLink = page.deltaLink
            return (changes.changed.count + changes.removed.count, page.nextLink)
        }
        guard let deltaLink, let link = URLComponents(string: try sameOriginLink(deltaLink, listing: R.collection.rawValue)),
            link.path == URLComponents(string: delta)?.path,
            let value = link.queryItems?.first(where: { $0.name == "$deltatoken" })?.value, !value.isEmpty, value.utf8.count <= 4096
        else {
            throw PortalError(
                status: 0, code: "MissingDeltaLink",
                message:
                    "the portal's delta read of \(R.collection.rawValue) ended without a delta link to \(R.collection.rawValue)/delta with a $deltatoken"
            )
        }
        changes.token = DeltaToken(value)
        return changes
    }

    /// Reads pages from `url` on: `consume` takes each page and returns how many objects were
    /// read so far and the next page's link. Bounded in pages and objects, refuses loops, and
    /// follows only links into this portal.
    private func followPages<P: Decodable & Sendable>(
        from url: String, of listing: String, _ consume: (P) throws -> (objects: Int, next: String?)
    ) async throws {
        var next: String? = url
        var followed: Set<String> = []
        var objects = 0
        var bytes = 0
        while let url = next {
            guard followed.count < Self.maximumPages, objects <= Self.maximumListedObjects else {
                throw PortalError(
                    status: 0, code: "TooManyPages",
                    message: "the portal's list of \(listing) went on past \(followed.count) pages and \(objects) objects; "
                        + "Roomkeeper stops there (a real tenant needs far fewer)")
            }
            guard followed.insert(url).inserted else {
                throw PortalError(
                    status: 0, code: "PagingLoop", message: "the portal's list of \(listing) links back to a page it already gave")
            }
            let page: P = try await send(
                .GET, url: url, idempotent: true,
                received: { received in
                    bytes += received
                    guard bytes <= listedBytesLimit else {
                        throw PortalError(
                            status: 0, code: "TooManyBytes",
                            message: "the portal's list of \(listing) went on past \(listedBytesLimit >> 20) MiB; "
                                + "Roomkeeper stops there (a real tenant needs far less)")
                    }
                })
            let consumed = try consume(page)
            objects = consumed.objects
            next = try consumed.next.map { try sameOriginLink($0, listing: listing) }
        }
    }

    /// `value` percent-encoded for a query string.
    private static func queryValue(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    /// `link` if it points into this portal's API (same scheme, host and port as `baseURL`, a path
    /// under its `/v1/`); the token must never follow a link elsewhere.
    private func sameOriginLink(_ link: String, listing: String) throws -> String {
        guard let target = URLComponents(string: link), let base = URLComponents(string: baseURL),
            target.scheme?.lowercased() == base.scheme?.lowercased(), target.host?.lowercased() == base.host?.lowercased(),
            (target.port ?? Self.defaultPort(target.scheme)) == (base.port ?? Self.defaultPort(base.scheme)),
            target.user == nil, target.password == nil, target.fragment == nil,
            target.percentEncodedPath.hasPrefix(base.percentEncodedPath + "/v1/")
        else {
            throw PortalError(
                status: 0, code: "ForeignNextLink",
                message:
                    "the portal's next page of \(listing) points to \(PortalEndpoint.origin(of: link)), not to \(PortalEndpoint.origin(of: baseURL)); "
                    + "Roomkeeper does not follow it")
        }
        return link
    }

    private static func defaultPort(_ scheme: String?) -> Int? {
        switch scheme?.lowercased() {
        case "https": 443
        case "http": 80
        default: nil
        }
    }

    public func get<R: PortalResource>(_ type: R.Type, id: String) async throws -> Tagged<R> {
        try await send(.GET, url: url(R.collection, id), idempotent: true)
    }

    public func create<R: OwnedResource>(_ resource: R, idempotencyKey: String?) async throws -> Tagged<R> {
        var headers: [(String, String)] = []
        if let idempotencyKey { headers.append(("Idempotency-Key", idempotencyKey)) }
        return try await send(
            .POST, url: "\(baseURL)/v1/\(R.collection.rawValue)", body: resource, headers: headers,
            idempotent: idempotencyKey != nil)
    }

    public func replace<R: OwnedResource>(_ resource: R, ifMatch: String) async throws -> Tagged<R> {
        try await send(
            .PUT, url: url(R.collection, resource.id), body: resource, headers: [("If-Match", ifMatch)], idempotent: true,
            afterLostAnswer: { error in
                // Our own write may have landed and changed the tag: it did if the object now holds what we sent.
                guard error.status == 412 else { return nil }
                let current = try await self.get(R.self, id: resource.id)
                return current.resource.unstamped == resource.unstamped ? current : nil
            })
    }

    public func delete<R: OwnedResource>(_ type: R.Type, id: String, ifMatch: String) async throws {
        let _: Empty = try await send(
            .DELETE, url: url(R.collection, id), headers: [("If-Match", ifMatch)], idempotent: true,
            afterLostAnswer: { error in error.status == 404 ? Empty() : nil })
    }

    public func moveRoom(_ roomId: String, toRing ringId: String, ifMatch: String) async throws -> Tagged<PortalRoom> {
        try await send(
            .PUT, url: url(.rooms, roomId) + "/updateRing", body: ["updateRingId": ringId], headers: [("If-Match", ifMatch)],
            idempotent: true,
            afterLostAnswer: { error in
                guard error.status == 412 else { return nil }
                let current = try await self.get(PortalRoom.self, id: roomId)
                return current.resource.updateRingId == ringId ? current : nil
            })
    }

    public func queue(_ action: RoomOperation.Action, room: String) async throws -> RoomOperation {
        // Queuing twice is refused with 409, so a retry after a lost answer cannot act twice.
        try await send(.POST, url: url(.rooms, room) + "/\(action.rawValue)", idempotent: true)
    }

    public func operation(_ id: String) async throws -> RoomOperation {
        try await send(.GET, url: "\(baseURL)/v1/operations/\(escape(id))", idempotent: true)
    }

    public func tenantSettings() async throws -> TenantSettings {
        try await send(.GET, url: "\(baseURL)/v1/tenant/settings", idempotent: true)
    }

    public func me() async throws -> Me {
        try await send(.GET, url: "\(baseURL)/v1/me", idempotent: true)
    }

    public func acquireLease(_ name: String, _ request: LeaseRequest) async throws -> Lease {
        do {
            return try await send(.PUT, url: "\(baseURL)/v1/leases/\(escape(name))", body: request, idempotent: true)
        } catch let held as HeldLeaseResponse {
            throw LeaseHeldError(lease: held.lease)
        }
    }

    public func releaseLease(_ name: String, holder: String, secret: String) async throws {
        let _: Empty = try await send(
            .DELETE, url: "\(baseURL)/v1/leases/\(escape(name))?holder=\(escape(holder))", headers: [(LeaseRequest.secretHeader, secret)],
            idempotent: true,
            afterLostAnswer: { error in error.status == 404 ? Empty() : nil })
    }

    // MARK: - Transport

    private struct Empty: Decodable {}
    private struct NoBody: Encodable {}
    private struct HeldLeaseResponse: Error { var lease: Lease }

    private static var encoder: JSONEncoder { PortalJSON.encoder }
    private static var decoder: JSONDecoder { PortalJSON.decoder }

    private func url(_ collection: PortalCollection, _ id: String) -> String {
        "\(baseURL)/v1/\(collection.rawValue)/\(escape(id))"
    }

    private func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#&="))) ?? text
    }

    /// Sends a request, retrying within `retry`'s budget what is safe to repeat: throttling and
    /// unavailability (429, 503), and gateways' 502 and 504, which may come after the portal
    /// handled the request; after a failed connection, only an idempotent request goes again.
    ///
    /// When an answer was lost and the repeat is refused, `afterLostAnswer` decides whether the
    /// refusal only says that the first attempt succeeded (a 412 because our own write changed
    /// the tag, a 404 because our own delete went through): it returns the outcome to report, or
    /// nil to throw the refusal. `received` is told the size of each successful answer before it
    /// is decoded, and may refuse it.
    private func send<Response: Decodable>(
        _ method: HTTPMethod, url: String, body: some Encodable = NoBody(), headers: [(String, String)] = [], idempotent: Bool,
        afterLostAnswer: ((PortalError) async throws -> Response?)? = nil, received: (Int) throws -> Void = { _ in }
    ) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if !(body is NoBody) {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try Self.encoder.encode(body)))
        }
        let policy = TransportPolicy(
            retryableStatuses: [429, 502, 503, 504], repeatsAfterConnectionFailure: idempotent, retry: retry, timeout: requestTimeout,
            maximumResponseBytes: Self.maximumResponseBytes)
        let answer: HTTPAnswer
        do {
            answer = try await transport.send(request, policy: policy)
        } catch let failure as TransportFailure {
            throw PortalError(status: 0, code: "ConnectionFailed", message: "could not reach the portal at \(baseURL): \(failure)")
        }
        if answer.succeeded {
            try received(answer.body.readableBytes)
            if Response.self == Empty.self || answer.body.readableBytes == 0, let empty = Empty() as? Response { return empty }
            do {
                return try Self.decoder.decode(Response.self, from: Data(answer.body.readableBytesView))
            } catch {
                throw PortalError(
                    status: answer.status, code: "UnreadableResponse", message: "the portal's answer does not match the contract: \(error)")
            }
        }
        if answer.status == 409, url.contains("/v1/leases/"),
            let lease = try? Self.decoder.decode(Lease.self, from: Data(answer.body.readableBytesView))
        {
            throw HeldLeaseResponse(lease: lease)
        }
        let error = Self.portalError(status: answer.status, headers: answer.headers, body: answer.body)
        if answer.earlierAnswerLost, let afterLostAnswer, let outcome = try await afterLostAnswer(error) {
            lostAnswersConfirmed.add(1, ordering: .relaxed)
            logger.info("A lost answer's request had succeeded", metadata: ["status": .stringConvertible(answer.status), "url": "\(url)"])
            return outcome
        }
        throw error
    }

    private static func portalError(status: Int, headers: HTTPHeaders, body: ByteBuffer) -> PortalError {
        let retryAfter = RetryPolicy.retryAfterSeconds(headers.first(name: "Retry-After"))
        if let decoded = try? decoder.decode(PortalErrorBody.self, from: Data(body.readableBytesView)) {
            return PortalError(
                status: status, code: decoded.error.code, message: decoded.error.message, target: decoded.error.target,
                retryAfter: retryAfter)
        }
        return PortalError(status: status, code: "HTTP\(status)", message: "the portal answered \(status)", retryAfter: retryAfter)
    }
}
