/// The reconciliation policy in the repository's `roomkeeper.yaml`: what may be
/// pruned or adopted, the deletion guard and fields people may change in the portal.
///
/// Never holds a credential: tokens come from the environment or a file.
public struct RepositoryPolicy: Sendable, Equatable {
    /// Where the file names a portal, which only the operator may choose (`--portal`); an error.
    public var portalKey: SourceLocation?
    /// Kinds whose objects Roomkeeper may delete when they are no longer declared. Off by default.
    public var prune: Set<ManifestKind>
    /// Kinds whose unmanaged portal objects Roomkeeper may take over when a manifest declares one.
    public var adopt: Set<ManifestKind>
    public var deletionGuard: DeletionGuard
    public var ignore: [IgnoreRule]
    /// Managed objects git declares gone, by kind: deleted even when protected or not pruned.
    public var absent: [ManifestKind: [Located<String>]]
    /// Drift items a person has looked at and put off until a day.
    public var snoozes: [Snooze]
    /// How long a declared device may take to check in before drift reports call it missing.
    public var deviceGraceHours: Int
    /// Whether the default rings' days count toward the 60-day limit in `validate` (Microsoft
    /// does not say; on by default, the safe reading).
    public var countDefaultRingDays: Bool
    /// When set, the Autopilot group tag Roomkeeper gives the declared Windows main units
    /// (through Microsoft Graph); nil, the default, only reports a wrong tag.
    public var autopilotGroupTag: Located<String>?
    /// Where the policy was declared; nil when the repository has no `roomkeeper.yaml`.
    public var location: SourceLocation?

    public init(
        portalKey: SourceLocation? = nil, prune: Set<ManifestKind> = [], adopt: Set<ManifestKind> = [],
        deletionGuard: DeletionGuard = DeletionGuard(), ignore: [IgnoreRule] = [], absent: [ManifestKind: [Located<String>]] = [:],
        snoozes: [Snooze] = [], deviceGraceHours: Int = RepositoryPolicy.defaultDeviceGraceHours, countDefaultRingDays: Bool = true,
        autopilotGroupTag: Located<String>? = nil, location: SourceLocation? = nil
    ) {
        self.autopilotGroupTag = autopilotGroupTag
        self.countDefaultRingDays = countDefaultRingDays
        self.absent = absent
        self.snoozes = snoozes
        self.deviceGraceHours = deviceGraceHours
        self.portalKey = portalKey
        self.prune = prune
        self.adopt = adopt
        self.deletionGuard = deletionGuard
        self.ignore = ignore
        self.location = location
    }

    /// New resource accounts can take up to 48 hours to reach the portal's inventory.
    public static let defaultDeviceGraceHours = 48

    /// The kinds whose objects can be pruned or adopted (devices are neither created nor deleted).
    public static let manageableKinds: [ManifestKind] = [.roomGroup, .role, .roleAssignment, .updateRing]
}

/// Refuses a plan that deletes more than `maximumDeletes` objects, or more than
/// `maximumDeletePercent` percent of a kind's managed objects, unless forced.
public struct DeletionGuard: Sendable, Equatable {
    public var maximumDeletes: Int
    public var maximumDeletePercent: Int

    public init(maximumDeletes: Int = 10, maximumDeletePercent: Int = 25) {
        self.maximumDeletes = maximumDeletes
        self.maximumDeletePercent = maximumDeletePercent
    }
}

/// Fields of a kind that people may change in the portal; they stay out of the diff.
public struct IgnoreRule: Sendable, Equatable {
    public var kind: ManifestKind
    /// The manifests the rule covers; empty means every object of the kind.
    public var names: [String]
    /// Spec field names, e.g. `description`.
    public var fields: [String]
    public var location: SourceLocation?

    public init(kind: ManifestKind, names: [String] = [], fields: [String], location: SourceLocation? = nil) {
        self.kind = kind
        self.names = names
        self.fields = fields
        self.location = location
    }

    public static func == (lhs: IgnoreRule, rhs: IgnoreRule) -> Bool {
        lhs.kind == rhs.kind && lhs.names == rhs.names && lhs.fields == rhs.fields
    }
}

/// A drift item put off until a day: drift reports list it as snoozed, not as drift, until the
/// day has passed. Recorded in the repository, so the decision is reviewed like any change.
public struct Snooze: Sendable, Equatable {
    /// The drift item's object, `KIND/NAME` as reports show it (`RoomGroup/london-floor-3`).
    public var target: Located<String>
    public var until: CalendarDay
    public var reason: String

    public init(target: Located<String>, until: CalendarDay, reason: String) {
        self.target = target
        self.until = until
        self.reason = reason
    }
}
