import Foundation
import PortalAPI
import Testing

@Suite("Retry-After")
struct RetryAfterTests {
    @Test(
        "delay-seconds and HTTP-date are read as RFC 9110 defines them; anything else is ignored",
        arguments: [
            ("120", 120.0 as Double?), ("0", 0), (" 7 ", 7), ("-1", nil), ("-1e300", nil), ("-inf", nil), ("inf", nil), ("nan", nil),
            ("1.5", nil), ("1e3", nil), ("", nil), ("soon", nil), ("99999999999", 999_999_999),
            ("Sun, 29 Nov 2026 23:01:40 GMT", 100), ("Sun, 29 Nov 2026 22:00:00 GMT", 0),
        ])
    func parse(_ header: String, _ seconds: Double?) {
        let now = Date(timeIntervalSince1970: 1_795_993_200)  // 2026-11-29T23:00:00Z
        #expect(RetryPolicy.retryAfterSeconds(header, now: now) == seconds)
    }

    @Test("A wait longer than the budget left ends the retries at once instead of waiting the budget out")
    func budget() {
        let policy = RetryPolicy(maximumAttempts: 6, maximumTotalWait: 60)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 999_999_999, waitedSoFar: 0) == nil)
        #expect(policy.delay(afterAttempt: 1, retryAfter: 30, waitedSoFar: 0) == 30)
        #expect(policy.delay(afterAttempt: 2, retryAfter: 31, waitedSoFar: 30) == nil)
        #expect(policy.delay(afterAttempt: 6, retryAfter: 1, waitedSoFar: 0) == nil)
    }
}
