import Foundation

/// A message about drift for a webhook: what appeared and what cleared since the last message
/// that was delivered, or a digest of drift that persists. Decided by `decide`, so that one
/// message goes out per change, never one per run.
public struct DriftNotification: Codable, Sendable, Equatable {
    public enum Event: String, Codable, Sendable {
        /// New drift, none cleared.
        case appeared
        /// All earlier drift cleared, nothing new: in sync again.
        case cleared
        /// Some appeared and some cleared.
        case changed
        /// Nothing new, drift persists, and the digest interval has passed.
        case digest
    }

    public var event: Event
    /// Targets of the items that appeared since the last delivered message.
    public var appeared: [String]
    /// Targets of the items that cleared since the last delivered message.
    public var cleared: [String]

    /// The message `report` calls for, given the last history entry; nil when nothing changed
    /// since the last delivered message (and no digest is due).
    public static func decide(
        _ report: DriftReport, previous: DriftHistoryEntry?, digestInterval: TimeInterval?, now: Date
    ) -> DriftNotification? {
        let notified = Set(previous?.notified ?? [])
        let appeared = report.items.filter { !notified.contains($0.fingerprint) }.map(\.target.description)
        let clearedPrints = notified.subtracting(report.fingerprints)
        let cleared = clearedPrints.map { previous?.tracked[$0]?.target ?? $0 }.sorted()
        switch (appeared.isEmpty, cleared.isEmpty) {
        case (false, true): return DriftNotification(event: .appeared, appeared: appeared, cleared: [])
        case (true, false): return DriftNotification(event: report.inSync ? .cleared : .changed, appeared: [], cleared: cleared)
        case (false, false): return DriftNotification(event: .changed, appeared: appeared, cleared: cleared)
        case (true, true):
            guard !report.inSync, let digestInterval else { return nil }
            let last = previous?.notifiedAt ?? .distantPast
            return now.timeIntervalSince(last) >= digestInterval ? DriftNotification(event: .digest, appeared: [], cleared: []) : nil
        }
    }
}

extension DriftHistoryEntry {
    /// Records that `report`'s drift was delivered at `time`.
    public mutating func markNotified(_ report: DriftReport, at time: Date) {
        notified = report.items.map(\.fingerprint).sorted()
        notifiedAt = time
    }
}
