import AsyncHTTPClient
import Foundation
import NIOCore
import PortalAPI
import PortalClient

/// Posts a JSON body to a webhook (a Teams incoming webhook, a chat relay, an alerting system),
/// retrying throttling, server errors and lost connections within a bounded budget, each
/// attempt under a timeout. The URL often carries a secret (Teams signs its webhook URLs), so
/// errors and descriptions name only its scheme and host.
public struct WebhookSender: Sendable {
    public let url: String
    public var retry: RetryPolicy
    public var timeout: Duration

    public init(url: String, retry: RetryPolicy = RetryPolicy(maximumAttempts: 4, baseDelay: 1, maximumDelay: 8, maximumTotalWait: 30),
                timeout: Duration = .seconds(10)) {
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

    /// Posts `body`; returns the number of attempts it took. Throws `WebhookError` once the
    /// retry budget is spent or the receiver refuses the message (a 4xx other than 408 and 429).
    @discardableResult
    public func post(_ body: String, http: HTTPClient = .roomkeeper) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "roomkeeper")
        request.body = .bytes(ByteBuffer(string: body))
        var attempt = 0
        var waited = 0.0
        while true {
            attempt += 1
            let problem: String
            var retryAfter: Double?
            do {
                // The deadline covers the answer's body too: a receiver may stall after its headers.
                let (request, timeout) = (request, timeout)
                let (status, headers) = try await withDeadline(timeout) {
                    let response = try await http.execute(request, timeout: .seconds(timeout.components.seconds))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    return (response.status, response.headers)
                }
                let code = Int(status.code)
                if (200..<300).contains(code) { return attempt }
                guard [408, 429].contains(code) || code >= 500 else {
                    throw WebhookError(receiver: redactedURL, problem: "answered \(code)", attempts: attempt)
                }
                problem = "answered \(code)"
                retryAfter = RetryPolicy.retryAfterSeconds(headers.first(name: "Retry-After"))
            } catch let error as WebhookError {
                throw error
            } catch let error as DeadlineExceeded {
                problem = "did not answer in full within \(error.limit.components.seconds) s"
            } catch {
                problem = "could not be reached (\(String(describing: type(of: error))))"
            }
            guard let wait = retry.delay(afterAttempt: attempt, retryAfter: retryAfter, waitedSoFar: waited) else {
                throw WebhookError(receiver: redactedURL, problem: problem, attempts: attempt)
            }
            try await Task.sleep(for: .seconds(wait))
            waited += wait
        }
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
