/// The time the reconciler lease and the controller go by, injected so that tests can move it
/// on instead of sleeping through a lease's expiry or a reconcile interval.
public protocol ReconcileClock: Sendable {
    /// Time passed on this clock since a fixed point of its own; only differences mean anything.
    var elapsed: Duration { get }
    /// Returns once `duration` has passed on this clock; throws if the task is cancelled first.
    func sleep(for duration: Duration) async throws
}

/// The machine's monotonic clock, which never jumps with the wall clock.
public struct MonotonicClock: ReconcileClock {
    private static let origin = ContinuousClock.now

    public init() {}

    public var elapsed: Duration { ContinuousClock.now - Self.origin }

    public func sleep(for duration: Duration) async throws { try await Task.sleep(for: duration) }
}
