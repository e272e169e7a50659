/// The three update rings every tenant has. They cannot be deleted; every new room starts in
/// `general` (learn.microsoft.com/microsoftteams/rooms/update-management).
///
/// Microsoft does not document where they sit among the custom rings' positions 1 to 9, nor
/// their days. Roomkeeper's reading, used by its emulator and counted by `validate` unless the
/// policy says otherwise: Staging goes first (position 0, 1 day to roll out and 3 to test),
/// General and Executive after every custom ring (positions 10 and 11; 5 + 2 and 3 + 0 days),
/// 14 days in all toward the 60-day limit.
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

    public var order: Int {
        switch self {
        case .staging: 0
        case .general: 10
        case .executive: 11
        }
    }

    public var rolloutDays: Int {
        switch self {
        case .staging: 1
        case .general: 5
        case .executive: 3
        }
    }

    public var testDays: Int {
        switch self {
        case .staging: 3
        case .general: 2
        case .executive: 0
        }
    }

    /// Days the default rings add to the 60-day total.
    public static var totalDays: Int { allCases.reduce(0) { $0 + $1.rolloutDays + $1.testDays } }
}

/// Limits the portal puts on update rings.
public enum UpdateRingLimits {
    /// Ring positions run from 1 (first to update) to 9 (last).
    public static let orders: ClosedRange<Int> = 1...9
    /// The sum of rollout and test days over all rings may not exceed this.
    public static let maximumTotalDays = 60
}
