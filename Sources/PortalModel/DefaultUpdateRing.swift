/// The three update rings every tenant has. They cannot be deleted; every new room starts in
/// `general`.
public enum DefaultUpdateRing: String, CaseIterable, Sendable, Hashable {
    case staging
    case general
    case executive

    /// The display name the portal shows.
    public var displayName: String {
        switch self {
        case .staging: "Staging"
        case .general: "General"
        case .executive: "Executive"
        }
    }
}

/// Limits the portal puts on update rings.
public enum UpdateRingLimits {
    /// Ring positions run from 1 (first to update) to 9 (last).
    public static let orders: ClosedRange<Int> = 1...9
    /// The sum of rollout and test days over all rings may not exceed this.
    public static let maximumTotalDays = 60
}
