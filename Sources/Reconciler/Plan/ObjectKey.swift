import Foundation
import Manifests

/// What a plan or report refers to: an object of a manifest kind, or a room (which is referenced,
/// never declared). Written as the kind's name, `RoomGroup` or `Room`.
public enum ObjectKind: Sendable, Hashable, Comparable, CustomStringConvertible {
    case manifest(ManifestKind)
    case room

    public init?(rawValue: String) {
        if rawValue == "Room" {
            self = .room
        } else if let kind = ManifestKind(rawValue: rawValue) {
            self = .manifest(kind)
        } else {
            return nil
        }
    }

    public var rawValue: String {
        switch self {
        case .manifest(let kind): kind.rawValue
        case .room: "Room"
        }
    }

    /// The manifest kind, or nil for a room.
    public var manifestKind: ManifestKind? {
        if case .manifest(let kind) = self { return kind }
        return nil
    }

    public var description: String { rawValue }

    public static func < (lhs: ObjectKind, rhs: ObjectKind) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension ObjectKind: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let kind = ObjectKind(rawValue: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not a kind Roomkeeper knows")
        }
        self = kind
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// An object's identity as git, plans, journals and `--target` name it: its kind and name,
/// written `RoomGroup/london-floor-3`, `Room/conf-lon-3a@contoso.com`.
public struct ObjectKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: ObjectKind
    public var name: String

    public init(_ kind: ObjectKind, _ name: String) {
        self.kind = kind
        self.name = name
    }

    /// A declared object's key.
    public init(_ manifest: Manifest) {
        self.init(.manifest(manifest.kind), manifest.metadata.name.value)
    }

    /// Reads `KIND/NAME`; nil for a kind this release does not know, or no name.
    public init?(_ text: some StringProtocol) {
        guard let slash = text.firstIndex(of: "/"), let kind = ObjectKind(rawValue: String(text[..<slash])) else { return nil }
        let name = text[text.index(after: slash)...]
        guard !name.isEmpty else { return nil }
        self.init(kind, String(name))
    }

    public var description: String { "\(kind)/\(name)" }

    public static func < (lhs: ObjectKey, rhs: ObjectKey) -> Bool { (lhs.kind, lhs.name) < (rhs.kind, rhs.name) }
}

/// A portal object by the name git knows it by, and its portal id when it has one.
public struct ObjectReference: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public var kind: ObjectKind
    public var name: String
    /// The object's id in the portal, when it exists there.
    public var portalId: String?

    public init(kind: ObjectKind, name: String, portalId: String? = nil) {
        self.kind = kind
        self.name = name
        self.portalId = portalId
    }

    public var key: ObjectKey { ObjectKey(kind, name) }

    public var description: String { key.description }

    public static func < (lhs: ObjectReference, rhs: ObjectReference) -> Bool {
        (lhs.kind, lhs.name) < (rhs.kind, rhs.name)
    }
}
