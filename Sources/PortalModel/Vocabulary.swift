/// A value of a closed vocabulary as the portal sent it: one this release knows, or the text of
/// one it does not. A portal that adds a state must not make Roomkeeper fail to read it, and a
/// state Roomkeeper does not know must never be mistaken for one it does.
///
/// Decoding compares case-insensitively (Microsoft's samples send `Enrolled` where the reference
/// says `enrolled`); encoding writes the known spelling, or the unknown text as it came.
public enum Vocabulary<Known>: Sendable, Hashable, CustomStringConvertible
where Known: RawRepresentable & CaseIterable & Sendable & Hashable, Known.RawValue == String {
    case known(Known)
    case unknown(String)

    public init(_ text: String) {
        // The exact spelling first: it is what almost every answer sends, and it costs one lookup.
        if let known = Known(rawValue: text) {
            self = .known(known)
            return
        }
        let lowered = text.lowercased()
        if let known = Known.allCases.first(where: { $0.rawValue.lowercased() == lowered }) {
            self = .known(known)
        } else {
            self = .unknown(text)
        }
    }

    /// The known value, or nil for one this release does not know.
    public var value: Known? {
        if case .known(let known) = self { return known }
        return nil
    }

    public var rawValue: String {
        switch self {
        case .known(let known): known.rawValue
        case .unknown(let text): text
        }
    }

    public var description: String { rawValue }
}

extension Vocabulary: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension Vocabulary: ExpressibleByStringLiteral {
    public init(stringLiteral text: String) { self.init(text) }
}

/// Whether a device's agent is reporting.
public enum Connectivity: String, CaseIterable, Sendable, Hashable {
    case connected, disconnected
}

/// A device's health as the portal judges it.
public enum DeviceHealth: String, CaseIterable, Sendable, Hashable {
    case healthy, unhealthy, unknown
}

/// A room's health as the portal's Rooms page shows it: *Suppressed* is silenced on purpose (for
/// maintenance), *Unmonitored* has no agent reporting
/// (learn.microsoft.com/microsoftteams/rooms/managed-meeting-rooms-portal).
public enum RoomHealth: String, CaseIterable, Sendable, Hashable {
    case healthy, unhealthy, suppressed, unmonitored
}

/// The Teams Rooms licence a room's resource account holds. Update rings orchestrate updates
/// only for rooms with Pro; the others follow the device's nightly window
/// (learn.microsoft.com/microsoftteams/rooms/update-management).
public enum RoomLicence: String, CaseIterable, Sendable, Hashable {
    case pro, premium, basic, standard, shared, unlicensed

    /// Whether the licence lets the portal's update rings manage the room. Premium is the
    /// retired predecessor of Pro and carries its management features.
    public var includesRingManagement: Bool { self == .pro || self == .premium }
}

/// What kind of room the portal lists: a Teams Rooms device, or a bring-your-own-device room
/// (learn.microsoft.com/microsoftteams/rooms/bring-your-own-device).
public enum RoomType: String, CaseIterable, Sendable, Hashable {
    case teamsRooms, bringYourOwnDevice
}

/// What a person does to enroll a room today. Since Teams Rooms app 4.17 a device signed in to
/// Teams with a Teams Rooms Pro licence enrolls itself, Android devices and Teams panels too; the
/// enrollment key is only for a device that cannot sign in; unenrolling is Remove
/// (learn.microsoft.com/microsoftteams/rooms/enroll-a-device).
public enum EnrollmentWords {
    /// How a device that enrolls itself (a main unit or a Teams panel) and has not checked in is
    /// brought in.
    public static func signIn(_ type: DeviceType, room: String) -> String {
        type.isRoomUnit
            ? "sign it in to Teams with \(room)'s resource account, licensed Teams Rooms Pro: it then enrolls itself "
                + "(app 4.17 or later); only a device that cannot sign in needs the agent and the tenant's enrollment key"
            : "sign the panel in to Teams with \(room)'s resource account, licensed Teams Rooms Pro: it then enrolls itself "
                + "in the portal; a panel is not connected to the room's main unit"
    }
}
