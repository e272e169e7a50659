import ArgumentParser
import Engine
import Foundation
import Manifests
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

    var planOptions: PlanOptions { PlanOptions(allowMassDelete: allowMassDelete, targets: Set(target.compactMap(ObjectKey.init))) }

    func validate() throws {
        for text in target where ObjectKey(text) == nil {
            let kinds = (ManifestKind.allCases.map(\.rawValue) + ["Room"]).joined(separator: ", ")
            throw ValidationError("--target '\(text)' is not KIND/NAME; KIND is one of \(kinds), e.g. RoomGroup/london-floor-3")
        }
    }

}

/// What plan and apply share: read the portal, refuse a suspiciously short read, plan; any
/// failure to read is printed and exits 1.
enum Planning {
    /// Reads the whole portal (and the directory, when the engine has one), or prints why it
    /// could not and exits 1.
    static func readLive(_ portal: any Portal, engine: Engine) async throws -> LiveState {
        try await reporting { try await engine.readLive(portal) }
    }

    /// Plans `source` against what `portal` holds now (see `Engine.plan`).
    static func plan(
        _ source: ManifestSnapshot, portal: any Portal, engine: Engine, options: PlanOptions, acceptInventoryShrink: Bool
    ) async throws -> Plan {
        try await planReading(source, portal: portal, engine: engine, options: options, acceptInventoryShrink: acceptInventoryShrink).plan
    }

    /// `plan`, with the live state it was made against.
    static func planReading(
        _ source: ManifestSnapshot, portal: any Portal, engine: Engine, options: PlanOptions, acceptInventoryShrink: Bool
    ) async throws -> (plan: Plan, live: LiveState) {
        try await reporting {
            try await engine.plan(source, portal: portal, options: options, acceptInventoryShrink: acceptInventoryShrink)
        }
    }

    /// Runs `work`; a portal or directory that cannot be read is printed as an error, and exits 1.
    static func reporting<Result>(_ work: () async throws -> Result) async throws -> Result {
        do {
            return try await work()
        } catch let error as PortalReadError {
            throw CommandFailure("\(error); nothing was changed")
        } catch let error as DirectoryReadError {
            throw CommandFailure("\(error); nothing was changed")
        }
    }
}
