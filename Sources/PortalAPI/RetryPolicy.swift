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
    public func delay(afterAttempt attempt: Int, retryAfter: Double?, waitedSoFar: Double) -> Double? {
        guard attempt < maximumAttempts else { return nil }
        let backoff = min(maximumDelay, baseDelay * pow(2, Double(attempt - 1)))
        let wait = retryAfter.map { min($0, maximumTotalWait) } ?? Double.random(in: 0...backoff)
        return waitedSoFar + wait <= maximumTotalWait ? wait : nil
    }
}
