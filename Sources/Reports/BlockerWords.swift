import Reconciler

/// A plan blocker in the words of each place it is shown: the facts, then what to do there.
public enum BlockerWords {
    /// On the command line (plan, apply, pull request comments): the flag that overrides it.
    public static func commandLine(_ blocker: PlanBlocker) -> String {
        switch blocker {
        case .deletionGuard, .kindShare:
            blocker.facts + ". Review the deletions, then run with --allow-mass-delete"
        case .inventoryShrink:
            blocker.facts + ". Check the token's scope and the portal, then run with --accept-inventory-shrink if the objects are really gone"
        case .lastProManager, .selfLockOut:
            blocker.facts
                + ". Keep the assignment in git (no flag overrides this); change Roomkeeper's own access in the portal by hand if you mean to"
        case .recorded:
            blocker.facts
        }
    }

    /// On the controller's status: the controller has no flags; a person acts, then it retries.
    public static func controller(_ blocker: PlanBlocker) -> String {
        switch blocker {
        case .deletionGuard, .kindShare:
            blocker.facts + ". Review the deletions; if they are meant, raise deletionGuard in roomkeeper.yaml or apply once by hand"
        case .inventoryShrink:
            blocker.facts + ". Check the token's scope and the portal; if the objects are really gone, run "
                + "a plan by hand with the same state folder to accept the smaller inventory"
        case .lastProManager, .selfLockOut:
            blocker.facts + ". Restore the assignment in git; change Roomkeeper's own access in the portal by hand if you mean to"
        case .recorded:
            blocker.facts
        }
    }
}
