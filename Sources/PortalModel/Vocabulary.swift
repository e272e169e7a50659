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
        if let known = Known.allCases.first(where: { $0.rawValue.lowercased() == text.lowercased() }) {
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
