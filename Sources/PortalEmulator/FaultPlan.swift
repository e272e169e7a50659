import Foundation

/// Faults the emulator injects, for testing the client and the reconciler against a flaky portal:
/// `latency=50ms,429=0.1,5xx=0.05,drop=0.01,stale-etag=0.02,retry-after=1,seed=42`.
public struct FaultPlan: Sendable, Equatable {
    /// Added to every request, uniformly between zero and this.
    public var maximumLatency: Duration = .zero
    public var throttleRate = 0.0
    public var serverErrorRate = 0.0
    /// Connections closed mid-response.
    public var dropRate = 0.0
    /// Writes whose If-Match is treated as stale (412).
    public var staleETagRate = 0.0
    /// The whole seconds injected 429s and 503s ask the client to wait (`Retry-After`).
    public var retryAfterSeconds = 1
    public var seed: UInt64 = 1

    public init() {}

    public var isEmpty: Bool {
        maximumLatency == .zero && throttleRate == 0 && serverErrorRate == 0 && dropRate == 0 && staleETagRate == 0
    }

    /// Parses the `--faults` syntax; throws with the offending part.
    public init(parsing text: String) throws {
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2 else { throw FaultPlanError(part: String(part)) }
            let (name, value) = (pieces[0], pieces[1])
            switch name {
            case "latency":
                guard value.hasSuffix("ms"), let milliseconds = Int(value.dropLast(2)), milliseconds >= 0 else {
                    throw FaultPlanError(part: String(part))
                }
                maximumLatency = .milliseconds(milliseconds)
            case "seed":
                guard let number = UInt64(value) else { throw FaultPlanError(part: String(part)) }
                seed = number
            case "retry-after":
                guard let seconds = Int(value), (0...3600).contains(seconds) else { throw FaultPlanError(part: String(part)) }
                retryAfterSeconds = seconds
            case "429", "5xx", "drop", "stale-etag":
                guard let rate = Double(value), (0...1).contains(rate) else { throw FaultPlanError(part: String(part)) }
                switch name {
                case "429": throttleRate = rate
                case "5xx": serverErrorRate = rate
                case "drop": dropRate = rate
                default: staleETagRate = rate
                }
            default:
                throw FaultPlanError(part: String(part))
            }
        }
    }
}

public struct FaultPlanError: Error, CustomStringConvertible {
    public var part: String
    public var description: String {
        "cannot read the fault '\(part)'; write e.g. latency=50ms,429=0.1,5xx=0.05,drop=0.01,stale-etag=0.02,retry-after=1,seed=42"
    }
}

/// A small deterministic generator (SplitMix64), so a fault run can be repeated with its seed.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
