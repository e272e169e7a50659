import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import PortalAPI
import Synchronization

/// How one kind of request is retried and bounded: which answers are worth asking again,
/// whether a request whose connection failed may go again, the retry budget, the deadline of
/// each attempt (the answer's body included) and the largest answer.
public struct TransportPolicy: Sendable {
    /// Statuses asked again within the budget; any other answer is the caller's to read.
    public var retryableStatuses: Set<Int>
    /// Whether a request whose connection failed goes again. It may have reached the server,
    /// so only a request that is safe to repeat may.
    public var repeatsAfterConnectionFailure: Bool
    public var retry: RetryPolicy
    public var timeout: Duration
    public var maximumResponseBytes: Int

    public init(
        retryableStatuses: Set<Int>, repeatsAfterConnectionFailure: Bool, retry: RetryPolicy, timeout: Duration, maximumResponseBytes: Int
    ) {
        self.retryableStatuses = retryableStatuses
        self.repeatsAfterConnectionFailure = repeatsAfterConnectionFailure
        self.retry = retry
        self.timeout = timeout
        self.maximumResponseBytes = maximumResponseBytes
    }

    /// One attempt, for a request nobody should repeat on the caller's behalf.
    public static func once(timeout: Duration, maximumResponseBytes: Int) -> TransportPolicy {
        TransportPolicy(
            retryableStatuses: [], repeatsAfterConnectionFailure: false, retry: RetryPolicy(maximumAttempts: 1), timeout: timeout,
            maximumResponseBytes: maximumResponseBytes)
    }
}

/// The answer a server gave, once the transport stopped asking.
public struct HTTPAnswer: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: ByteBuffer
    /// How many attempts it took.
    public var attempts: Int
    /// Whether an earlier attempt may have been handled though its answer never arrived (its
    /// connection failed, or a gateway answered 502 or 504): a refusal now may only say that
    /// the earlier attempt landed.
    public var earlierAnswerLost: Bool

    public var succeeded: Bool { (200..<300).contains(status) }
    /// The wait `Retry-After` asks for, if any.
    public var retryAfter: Double? { RetryPolicy.retryAfterSeconds(headers.first(name: "Retry-After")) }
}

/// A request that got no answer: its connection failed, or it ran past its deadline, or its
/// answer was too large, on the last attempt the policy allowed.
public struct TransportFailure: Error, Sendable, CustomStringConvertible {
    public enum Reason: Sendable {
        case unreachable(String)
        case deadline(Duration)
        case tooLarge(bytes: Int)
    }

    public var reason: Reason
    public var attempts: Int

    /// What went wrong, for an error message: never a URL, a header or a body.
    public var description: String {
        switch reason {
        case .unreachable(let detail): detail
        case .deadline(let limit): "no answer within \(limit.components.seconds) s"
        case .tooLarge(let bytes): "an answer larger than \(bytes >> 20 > 0 ? "\(bytes >> 20) MiB" : "\(bytes >> 10) KiB")"
        }
    }
}

/// Sends Roomkeeper's HTTP requests: the portal's, Graph's and the webhooks'. It owns what they
/// share: retries within a `RetryPolicy` budget, honouring `Retry-After`; a deadline on every
/// attempt that covers the answer's body, since a server may stall after its headers; a bound
/// on the answer's size; no redirects (`HTTPClient.roomkeeper`); a log line per retry, with at
/// most the URL's path, never its query; and counts. The clients describe their endpoints, and read the answers.
public final class HTTPTransport: Sendable {
    /// What a transport has done so far.
    public struct Counts: Sendable, Equatable {
        public var requests = 0
        /// Requests sent again: throttling, server errors, lost connections.
        public var retries = 0
        /// Answers of 429.
        public var throttled = 0
    }

    /// Who the requests go to, in log lines: "portal", "Graph", "webhook".
    public let peer: String
    private let http: HTTPClient
    private let logger: Logger
    private let logsPaths: Bool
    private let counters = Mutex(Counts())

    /// `logsPaths`: whether a retry's log line names the URL's path; not for a URL whose path
    /// is a secret, as a webhook's often is.
    public init(peer: String, http: HTTPClient = .roomkeeper, logger: Logger, logsPaths: Bool = true) {
        self.peer = peer
        self.http = http
        self.logger = logger
        self.logsPaths = logsPaths
    }

    public var counts: Counts { counters.withLock { $0 } }

    /// Sends `request` under `policy`.
    public func send(_ request: HTTPClientRequest, policy: TransportPolicy, gate: ConcurrencyGate? = nil) async throws -> HTTPAnswer {
        try await send(policy: policy, gate: gate) { request }
    }

    /// Sends the request `prepare` makes for each attempt (a fresh token, say), under `policy`,
    /// through `gate` when given. Returns the first answer that is not retryable, or the last
    /// one when the budget is spent; throws `TransportFailure` when the last attempt got none.
    public func send(
        policy: TransportPolicy, gate: ConcurrencyGate? = nil, _ prepare: () async throws -> HTTPClientRequest
    ) async throws -> HTTPAnswer {
        var attempt = 0
        var waited = 0.0
        var answerLost = false
        while true {
            attempt += 1
            let request = try await prepare()
            counters.withLock { $0.requests += 1 }
            let failure: TransportFailure.Reason
            do {
                let (status, headers, body) = try await exchange(request, policy: policy, gate: gate)
                let answer = HTTPAnswer(status: status, headers: headers, body: body, attempts: attempt, earlierAnswerLost: answerLost)
                if status == 429 { counters.withLock { $0.throttled += 1 } }
                guard !answer.succeeded, policy.retryableStatuses.contains(status),
                    let wait = policy.retry.delay(afterAttempt: attempt, retryAfter: answer.retryAfter, waitedSoFar: waited)
                else { return answer }
                // A gateway's 502 or 504 may come after the server handled the request.
                if status == 502 || status == 504 { answerLost = true }
                try await pause(wait, attempt: attempt, reason: "\(status)", url: request.url)
                waited += wait
                continue
            } catch let error as CancellationError {
                throw error
            } catch is NIOTooManyBytesError {
                throw TransportFailure(reason: .tooLarge(bytes: policy.maximumResponseBytes), attempts: attempt)
            } catch let error as DeadlineExceeded {
                failure = .deadline(error.limit)
            } catch {
                failure = .unreachable((error as? HTTPClientError).map { "\($0)" } ?? String(describing: type(of: error)))
            }
            guard policy.repeatsAfterConnectionFailure,
                let wait = policy.retry.delay(afterAttempt: attempt, retryAfter: nil, waitedSoFar: waited)
            else { throw TransportFailure(reason: failure, attempts: attempt) }
            answerLost = true
            try await pause(wait, attempt: attempt, reason: "connection", url: request.url)
            waited += wait
        }
    }

    /// Waits `seconds` before a caller's own retry (a batch's throttled members), counted and
    /// logged as the transport's are.
    public func pause(_ seconds: Double, attempt: Int, reason: String, url: String) async throws {
        counters.withLock { $0.retries += 1 }
        var metadata: Logger.Metadata = [
            "attempt": .stringConvertible(attempt), "reason": "\(reason)", "waitSeconds": .stringConvertible(seconds),
        ]
        if logsPaths { metadata["path"] = "\(URLComponents(string: url)?.path ?? "")" }
        logger.info("Retrying a \(peer) request", metadata: metadata)
        try await Task.sleep(for: .seconds(seconds))
    }

    private func exchange(
        _ request: HTTPClientRequest, policy: TransportPolicy, gate: ConcurrencyGate?
    ) async throws -> (Int, HTTPHeaders, ByteBuffer) {
        let (http, timeout, limit) = (http, policy.timeout, policy.maximumResponseBytes)
        let attempt: @Sendable () async throws -> (Int, HTTPHeaders, ByteBuffer) = {
            try await withDeadline(timeout) {
                let response = try await http.execute(request, timeout: .seconds(timeout.components.seconds))
                return (Int(response.status.code), response.headers, try await response.body.collect(upTo: limit))
            }
        }
        guard let gate else { return try await attempt() }
        return try await gate.run(attempt)
    }
}
