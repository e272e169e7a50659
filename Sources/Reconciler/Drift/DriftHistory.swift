import Foundation
import PortalAPI

/// One drift check as the history file keeps it: what was tracked and since when, which of it
/// was drift, and what the last delivered notification said.
public struct DriftHistoryEntry: Codable, Sendable, Equatable {
    public struct Tracked: Codable, Sendable, Equatable {
        public var target: String
        public var state: String
        public var since: Date
        /// The drift item's cause (`manual`, `convergence`, `noise`); nil for pending devices and
        /// in entries written before causes were kept.
        public var cause: String?

        public init(target: String, state: String, since: Date, cause: String? = nil) {
            self.target = target
            self.state = state
            self.since = since
            self.cause = cause
        }
    }

    public var time: Date
    public var sourceRevision: String?
    /// Every item followed over time, drift or not (pending devices, snoozed items), by fingerprint.
    public var tracked: [String: Tracked]
    /// The fingerprints that were drift.
    public var drift: [String]
    /// The drift fingerprints as the last delivered notification reported them; carried forward
    /// unchanged by runs that send nothing, so a failed delivery is retried by the next run.
    public var notified: [String]
    public var notifiedAt: Date?

    public init(
        time: Date, sourceRevision: String?, tracked: [String: Tracked], drift: [String], notified: [String], notifiedAt: Date?
    ) {
        self.time = time
        self.sourceRevision = sourceRevision
        self.tracked = tracked
        self.drift = drift
        self.notified = notified
        self.notifiedAt = notifiedAt
    }

    /// The entry that records `report`, carrying the notification state of `previous` forward.
    public init(recording report: DriftReport, pending: [DriftHistoryEntry.Tracked.Key: Date], previous: DriftHistoryEntry?) {
        var tracked: [String: Tracked] = [:]
        for item in report.items + report.snoozed {
            tracked[item.fingerprint] = Tracked(
                target: item.target.description, state: item.state.rawValue, since: item.since, cause: item.cause.rawValue)
        }
        for (key, since) in pending {
            tracked[key.fingerprint] = Tracked(target: key.target, state: "pending", since: since)
        }
        self.init(
            time: report.generatedAt, sourceRevision: report.sourceRevision, tracked: tracked, drift: report.items.map(\.fingerprint).sorted(),
            notified: previous?.notified ?? [], notifiedAt: previous?.notifiedAt)
    }
}

extension DriftHistoryEntry {
    /// How many drift items this check found, by cause; `unknown` for entries that kept none.
    public var driftByCause: [String: Int] {
        var counts: [String: Int] = [:]
        for fingerprint in drift { counts[tracked[fingerprint]?.cause ?? "unknown", default: 0] += 1 }
        return counts
    }
}

extension DriftHistoryEntry.Tracked {
    /// A tracked item that is not drift, by its fingerprint and target.
    public struct Key: Hashable, Sendable {
        public var fingerprint: String
        public var target: String
    }
}

/// What earlier drift checks say about the items of this one: since when each has existed and
/// how often it came and went. Built from the most recent history entries, oldest first.
public struct DriftMemory: Sendable {
    public let entries: [DriftHistoryEntry]

    public init(entries: [DriftHistoryEntry] = []) {
        self.entries = entries
    }

    public var last: DriftHistoryEntry? { entries.last }

    /// When the last check first saw this item, if it was tracked then.
    public func since(_ fingerprint: String) -> Date? { last?.tracked[fingerprint]?.since }

    /// How many times the item appeared as drift in the remembered checks, counting a new
    /// appearance now when the last check did not have it.
    public func appearances(of fingerprint: String) -> Int {
        var count = 0
        var present = false
        for entry in entries {
            let now = entry.drift.contains(fingerprint)
            if now, !present { count += 1 }
            present = now
        }
        return count + (present ? 0 : 1)
    }
}
