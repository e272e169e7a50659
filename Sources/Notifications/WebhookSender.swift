import AsyncHTTPClient
import Foundation
import HTTPTransport
import Logging
import NIOCore
import PortalAPI

/// Posts a JSON body to a webhook (a Teams incoming webhook, a chat relay, an alerting system),
/// retrying throttling, server errors and lost connections within a bounded budget, each
/// attempt under a timeout. The URL often carries a secret (Teams signs its webhook URLs), so
/// errors and descriptions name only its scheme and host.
public struct WebhookSender: Sendable {
    public let url: String
    public var retry: RetryPolicy
    public var timeout: Duration

    private static let logger = Logger(label: "roomkeeper.notifications")

    public init(
        url: String, retry: RetryPolicy = RetryPolicy(maximumAttempts: 4, baseDelay: 1, maximumDelay: 8, maximumTotalWait: 30),
        timeout: Duration = .seconds(10)
    ) {
        self.url = url
        self.retry = retry
        self.timeout = timeout
    }

    /// `scheme://host[:port]`, without path, query or credentials.
    public var redactedURL: String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else {
            return "(an unreadable URL)"
        }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    /// Posts `body`; returns the number of attempts it took. Throttling (429), a timeout (408),
    /// server errors and lost connections are retried: a notification posted twice is better
    /// than none. Throws `WebhookError` once the retry budget is spent or the receiver refuses
    /// the message (any other 4xx).
    @discardableResult
    public func post(_ body: String, http: HTTPClient = .roomkeeper) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "roomkeeper")
        request.body = .bytes(ByteBuffer(string: body))
        let policy = TransportPolicy(
            retryableStatuses: Set([408, 429]).union(500...599), repeatsAfterConnectionFailure: true, retry: retry, timeout: timeout,
            maximumResponseBytes: 1 << 20)
        // The URL's path may be the secret, so retries are logged without it.
        let transport = HTTPTransport(peer: "webhook", http: http, logger: Self.logger, logsPaths: false)
        let answer: HTTPAnswer
        do {
            answer = try await transport.send(request, policy: policy)
        } catch let failure as TransportFailure {
            let problem =
                switch failure.reason {
                case .deadline(let limit): "did not answer in full within \(limit.components.seconds) s"
                case .tooLarge: "answered with \(failure)"
                case .unreachable: "could not be reached (\(failure))"
                }
            throw WebhookError(receiver: redactedURL, problem: problem, attempts: failure.attempts)
        }
        guard answer.succeeded else { throw WebhookError(receiver: redactedURL, problem: "answered \(answer.status)", attempts: answer.attempts) }
        return answer.attempts
    }
}

/// A notification that was not delivered.
public struct WebhookError: Error, Sendable, CustomStringConvertible {
    public var receiver: String
    public var problem: String
    public var attempts: Int

    public var description: String {
        "the webhook at \(receiver) \(problem) (after \(attempts) attempt\(attempts == 1 ? "" : "s"))"
    }
}
