import Foundation
import Synchronization

/// A token bucket per caller: `burst` requests at once, refilled at `perSecond`. Over the limit,
/// a caller is told how long to wait, as Graph's 429 + Retry-After does.
public final class RateLimiter: Sendable {
    public let perSecond: Double
    public let burst: Double
    private let buckets = Mutex<[String: (tokens: Double, updated: ContinuousClock.Instant)]>([:])

    public init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// nil when the request may proceed; otherwise the seconds to wait.
    public func admit(_ caller: String, now: ContinuousClock.Instant = .now) -> Double? {
        buckets.withLock { buckets in
            var bucket = buckets[caller] ?? (burst, now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(burst, bucket.tokens + seconds * perSecond)
            bucket.updated = now
            defer { buckets[caller] = bucket }
            guard bucket.tokens >= 1 else { return max((1 - bucket.tokens) / perSecond, 0.001) }
            bucket.tokens -= 1
            return nil
        }
    }
}
