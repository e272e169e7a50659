import Foundation
import Manifests

/// A reviewed unit of work: the ordered actions that bring the portal to what git declares, what
/// only a person can fix, and what Roomkeeper leaves alone. Computed by `Planner`, rendered by
/// `Reports`; a saved plan is this value as JSON (`formatVersion` changes its major number only
/// for breaking changes).
public struct Plan: Codable, Sendable {
    public static let currentFormatVersion = "1.3"

    public var formatVersion = Plan.currentFormatVersion
    /// Unique per plan; apply derives each create's idempotency key from it.
    public var id: String
    /// Where the manifests came from (a folder, or a repository at a commit).
    public var source: String
    /// A digest of the manifests the plan was made from (the commit id, for a git source); a saved
    /// plan is refused once it changes.
    public var sourceRevision: String?
    /// Where to read the manifests again: a folder, or a git remote, ref and path with the commit.
    public var origin: SourceOrigin?
    /// Which portal was read, as `Portal.endpointDescription` says.
    public var portal: String
    public var createdAt: Date
    /// In the order apply runs them: dependencies first, deletes last in reverse order.
    public var actions: [PlannedAction]
    public var findings: [Finding]
    /// Portal objects Roomkeeper does not manage and leaves alone.
    public var unmanaged: [ObjectReference]
    /// Why the plan must not be applied as it is (the deletion guard); empty when it may.
    public var blockers: [PlanBlocker]

    public init(
        id: String = UUID().uuidString.lowercased(), source: String, sourceRevision: String? = nil, portal: String,
        createdAt: Date = Date(), actions: [PlannedAction] = [], findings: [Finding] = [], unmanaged: [ObjectReference] = [],
        blockers: [PlanBlocker] = []
    ) {
        self.id = id
        self.source = source
        self.sourceRevision = sourceRevision
        self.portal = portal
        self.createdAt = createdAt
        self.actions = actions
        self.findings = findings
        self.unmanaged = unmanaged
        self.blockers = blockers
    }

    public var hasChanges: Bool { !actions.isEmpty }
    public var isApplyable: Bool { blockers.isEmpty && !findings.contains { $0.severity == .error } }

    /// How many actions of each type.
    public var counts: [ActionType: Int] {
        actions.reduce(into: [:]) { $0[$1.type, default: 0] += 1 }
    }
}
