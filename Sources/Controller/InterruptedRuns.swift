import Foundation
import PortalAPI
import Reconciler

/// Applies cut off by a crash, found from their journals before the next plan: what they did is
/// counted into the inventory record (so their own deletions are not taken for a short read),
/// and each journal is closed so it is reported once. The next plan reads the portal afresh, so
/// nothing is done twice.
public enum InterruptedRuns {
    /// Reviews the unfinished journals in `journals` that worked on `portal`; returns them.
    public static func review(journals: URL, stateFolder: URL, portal: any Portal) async throws -> [ApplyJournal.Interrupted] {
        let runs = ApplyJournal.interrupted(in: journals).filter { $0.portal == nil || $0.portal == portal.endpointDescription }
        guard !runs.isEmpty else { return [] }
        let recordURL = InventoryRecord.url(in: stateFolder, portal: portal.endpointDescription)
        if var record = InventoryRecord.load(from: recordURL) {
            for run in runs where run.portal == portal.endpointDescription { record.account(for: run) }
            try record.save(to: recordURL)
        }
        for run in runs { try await ApplyJournal.close(run, note: "interrupted; reviewed by a later apply") }
        return runs
    }
}
