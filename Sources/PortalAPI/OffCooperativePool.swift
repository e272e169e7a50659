import Foundation

/// Runs blocking work (libgit2's network, disk I/O) on a Dispatch thread, so it never holds one
/// of Swift's few cooperative threads.
public func offCooperativePool<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Swift.Result { try work() }) }
    }
}
