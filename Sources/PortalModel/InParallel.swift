import Foundation
import Synchronization

/// Runs each of `work` at once, the caller's thread taking one, and returns their results in
/// order. For pure CPU work of comparable size that the caller needs before it goes on; it
/// blocks the caller until all end, so never use it for I/O.
public func inParallel<Result: Sendable>(_ work: [@Sendable () -> Result]) -> [Result] {
    let slots = Slots<Result>(count: work.count)
    DispatchQueue.concurrentPerform(iterations: work.count) { index in slots.set(index, work[index]()) }
    return slots.all
}

/// `first` and `second` at once (see `inParallel(_:)`).
public func inParallel<First: Sendable, Second: Sendable>(
    _ first: @escaping @Sendable () -> First, _ second: @escaping @Sendable () -> Second
) -> (First, Second) {
    let work: [@Sendable () -> Either<First, Second>] = [{ .first(first()) }, { .second(second()) }]
    let results = inParallel(work)
    guard case .first(let one) = results[0], case .second(let two) = results[1] else { preconditionFailure("results out of order") }
    return (one, two)
}

private enum Either<First: Sendable, Second: Sendable>: Sendable {
    case first(First)
    case second(Second)
}

/// One slot per worker, each filled once.
private final class Slots<Value: Sendable>: Sendable {
    private let values: Mutex<[Value?]>

    init(count: Int) { values = Mutex(Array(repeating: nil, count: count)) }
    func set(_ index: Int, _ value: Value) { values.withLock { $0[index] = value } }
    /// Every slot's value; called after all were filled.
    var all: [Value] { values.withLock { $0.compactMap { $0 } } }
}
