import Foundation

/// When and how long to wait before trying a request again: Retry-After when the portal gives
/// one, else exponential backoff with full jitter, within a bounded number of attempts and a
/// bounded total wait, so a throttled run ends with an error instead of looping.
public struct RetryPolicy: Sendable {
    public var maximumAttempts: Int
    public var baseDelay: Double
    public var maximumDelay: Double
    /// The most time all waits of one request may add up to.
    public var maximumTotalWait: Double

    public init(maximumAttempts: Int = 6, baseDelay: Double = 0.2, maximumDelay: Double = 10, maximumTotalWait: Double = 60) {
        self.maximumAttempts = maximumAttempts
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.maximumTotalWait = maximumTotalWait
    }

    /// The wait before attempt `attempt + 1` (attempts count from 1), or nil to give up.
    ///
    /// A server that asks for longer than the budget has left is not waited for at all: the
    /// request fails now rather than after a wait that cannot end in success.
    public func delay(afterAttempt attempt: Int, retryAfter: Double?, waitedSoFar: Double) -> Double? {
        guard attempt < maximumAttempts else { return nil }
        let backoff = min(maximumDelay, baseDelay * pow(2, Double(attempt - 1)))
        let wait = retryAfter ?? Double.random(in: 0...backoff)
        guard wait.isFinite, wait >= 0 else { return nil }
        return waitedSoFar + wait <= maximumTotalWait ? wait : nil
    }

    /// The seconds a `Retry-After` header asks for, as RFC 9110 (section 10.2.3) and Microsoft
    /// Graph's throttling guidance define it: delay-seconds (a non-negative integer) or an
    /// HTTP-date. Anything else (a sign, a fraction, an exponent, infinity, garbage) is ignored,
    /// so that the backoff applies instead; a date in the past means no wait.
    public static func retryAfterSeconds(_ header: String?, now: Date = Date()) -> Double? {
        guard let value = header?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            // More digits than a day's worth of seconds needs are still a (long) wait, never an overflow.
            return value.utf8.count > 9 ? 999_999_999 : Double(value)
        }
        // IMF-fixdate, the HTTP-date form senders must use (`Sun, 06 Nov 1994 08:49:37 GMT`).
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        guard let date = formatter.date(from: value) else { return nil }
        return max(0, date.timeIntervalSince(now))
    }
}
