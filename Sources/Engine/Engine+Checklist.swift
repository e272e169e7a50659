import Foundation
import Manifests
import PortalAPI
import Reconciler
import StateStore

/// The pipeline with no portal API: the tenant's directory is read for real, the portal-only
/// kinds become a checklist for a person, and what a person confirmed is remembered in the state
/// folder (one file per directory), so the next plan lists only what is left.
extension Engine {
    /// What a checklist run found: the plan against the directory alone (its findings are
    /// real), the steps still to take, and the directory read.
    public struct ChecklistRun: Sendable {
        public let plan: Plan
        public let checklist: Checklist
        public let directory: TenantDirectory
        /// The live state made of the directory (nothing of the portal).
        public let live: LiveState
    }

    /// Reads the directory and makes the checklist for `snapshot`. Throws `DirectoryReadError`
    /// when the directory cannot be read whole.
    public func checklist(_ snapshot: ManifestSnapshot, acceptInventoryShrink: Bool = false, now: Date = Date()) async throws -> ChecklistRun {
        guard let directory else { throw DirectoryReadError(source: "nowhere", underlying: NoDirectory()) }
        let read: TenantDirectory
        do {
            read = try await directory.readDirectory(lookingUp: DirectoryLookups(declared: snapshot.manifests))
        } catch {
            throw DirectoryReadError(source: directory.directoryDescription, underlying: error)
        }
        let live = LiveState(directory: read)
        // What the checklist needs besides the plan is made while the plan is.
        async let prepared = Checklist.Preparation(declared: snapshot.manifests, live: live)
        var plan = DirectoryCheck.plan(
            declared: snapshot.manifests, live: live, source: snapshot.description, sourceRevision: snapshot.revision, now: now)
        plan.origin = snapshot.origin
        // The directory's sources are guarded as the portal's collections are.
        plan.blockers += try guardInventory(of: live, readFrom: directory.identity, accepting: acceptInventoryShrink)
        let store = confirmations(for: directory)
        let confirmed = try await offCooperativePool { try store.load() }
        let history = confirmed.compactMapValues { $0.step }
        let checklist = Checklist.make(plan: plan, prepared: await prepared, confirmed: Set(confirmed.keys), history: history)
        return ChecklistRun(plan: plan, checklist: checklist, directory: read, live: live)
    }

    /// Records that a person did `step` in the portal.
    public func confirm(_ step: Checklist.Step, by person: String, at time: Date = Date()) async throws {
        guard let directory else { return }
        let store = confirmations(for: directory)
        try await offCooperativePool { try store.record(step, by: person, at: time) }
    }

    private func confirmations(for directory: any DirectorySource) -> ChecklistConfirmations {
        ChecklistConfirmations(url: state.checklistConfirmations(for: directory.tenantKey))
    }
}

/// A checklist was asked for with no directory connected.
struct NoDirectory: Error, CustomStringConvertible {
    var description: String { "no directory is connected; the checklist needs Microsoft Graph (--graph)" }
}

extension Engine {
    /// Drift with no portal API: what the directory and devices say, and how many declared
    /// objects cannot be observed at all, with the checklist run it counted the steps of. Not
    /// written to the drift history: it compares nothing with the portal, so it can neither
    /// start nor clear portal drift.
    public func checkWithoutPortal(_ snapshot: ManifestSnapshot, now: Date = Date()) async throws -> (report: DriftReport, run: ChecklistRun) {
        let run = try await checklist(snapshot, now: now)
        guard run.plan.blockers.isEmpty else { throw IncompleteReadError(blockers: run.plan.blockers) }
        let manifests = snapshot.manifests
        let counts: [ManifestKind: Int] = [
            .roomGroup: manifests.roomGroups.count, .role: manifests.roles.count, .roleAssignment: manifests.roleAssignments.count,
            .updateRing: manifests.updateRings.count, .device: manifests.devices.filter(\.isRoomUnit).count,
        ]
        return (DriftReport.withoutPortal(run.plan, declared: counts, stepsLeft: run.checklist.steps.count, generatedAt: now), run)
    }
}
