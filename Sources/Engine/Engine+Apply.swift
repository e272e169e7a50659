import Foundation
import PortalAPI
import Reconciler

extension Engine {
    /// Where apply journals live.
    public var journals: URL { stateFolder.appendingPathComponent("journal") }

    /// Applies cut off by a crash, found from their journals before the next plan: what they did
    /// is counted into the inventory record (so their own deletions are not taken for a short
    /// read), and each journal is closed so it is reported once. The next plan reads the portal
    /// afresh, so nothing is done twice. Returns the runs reviewed.
    public func reviewInterruptedRuns(on portal: any Portal) async throws -> [ApplyJournal.Interrupted] {
        let runs = interruptedRuns(on: portal)
        guard !runs.isEmpty else { return [] }
        let recordURL = InventoryRecord.url(in: stateFolder, portal: portal.endpointDescription)
        if var record = InventoryRecord.load(from: recordURL) {
            for run in runs where run.portal == portal.endpointDescription { record.account(for: run) }
            try record.save(to: recordURL)
        }
        for run in runs { try await ApplyJournal.close(run, note: "interrupted; reviewed by a later apply") }
        return runs
    }

    /// Applies on `portal` whose journals have no end: cut off, or still running in another
    /// process. Only a holder of the portal's lease may tell which, and review them.
    public func interruptedRuns(on portal: any Portal) -> [ApplyJournal.Interrupted] {
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
        let recordURL = InventoryRecord.url(in: stateFolder, portal: portal.endpointDescription)
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
