/// Runs `operation`, and cancels it if it has not finished within `limit`.
///
/// A network peer that accepts a request and then stalls (after its headers, or mid-body) would
/// otherwise hold a caller forever; callers turn `DeadlineExceeded` into their own clear error.
public func withDeadline<Result: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let result = first else { throw DeadlineExceeded(limit: limit) }
        return result
    }
}

/// An operation that ran past its deadline and was cancelled.
public struct DeadlineExceeded: Error, Sendable, CustomStringConvertible {
    public var limit: Duration
    public var description: String { "no answer within \(limit.components.seconds) s" }
}
