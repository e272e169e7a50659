import Foundation
import PortalAPI
import Reconciler
import StateStore

extension Engine {
    /// Where apply journals live.
    public var journals: URL { state.journals }

    /// Applies cut off by a crash, found from their journals before the next plan: what they did
    /// is counted into the inventory record (so their own deletions are not taken for a short
    /// read), and each journal is closed so it is reported once. The next plan reads the portal
    /// afresh, so nothing is done twice. Returns the runs reviewed.
    public func reviewInterruptedRuns(on portal: any Portal) async throws -> [InterruptedRun] {
        let runs = interruptedRuns(on: portal)
        guard !runs.isEmpty else { return [] }
        let recordURL = state.inventoryRecord(for: portal.identity)
        if var record = InventoryRecord.load(from: recordURL) {
            for run in runs where run.portal == portal.endpointDescription { record.account(for: run) }
            try record.save(to: recordURL)
        }
        for run in runs { try await ApplyJournal.close(run, note: "interrupted; reviewed by a later apply") }
        return runs
    }

    /// Applies on `portal` whose journals have no end: cut off, or still running in another
    /// process. Only a holder of the portal's lease may tell which, and review them.
    public func interruptedRuns(on portal: any Portal) -> [InterruptedRun] {
        ApplyJournal.interrupted(in: journals).filter { $0.portal == nil || $0.portal == portal.endpointDescription }
    }

    /// Carries out `plan` under a lease the caller holds: a write-ahead journal, bounded
    /// concurrency, a stop before the next write once `stopReason` gives one (an interruption, a
    /// lost lease), and the inventory record kept in step with what was created and deleted, so
    /// that the next read does not take this run's own deletions for a short read.
    public func apply(
        _ plan: Plan, on portal: any Portal, options: ApplyOptions, stopReason: @escaping @Sendable () -> String? = { nil },
        progress: @escaping @Sendable (ApplyProgress) -> Void = { _ in }
    ) async throws -> ApplyReport {
        let executor = Executor(
            portal: portal, journal: try ApplyJournal(folder: journals, planId: plan.id), options: options,
            devices: directory as? any DeviceRegistryWriter)
        let report = await executor.apply(plan, stopReason: stopReason, progress: progress)
        let recordURL = state.inventoryRecord(for: portal.identity)
        if var record = InventoryRecord.load(from: recordURL) {
            record.account(for: report)
            try record.save(to: recordURL)
        }
        // Fetch this run's own writes into the read cache now, so the next plan or drift check
        // need not; the cache only saves reading, so a failure here changes nothing.
        if let (_, caching) = try? await readThroughCache(portal, directory: nil) { await caching.value }
        return report
    }
}

/// Whose lease a reconcile takes, and for how long.
public struct LeaseTerms: Sendable {
    /// `ReconcilerLease.holderName(doing:)` of the command or the controller.
    public var holder: String
    public var durationSeconds: Int
    public var clock: any ReconcileClock
    /// A time on `clock` past which the lease is no longer renewed (the reconcile's deadline).
    public var renewUntil: Duration?

    public init(holder: String, durationSeconds: Int = 120, clock: any ReconcileClock = MonotonicClock(), renewUntil: Duration? = nil) {
        self.holder = holder
        self.durationSeconds = durationSeconds
        self.clock = clock
        self.renewUntil = renewUntil
    }
}

/// How a reconcile under the lease ended.
public enum ReconcileOutcome: Sendable {
    /// The plan must not be applied: its blockers and error findings say why.
    case refused(Plan)
    /// The plan has nothing to change.
    case nothingToDo(Plan)
    /// The caller did not approve the plan; nothing was written.
    case declined(Plan)
    case applied(Plan, ApplyReport)
}

extension Engine {
    /// The one sequence `apply` and the controller share: take the portal's lease (or throw
    /// `LeaseHeldError`), review the applies cut off before (`interrupted` hears of them), make
    /// the plan under the lease (`makePlan`), and carry it out when it may be applied, has
    /// changes and `approve` agrees. The apply stops before its next write once `stopReason`
    /// gives a reason or the lease is lost. The lease is given back however this ends.
    public func reconcile(
        on portal: any Portal, lease terms: LeaseTerms, options: ApplyOptions, isolation: isolated (any Actor)? = #isolation,
        interrupted: ([InterruptedRun]) -> Void = { _ in },
        makePlan: () async throws -> Plan,
        approve: (Plan) async throws -> Bool = { _ in true },
        stopReason: @escaping @Sendable () -> String? = { nil },
        progress: @escaping @Sendable (ApplyProgress) -> Void = { _ in }
    ) async throws -> ReconcileOutcome {
        try await ReconcilerLease.withLease(
            on: portal, holder: terms.holder, duration: terms.durationSeconds, clock: terms.clock, renewUntil: terms.renewUntil
        ) { lease in
            interrupted(try await reviewInterruptedRuns(on: portal))
            let plan = try await makePlan()
            guard plan.isApplyable else { return .refused(plan) }
            guard plan.hasChanges else { return .nothingToDo(plan) }
            guard try await approve(plan) else { return .declined(plan) }
            let report = try await apply(plan, on: portal, options: options, stopReason: { stopReason() ?? lease.lostReason }, progress: progress)
            return .applied(plan, report)
        }
    }
}
