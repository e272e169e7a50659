import Foundation
import Manifests
import PortalAPI

/// How many objects of each collection the portal listed at the last plan, kept per portal in the
/// state folder. An empty or short read is not proof of absence: when a collection shrinks
/// suspiciously since the last run (a token that lost scope, a truncated page sequence), the plan
/// refuses to act on the smaller picture, since it would drop rooms from groups and re-create
/// what it could not see.
public struct InventoryRecord: Codable, Sendable, Equatable {
    public var portal: String
    public var recordedAt: Date
    public var counts: [String: Int]

    public init(portal: String, recordedAt: Date = Date(), live: LiveState) {
        self.portal = portal
        self.recordedAt = recordedAt
        counts = [
            "rooms": live.rooms.count, "devices": live.devices.count, "roles": live.roles.count,
            "roleAssignments": live.roleAssignments.count, "roomGroups": live.roomGroups.count,
            "updateRings": live.updateRings.count, "users": live.users.count, "groups": live.groups.count,
        ]
        // The tenant's directory, source by source. A source that could not be observed has no
        // count at all, so it is neither compared nor taken for an empty one.
        if let directory = live.directory {
            counts["roomMailboxes"] = directory.rooms.count
            counts["roomLists"] = directory.roomLists.count
            if let devices = directory.devices {
                counts["intuneDevices"] = devices.managed.count
                counts["autopilotDevices"] = devices.autopilot.count
            }
        }
    }

    /// The collections only the tenant's directory reports.
    public static let directoryCollections: Set<String> = ["roomMailboxes", "roomLists", "intuneDevices", "autopilotDevices"]

    /// A collection counts as shrunk when it lost more than a quarter of its objects, and at least five.
    public static let shrinkFraction = 0.25
    public static let shrinkMinimum = 5

    /// Why `current` must not be planned against, compared with this earlier record; empty when fine.
    public func shrinkage(to current: InventoryRecord) -> [PlanBlocker] {
        counts.keys.sorted().compactMap { collection in
            guard let before = counts[collection], let now = current.counts[collection] else { return nil }
            let lost = before - now
            guard lost >= Self.shrinkMinimum, Double(lost) > Double(before) * Self.shrinkFraction else { return nil }
            return .inventoryShrink(collection: collection, before: before, now: now, recordedAt: recordedAt)
        }
    }

    /// Counts what an apply created and deleted, so its own deletions do not look like a short
    /// read next time.
    public mutating func account(for report: ApplyReport) {
        for result in report.results where result.outcome == .done {
            count(result.type, kind: result.target.kind)
        }
    }

    /// Counts what a run cut off by a crash did: its confirmed creates and deletes, and the
    /// deletes it sent without an answer (which may have happened; counting them keeps the
    /// guard from taking the run's own deletions for a short read).
    public mutating func account(for run: InterruptedRun) {
        for action in run.confirmedActions { count(action.type, kind: action.target.kind) }
        for action in run.unanswered where action.type == .delete { count(action.type, kind: action.target.kind) }
    }

    private mutating func count(_ type: ActionType, kind: ObjectKind) {
        guard let collection = kind.manifestKind?.collectionName else { return }
        switch type {
        case .create: counts[collection, default: 0] += 1
        case .delete: counts[collection, default: 0] -= 1
        case .update, .enroll, .unenroll, .moveToRing, .setGroupTag: break
        }
    }
}
