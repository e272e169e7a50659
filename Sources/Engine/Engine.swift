import Foundation
import Notifications
import PortalAPI
import Reconciler
import Reports
import StateStore

/// The reconcile pipeline, written once: `plan`, `apply`, `drift`, `export` and the controller
/// call its steps and none of them re-assembles them. One function per step, one input and one
/// output: load a source (`ManifestSnapshot.read`), read the live portal (`readLive`), plan with
/// the inventory-shrink guard (`plan`), review cut-off runs and apply with journal and inventory
/// accounting (`Engine+Apply.swift`), check drift with history and notification (`checkDrift`).
///
/// It owns the local state folder (inventory records, journals, drift history) and prints
/// nothing: front ends turn its values and errors into words.
public struct Engine: Sendable {
    public let stateFolder: URL
    /// Every path in it.
    public let state: StateFolder
    /// The tenant's own directory (Microsoft Graph), read beside the portal when connected.
    public let directory: (any DirectorySource)?

    /// The last read of each portal, loaded from the state folder once and then kept current.
    private let readCaches = ReadCaches()

    public init(stateFolder: URL, directory: (any DirectorySource)? = nil) {
        self.stateFolder = stateFolder
        state = StateFolder(stateFolder)
        self.directory = directory
    }

    /// Starts loading the last read of `portal` from the state folder, so that it is ready when
    /// the portal is read (a front end calls this before it loads the manifests). Reads only
    /// local files.
    public func prefetchReadCache(for portal: PortalIdentity) {
        readCaches.prefetch(portal.key, from: state.portalReadCache(for: portal))
    }

    /// Plans `snapshot` against what `portal` holds now, returning the live state read for it.
    ///
    /// A collection that shrank suspiciously since the last plan against this portal blocks the
    /// plan (its `blockers`), unless `acceptInventoryShrink`; the inventory is remembered only
    /// when it was not refused. Throws `PortalReadError` when the portal cannot be read whole.
    public func plan(
        _ snapshot: ManifestSnapshot, portal: any Portal, options: PlanOptions, acceptInventoryShrink: Bool = false
    ) async throws -> (plan: Plan, live: LiveState) {
        let (live, caching) = try await readLiveCachingMeanwhile(portal, lookingUp: DirectoryLookups(declared: snapshot.manifests))
        let plan = try plan(snapshot, against: live, portal: portal, options: options, acceptInventoryShrink: acceptInventoryShrink)
        await caching.value
        return (plan, live)
    }

    /// The plan against a live state already read, with the inventory guard's blockers.
    private func plan(
        _ snapshot: ManifestSnapshot, against live: LiveState, portal: any Portal, options: PlanOptions, acceptInventoryShrink: Bool
    ) throws -> Plan {
        var plan = Planner.plan(
            declared: snapshot.manifests, live: live, options: options, source: snapshot.description, sourceRevision: snapshot.revision,
            portal: portal.endpointDescription)
        plan.origin = snapshot.origin
        plan.blockers += try guardInventory(of: live, readFrom: portal.identity, accepting: acceptInventoryShrink)
        return plan
    }

    /// The inventory guard: what `live` lacks, by kind, against the last read of `source` that
    /// was planned against, when it shrank suspiciously. Those are blockers: a partial or
    /// mistaken read is not planned against. A read that passes (or is accepted) becomes the
    /// record the next is compared with.
    func guardInventory(of live: LiveState, readFrom source: PortalIdentity, accepting: Bool) throws -> [PlanBlocker] {
        let recordURL = state.inventoryRecord(for: source)
        let current = InventoryRecord(portal: source.key, live: live)
        let shrinkage = InventoryRecord.load(from: recordURL)?.shrinkage(to: current) ?? []
        guard accepting || shrinkage.isEmpty else { return shrinkage }
        try current.save(to: recordURL)
        return []
    }

    /// Reads the whole portal, and the directory when one is connected; any failure is a
    /// `PortalReadError` or a `DirectoryReadError` (a partial picture is never planned against).
    ///
    /// The portal is read by delta from the last read kept in the state folder (`cache/`), and
    /// whole when there is none or it cannot be used; the cache is written again only when the
    /// read brought changes.
    public func readLive(_ portal: any Portal) async throws -> LiveState {
        let (live, caching) = try await readLiveCachingMeanwhile(portal)
        await caching.value
        return live
    }

    /// `readLive`, returning while the read cache is still being written: the caller plans on
    /// one core while the other writes, and awaits the writing before it finishes.
    private func readLiveCachingMeanwhile(
        _ portal: any Portal, lookingUp lookups: DirectoryLookups = DirectoryLookups()
    ) async throws -> (LiveState, caching: Task<Void, Never>) {
        do {
            return try await readThroughCache(portal, directory: directory, lookingUp: lookups)
        } catch let error as DirectoryReadError {
            throw error
        } catch {
            throw PortalReadError(portal: portal.endpointDescription, underlying: error)
        }
    }

    /// Reads the portal by delta from its cache, then keeps the cache current: in memory at
    /// once, in the state folder by the task returned.
    func readThroughCache(
        _ portal: any Portal, directory: (any DirectorySource)?, lookingUp lookups: DirectoryLookups = DirectoryLookups()
    ) async throws -> (LiveState, caching: Task<Void, Never>) {
        let folder = state.portalReadCache(for: portal.identity)
        let (live, cache) = try await LiveState.read(
            from: portal, directory: directory, lookingUp: lookups, cache: await readCaches.cache(portal.identity.key, from: folder))
        readCaches.keep(cache.saved)
        let caching = Task {
            guard cache.hasChanges else { return }
            // The cache only saves reading: a cache that cannot be written costs the next run a whole read, nothing else.
            try? await offCooperativePool { try cache.save(to: folder) }
        }
        return (live, caching)
    }

    /// The drift history file for `portal`: `explicit`, else one per portal under the state folder.
    public func history(for portal: any Portal, explicit: URL? = nil) -> DriftHistory {
        DriftHistory(url: explicit ?? state.driftHistory(for: portal.identity))
    }

    /// One drift check, in the order that loses nothing: plan (the deletion guard does not apply
    /// to a report), judge the plan as drift against the history, send the notification it calls
    /// for, then record the check (and the delivery) in the history. Throws `IncompleteReadError`
    /// when the inventory guard refuses the read, since missing objects would then be reported as drift.
    public func checkDrift(
        _ snapshot: ManifestSnapshot, portal: any Portal, history: DriftHistory, notifier: DriftNotifier?, now: Date = Date()
    ) async throws -> DriftOutcome {
        var check = try await judgeDrift(snapshot, portal: portal, history: history, now: now)
        var delivery = DriftOutcome.Delivery.notDue
        if let notifier {
            do {
                if let message = try await notifier.deliver(&check) { delivery = .delivered(message, receiver: notifier.sender.redactedURL) }
            } catch {
                delivery = .failed("\(error)")
            }
        }
        let entry = check.entry
        try await offCooperativePool { try history.append(entry) }
        return DriftOutcome(report: check.report, delivery: delivery, plan: check.plan, live: check.live)
    }

    /// Plans and judges the plan as drift, without writing anything but the inventory record.
    func judgeDrift(_ snapshot: ManifestSnapshot, portal: any Portal, history: DriftHistory, now: Date) async throws -> DriftCheck {
        let (live, caching) = try await readLiveCachingMeanwhile(portal, lookingUp: DirectoryLookups(declared: snapshot.manifests))
        let identity = live.me?.userPrincipalName
        let memory: DriftMemory
        let plan: Plan
        let devices: Task<DriftDetector.DeviceFindings, Never>
        do {
            memory = DriftMemory(entries: try await offCooperativePool { try history.recent() })
            // The devices are judged on the second core while this one plans (detached, so it
            // never waits for whatever executor the caller runs on).
            let declared = snapshot.manifests
            devices = Task.detached {
                DriftDetector(declared: declared, live: live, memory: memory, reconcilerIdentity: identity, now: now).devices()
            }
            plan = try self.plan(snapshot, against: live, portal: portal, options: PlanOptions(allowMassDelete: true), acceptInventoryShrink: false)
        } catch {
            // What was read is kept for the next run even when this one stops here.
            await caching.value
            throw error
        }
        await caching.value
        guard plan.blockers.isEmpty else { throw IncompleteReadError(blockers: plan.blockers) }
        // Who deleted a declared object is in the audit log; read its deletions only when something
        // is missing, and go on without them when the token may not read the log.
        let deletions = plan.actions.contains { $0.type == .create } ? ((try? await portal.deletions()) ?? []) : []
        let detector = DriftDetector(
            declared: snapshot.manifests, live: live, memory: memory, reconcilerIdentity: identity, deletions: deletions, now: now)
        let (report, pending) = detector.report(for: plan, devices: await devices.value)
        return DriftCheck(
            report: report, entry: DriftHistoryEntry(recording: report, pending: pending, previous: memory.last), previous: memory.last,
            plan: plan, live: live)
    }
}

/// What a drift check found, and what became of its notification.
public struct DriftOutcome: Sendable {
    public enum Delivery: Sendable {
        /// Nothing was due (or no receiver is configured).
        case notDue
        case delivered(DriftNotification, receiver: String)
        /// It was due and could not be delivered; the next check tries again.
        case failed(String)
    }

    public let report: DriftReport
    public let delivery: Delivery
    /// What the next apply would do (deletions not held back), and the live state it was planned against.
    public let plan: Plan
    public let live: LiveState
}

/// A drift report with the history entry that records it (not yet written) and the entry before.
public struct DriftCheck: Sendable {
    public let report: DriftReport
    public var entry: DriftHistoryEntry
    public let previous: DriftHistoryEntry?
    /// What the check planned against, and what it read: the next apply's plan, and who can get in.
    public let plan: Plan
    public let live: LiveState
}

/// The portal could not be read whole.
public struct PortalReadError: Error, CustomStringConvertible {
    public var portal: String
    public var underlying: any Error

    public var description: String { "cannot read \(PortalEndpoint.phrase(portal)): \(underlying)" }
}

/// The portal listed far fewer objects than at the last check: a token that lost scope or a
/// short page sequence, more likely than a mass deletion.
public struct IncompleteReadError: Error, CustomStringConvertible {
    public var blockers: [PlanBlocker]

    public var description: String {
        "the portal's answer looks incomplete, so drift was not judged: " + blockers.map(\.facts).joined(separator: "; ")
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
