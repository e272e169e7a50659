import Foundation
import Manifests
import PortalAPI
import PortalModel

// The planner's last step: the actions ordered and targeted, and the guards that refuse a plan.

extension Planner {
    func finish(source: String, portal: String, now: Date) -> Plan {
        // Positions are sorted, not the actions, which are large to move.
        let positions = actions.indices.sorted { left, right in
            (actions[left].order, actions[left].action.target, actions[left].action.type.rawValue)
                < (actions[right].order, actions[right].action.target, actions[right].action.type.rawValue)
        }
        var ordered = positions.map { position in
            var action = actions[position].action
            action.stage = actions[position].order
            return action
        }
        if !options.targets.isEmpty {
            var keep = Set(ordered.filter { options.targets.contains($0.target.key) }.map(\.id))
            for action in ordered.reversed() where keep.contains(action.id) { keep.formUnion(action.dependsOn) }
            ordered = ordered.filter { keep.contains($0.id) }
        }
        return Plan(
            source: source, portal: portal, createdAt: now, actions: ordered, findings: resolver.findings,
            unmanaged: unmanaged.sorted(), blockers: guards(ordered))
    }

    /// What refuses `actions` against this live state: the deletion guard (unless mass deletion
    /// is allowed) and the lock-out guards.
    func guards(_ actions: [PlannedAction]) -> [PlanBlocker] {
        (options.allowMassDelete ? [] : deletionGuard(actions)) + LockOutGuard.blockers(live: live, actions: actions)
    }

    /// The guards' verdict on `actions` (a saved plan's, which carries its own verdict and so is
    /// never trusted for one), judged afresh against the declared policy and the live state.
    public static func blockers(
        for actions: [PlannedAction], declared: ManifestSet, live: LiveState, options: PlanOptions = PlanOptions()
    ) -> [PlanBlocker] {
        Planner(declared: declared, live: live, options: options).guards(actions)
    }

    /// Refuses more deletions than the policy's guard allows, in all or as a share of a kind.
    func deletionGuard(_ actions: [PlannedAction]) -> [PlanBlocker] {
        let deletes = actions.filter { $0.type == .delete }
        guard !deletes.isEmpty else { return [] }
        let guardPolicy = declared.policy.deletionGuard
        var blockers: [PlanBlocker] = []
        if deletes.count > guardPolicy.maximumDeletes {
            blockers.append(.deletionGuard(deletes: deletes.count, limit: guardPolicy.maximumDeletes))
        }
        for kind in ManifestKind.allCases {
            let count = deletes.filter { $0.target.kind == .manifest(kind) }.count
            let managed = context.managedCount(kind)
            guard count > 0, managed > 0, count * 100 > guardPolicy.maximumDeletePercent * managed else { continue }
            blockers.append(.kindShare(kind: kind, deletes: count, managed: managed, limitPercent: guardPolicy.maximumDeletePercent))
        }
        return blockers
    }
}
