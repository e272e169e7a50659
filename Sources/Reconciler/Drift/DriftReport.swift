import Foundation
import Manifests

/// What differs between git and the live portal at one moment, and what to do about each
/// difference. Computed by `DriftDetector` without changing anything; rendered by `Reports` as
/// text, JSON, Markdown and HTML. The JSON is this value (`formatVersion` changes its major
/// number only for breaking changes).
public struct DriftReport: Codable, Sendable {
    public static let currentFormatVersion = "1.3"

    public var formatVersion = DriftReport.currentFormatVersion
    public var generatedAt: Date
    /// Where the manifests came from, as plans record it.
    public var source: String
    public var sourceRevision: String?
    public var origin: SourceOrigin?
    public var portal: String
    /// Drift: what git and the portal disagree on, snoozed items left out. Empty when in sync.
    public var items: [DriftItem]
    /// Drift a person put off in roomkeeper.yaml, until the day given.
    public var snoozed: [DriftItem]
    /// Declared devices that are converging (`pending`) or unwell (`offline`): health, not drift.
    public var devices: [DeviceStatus]
    /// What only a person can fix that is not drift of its own: rooms the inventory lacks,
    /// members not in the directory, devices in the wrong room.
    public var needsPerson: [Finding]
    /// Notes: objects kept because pruning is off, snoozes past their day.
    public var notes: [Finding]
    /// Portal objects Roomkeeper does not manage.
    public var unmanaged: [ObjectReference]
    /// What git declares that could not be observed at all (no portal API): neither in sync nor
    /// missing, only unknown. Nil when everything was observed.
    public var notObservable: [NotObservable]?
    /// Without a portal API: the checklist steps no person has confirmed yet.
    public var checklistStepsLeft: Int?

    public init(
        generatedAt: Date, source: String, sourceRevision: String?, origin: SourceOrigin?, portal: String, items: [DriftItem],
        snoozed: [DriftItem], devices: [DeviceStatus], needsPerson: [Finding], notes: [Finding], unmanaged: [ObjectReference]
    ) {
        self.generatedAt = generatedAt
        self.source = source
        self.sourceRevision = sourceRevision
        self.origin = origin
        self.portal = portal
        self.items = items
        self.snoozed = snoozed
        self.devices = devices
        self.needsPerson = needsPerson
        self.notes = notes
        self.unmanaged = unmanaged
    }

    /// True when git and the portal agree (snoozed items aside).
    public var inSync: Bool { items.isEmpty }

    /// A report where nothing of the portal can be observed: only what the tenant's directory
    /// and devices say (`findings`), and how many declared objects of each kind are unknown.
    public static func withoutPortal(
        _ plan: Plan, declared counts: [ManifestKind: Int], stepsLeft: Int, generatedAt: Date
    ) -> DriftReport {
        var report = DriftReport(
            generatedAt: generatedAt, source: plan.source, sourceRevision: plan.sourceRevision, origin: plan.origin,
            portal: "tenant's directory (the portal has no API)",
            items: [], snoozed: [], devices: [], needsPerson: plan.findings.filter { $0.severity != .info },
            notes: plan.findings.filter { $0.severity == .info }, unmanaged: [])
        report.notObservable = ManifestKind.allCases.compactMap { kind in
            guard let count = counts[kind], count > 0 else { return nil }
            return NotObservable(
                kind: kind.rawValue, declared: count,
                reason: kind == .device
                    ? "the portal's enrollment cannot be read; Intune and Autopilot are checked instead"
                    : "the portal cannot be read without an API")
        }
        report.checklistStepsLeft = stepsLeft
        return report
    }

    /// The fingerprints of the drift items, for deduplicating notifications.
    public var fingerprints: Set<String> { Set(items.map(\.fingerprint)) }
}

/// Declared objects of one kind whose state in the portal is unknown.
public struct NotObservable: Codable, Sendable, Equatable {
    /// The manifest kind, e.g. `RoomGroup`.
    public var kind: String
    public var declared: Int
    public var reason: String
}

/// One difference between git and the portal.
public struct DriftItem: Codable, Sendable, Equatable {
    /// How the object differs.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Declared in git, not in the portal (for a device: never checked in, past the grace period).
        case missing
        /// In the portal, not declared (a managed object git dropped, an enrolled device git does not list).
        case unexpected
        /// In both, with fields that differ.
        case changed
    }

    /// Why it differs, as far as the portal can tell.
    public enum Cause: String, Codable, Sendable, CaseIterable {
        /// A person changed the portal (the object's last writer is not Roomkeeper).
        case manual
        /// Git changed and the portal has not caught up yet: apply, or a device still to enroll.
        case convergence
        /// The item came and went on its own several times recently (flapping); likely not worth a page.
        case noise
    }

    /// Stable while the difference stays the same: the object, the state and the changed values.
    public var fingerprint: String
    public var state: State
    public var cause: Cause
    public var target: ObjectReference
    /// For people: what happened, e.g. "changed in the portal by megan.bowen@contoso.com on 2026-11-25".
    public var explanation: String
    /// The person whose edit in the portal made the difference, when the portal records one
    /// (cause `manual`).
    public var changedBy: String?
    /// Field by field: `before` is the portal's value, `after` what git declares.
    public var changes: [FieldChange]
    /// When a report first saw this difference (carried over from the drift history).
    public var since: Date
    /// The manifest that declares the object, `file:line:column`, when there is one.
    public var location: String?
    /// How to act on it.
    public var remedies: [Remedy]
    /// Set on snoozed items: until when (the end of that day, UTC) and why.
    public var snoozedUntil: String?
    public var snoozeReason: String?

    public init(
        state: State, cause: Cause, target: ObjectReference, explanation: String, changedBy: String? = nil, changes: [FieldChange] = [],
        since: Date, location: String? = nil, remedies: [Remedy]
    ) {
        self.state = state
        self.cause = cause
        self.target = target
        self.explanation = explanation
        self.changedBy = changedBy
        self.changes = changes
        self.since = since
        self.location = location
        self.remedies = remedies
        self.fingerprint = DriftItem.fingerprint(state: state, target: target, changes: changes)
    }

    /// A short digest of what makes the difference what it is; values, not wording.
    static func fingerprint(state: State, target: ObjectReference, changes: [FieldChange]) -> String {
        var text = "\(state.rawValue)\u{1F}\(target.kind)\u{1F}\(target.name)"
        for change in changes {
            text += "\u{1E}\(change.field)\u{1F}\(change.before ?? "")\u{1F}\(change.after ?? "")"
            text += "\u{1F}\((change.added ?? []).joined(separator: ","))\u{1F}\((change.removed ?? []).joined(separator: ","))"
        }
        return StableDigest.hex(text, length: 16)
    }

    /// One way to act on a drift item, as data: `Reports` turns it into the command or snippet
    /// of each place it is shown (the command line, Markdown, HTML).
    public enum Remedy: Codable, Sendable, Equatable {
        /// Apply can make the portal match git again (an apply limited to this object).
        case revert
        /// Git can take the portal's value (the live object exported as a manifest).
        case adopt
        /// A person may put the item off; the suggested snooze runs to this day (`YYYY-MM-DD`).
        case snooze(until: String)
        /// What a person must do by hand, when neither apply nor git can fix it.
        case byHand(instructions: String)
    }
}

/// A declared device that is not drift but worth knowing about.
public struct DeviceStatus: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Declared, not checked in yet, within the grace period: expected convergence.
        case pending
        /// Enrolled but not reporting: a health matter for the people on site, not drift.
        case offline
    }

    public var target: ObjectReference
    public var status: Status
    public var serialNumber: String
    public var room: String
    /// Pending: since when it has been declared and unseen. Offline: when it was last seen.
    public var since: Date?
    public var message: String

    public init(target: ObjectReference, status: Status, serialNumber: String, room: String, since: Date?, message: String) {
        self.target = target
        self.status = status
        self.serialNumber = serialNumber
        self.room = room
        self.since = since
        self.message = message
    }
}

extension Array where Element == DriftItem.Remedy {
    /// Whether apply can put the portal back.
    public var canRevert: Bool { contains(.revert) }
    /// Whether git can take the portal's value.
    public var canAdopt: Bool { contains(.adopt) }
    /// The day a suggested snooze runs to.
    public var snoozeUntil: String? {
        for remedy in self { if case .snooze(let until) = remedy { return until } }
        return nil
    }
    /// What a person must do by hand, if only a person can.
    public var byHand: String? {
        for remedy in self { if case .byHand(let instructions) = remedy { return instructions } }
        return nil
    }
}
