import Foundation
import Notifications
import PortalAPI
import TestSupport
import Testing

@Suite("Webhook delivery against hostile receivers")
struct WebhookSenderTests {
    @Test("A hostile Retry-After neither crashes the sender nor makes it wait out its budget", arguments: ["-1e300", "-inf", "99999999999"])
    func retryAfter(_ value: String) async throws {
        let receiver = try await HostileServer.start(.retryAfter(value, status: 503))
        defer { Task { await receiver.stop() } }
        let sender = WebhookSender(
            url: "\(receiver.url)/hook", retry: RetryPolicy(maximumAttempts: 3, baseDelay: 0.05, maximumDelay: 0.1, maximumTotalWait: 30))
        let started = ContinuousClock.now
        await #expect(throws: WebhookError.self) { try await sender.post("{}") }
        #expect(ContinuousClock.now - started < .seconds(20))
    }
}

extension WebhookSenderTests {
    @Test("A receiver that stalls after its headers is given up on at the attempt's deadline")
    func stalledReceiver() async throws {
        let receiver = try await HostileServer.start(.stallAfterHeaders)
        defer { Task { await receiver.stop() } }
        let sender = WebhookSender(
            url: "\(receiver.url)/hook", retry: RetryPolicy(maximumAttempts: 2, baseDelay: 0.05, maximumDelay: 0.1, maximumTotalWait: 5),
            timeout: .seconds(1))
        do {
            try await sender.post("{}")
            Issue.record("a stalled receiver took the message")
        } catch let error as WebhookError {
            #expect(error.description.contains("did not answer in full within 1 s (after 2 attempts)"), "\(error)")
        }
    }
}
