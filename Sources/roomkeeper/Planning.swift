import ArgumentParser
import Foundation
import PortalAPI
import Reconciler

/// The flags that shape a new plan, the same for plan and apply.
struct PlanningOptions: ParsableArguments {
    @Option(help: "Limit the plan to KIND/NAME (repeatable), with what it depends on.")
    var target: [String] = []

    @Flag(help: "Allow more deletions than the deletion guard in roomkeeper.yaml.")
    var allowMassDelete = false

    @Flag(help: "Plan even though the portal lists far fewer objects than at the last plan.")
    var acceptInventoryShrink = false

    var planOptions: PlanOptions { PlanOptions(allowMassDelete: allowMassDelete, targets: Set(target)) }

    /// Whether any was given (a saved plan is applied as it is).
    var shapesThePlan: Bool { !target.isEmpty || allowMassDelete || acceptInventoryShrink }
}

/// What plan and apply share: read the portal, refuse a suspiciously short read, plan.
enum Planning {
    /// Reads the whole portal, or prints why it could not and exits 1.
    static func readLive(_ portal: any Portal) async throws -> LiveState {
        do {
            return try await LiveState.read(from: portal)
        } catch {
            printError("roomkeeper: error: cannot read the \(portal.endpointDescription): \(error); nothing was changed")
            throw ExitCode.failure
        }
    }

    /// Plans `source` against what `portal` holds now. A collection that shrank suspiciously since
    /// the last plan against this portal blocks the plan, unless `acceptInventoryShrink`; the
    /// inventory is remembered only when it was not refused.
    static func plan(
        _ source: ManifestSource, portal: any Portal, options: PlanOptions, acceptInventoryShrink: Bool,
        stateFolder: URL = URL(fileURLWithPath: StateFolder.path())
    ) async throws -> Plan {
        try await readAndPlan(source, portal: portal, options: options, acceptInventoryShrink: acceptInventoryShrink, stateFolder: stateFolder)
            .plan
    }

    /// As `plan`, also returning the live state the plan was made from.
    static func readAndPlan(
        _ source: ManifestSource, portal: any Portal, options: PlanOptions, acceptInventoryShrink: Bool,
        stateFolder: URL = URL(fileURLWithPath: StateFolder.path())
    ) async throws -> (plan: Plan, live: LiveState) {
        let live = try await readLive(portal)
        var plan = Planner.plan(
            declared: source.manifests, live: live, options: options, source: source.description, sourceRevision: source.revision,
            portal: portal.endpointDescription)
        plan.origin = source.origin
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
}
