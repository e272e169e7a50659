import Synchronization

/// Runs `operation`, and returns (throwing `DeadlineExceeded`) once `limit` has passed even if
/// `operation` has not noticed that it was cancelled.
///
/// A network peer that accepts a request and then stalls (after its headers, mid-body, or a git
/// server that never answers inside a blocking C library) would otherwise hold its caller
/// forever. The operation is cancelled at the deadline and left to end on its own; callers turn
/// `DeadlineExceeded` into their own clear error.
public func withDeadline<Result: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    let race = Race<Result>()
    let work = Task {
        do { race.finish(.success(try await operation())) } catch { race.finish(.failure(error)) }
    }
    let timer = Task {
        try? await Task.sleep(for: limit)
        race.finish(.failure(DeadlineExceeded(limit: limit)))
    }
    defer {
        timer.cancel()
        work.cancel()
    }
    return try await withTaskCancellationHandler {
        try await race.outcome()
    } onCancel: {
        race.finish(.failure(CancellationError()))
    }
}

/// An operation that ran past its deadline and was cancelled.
public struct DeadlineExceeded: Error, Sendable, CustomStringConvertible {
    public var limit: Duration
    public var description: String { "no answer within \(limit.components.seconds) s" }
}

/// The first of several outcomes to arrive, handed to one waiter.
private final class Race<Value: Sendable>: Sendable {
    private struct State {
        var outcome: Result<Value, any Error>?
        var waiter: CheckedContinuation<Value, any Error>?
    }

    private let state = Mutex(State())

    /// Records `outcome` unless another came first.
    func finish(_ outcome: Result<Value, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Value, any Error>? in
            guard state.outcome == nil else { return nil }
            state.outcome = outcome
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: outcome)
    }

    /// Waits for the first outcome.
    func outcome() async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            let ready = state.withLock { state -> Result<Value, any Error>? in
                if let outcome = state.outcome { return outcome }
                state.waiter = continuation
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }
}
