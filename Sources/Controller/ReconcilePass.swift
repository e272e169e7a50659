import Foundation
import Notifications
import PortalAPI
import Reconciler
import Reports

/// The steps plan, apply, drift and the controller share: read the portal, refuse a
/// suspiciously short read, plan; judge the plan as drift against the history; notify.
public enum ReconcilePass {
    /// Plans `snapshot` against what `portal` holds now, returning the live state read for it.
    ///
    /// A collection that shrank suspiciously since the last plan against this portal blocks the
    /// plan (its `blockers`), unless `acceptInventoryShrink`; the inventory is remembered only
    /// when it was not refused. Throws `PortalReadError` when the portal cannot be read whole.
    public static func plan(
        _ snapshot: ManifestSnapshot, portal: any Portal, options: PlanOptions, acceptInventoryShrink: Bool, stateFolder: URL
    ) async throws -> (plan: Plan, live: LiveState) {
        let live = try await readLive(portal)
        var plan = Planner.plan(
            declared: snapshot.manifests, live: live, options: options, source: snapshot.description, sourceRevision: snapshot.revision,
            portal: portal.endpointDescription)
        plan.origin = snapshot.origin
        let recordURL = InventoryRecord.url(in: stateFolder, portal: portal.endpointDescription)
        let current = InventoryRecord(portal: portal.endpointDescription, live: live)
        let shrinkage = InventoryRecord.load(from: recordURL)?.shrinkage(to: current) ?? []
        if acceptInventoryShrink || shrinkage.isEmpty {
            try current.save(to: recordURL)
        } else {
            plan.blockers += shrinkage
        }
        return (plan, live)
    }

    /// Reads the whole portal; any failure is a `PortalReadError` (a partial picture is never planned against).
    public static func readLive(_ portal: any Portal) async throws -> LiveState {
        do {
            return try await LiveState.read(from: portal)
        } catch {
            throw PortalReadError(portal: portal.endpointDescription, underlying: error)
        }
    }

    /// One drift check: plan (the deletion guard does not apply to a report), then judge the plan
    /// as drift against the history. Throws `IncompleteReadError` when the inventory guard
    /// refuses the read, since missing objects would then be reported as drift.
    public static func drift(
        _ snapshot: ManifestSnapshot, portal: any Portal, history: DriftHistory, stateFolder: URL, now: Date = Date()
    ) async throws -> DriftCheck {
        let (plan, live) = try await Self.plan(
            snapshot, portal: portal, options: PlanOptions(allowMassDelete: true), acceptInventoryShrink: false, stateFolder: stateFolder)
        guard plan.blockers.isEmpty else { throw IncompleteReadError(blockers: plan.blockers) }
        let identity = try? await portal.me().userPrincipalName
        let memory = DriftMemory(entries: try history.recent())
        let detector = DriftDetector(declared: snapshot.manifests, live: live, memory: memory, reconcilerIdentity: identity, now: now)
        let (report, pending) = detector.report(for: plan)
        return DriftCheck(
            report: report, entry: DriftHistoryEntry(recording: report, pending: pending, previous: memory.last), previous: memory.last)
    }
}

/// A drift report with the history entry that records it (not yet written) and the entry before.
public struct DriftCheck: Sendable {
    public let report: DriftReport
    public var entry: DriftHistoryEntry
    public let previous: DriftHistoryEntry?
}

/// The portal could not be read whole.
public struct PortalReadError: Error, CustomStringConvertible {
    public var portal: String
    public var underlying: any Error

    public var description: String { "cannot read the \(portal): \(underlying)" }
}

/// The portal listed far fewer objects than at the last check: a token that lost scope or a
/// short page sequence, more likely than a mass deletion.
public struct IncompleteReadError: Error, CustomStringConvertible {
    public var blockers: [String]

    public var description: String {
        "the portal's answer looks incomplete, so drift was not judged: " + blockers.joined(separator: "; ")
    }
}

/// Sends the drift notifications a check calls for, to one webhook, in one payload format.
public struct DriftNotifier: Sendable {
    public let sender: WebhookSender
    public let format: NotificationPayload.Format
    /// While drift persists unchanged, a digest at most this often; none when nil.
    public let digestInterval: TimeInterval?

    public init(url: String, format: NotificationPayload.Format, digestInterval: TimeInterval?) {
        sender = WebhookSender(url: url)
        self.format = format
        self.digestInterval = digestInterval
    }

    /// Posts the message `check` calls for, if any, and records the delivery in `check.entry`.
    /// Returns the message sent (nil when none was due); throws when it could not be delivered,
    /// leaving the entry as it was so that the next check tries again.
    public func deliver(_ check: inout DriftCheck) async throws -> DriftNotification? {
        let report = check.report
        guard let message = DriftNotification.decide(report, previous: check.previous, digestInterval: digestInterval, now: report.generatedAt)
        else { return nil }
        try await sender.post(try NotificationPayload.body(message, report: report, format: format))
        check.entry.markNotified(report, at: report.generatedAt)
        return message
    }
}
