import Manifests
import PortalAPI

/// What an action sends to the portal, decided when the plan is made so that applying a saved
/// plan does exactly what was reviewed. In JSON, one key naming the kind of payload:
/// `{"roomGroup": {...}}`, `{"updateRingId": "ring-it-pilot"}`.
public enum ActionPayload: Sendable, Equatable {
    case roomGroup(PortalRoomGroup)
    case role(PortalRole)
    case roleAssignment(PortalRoleAssignment)
    case updateRing(PortalUpdateRing)
    /// The ring a room moves to.
    case updateRingId(String)
    /// The group tag an Autopilot registration gets.
    case autopilotGroupTag(String)
}

extension ActionPayload: Codable {
    private enum Key: String, CodingKey, CaseIterable {
        case roomGroup, role, roleAssignment, updateRing, updateRingId, autopilotGroupTag
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "a payload has exactly one of \(Key.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        switch key {
        case .roomGroup: self = .roomGroup(try container.decode(PortalRoomGroup.self, forKey: key))
        case .role: self = .role(try container.decode(PortalRole.self, forKey: key))
        case .roleAssignment: self = .roleAssignment(try container.decode(PortalRoleAssignment.self, forKey: key))
        case .updateRing: self = .updateRing(try container.decode(PortalUpdateRing.self, forKey: key))
        case .updateRingId: self = .updateRingId(try container.decode(String.self, forKey: key))
        case .autopilotGroupTag: self = .autopilotGroupTag(try container.decode(String.self, forKey: key))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .roomGroup(let object): try container.encode(object, forKey: .roomGroup)
        case .role(let object): try container.encode(object, forKey: .role)
        case .roleAssignment(let object): try container.encode(object, forKey: .roleAssignment)
        case .updateRing(let object): try container.encode(object, forKey: .updateRing)
        case .updateRingId(let id): try container.encode(id, forKey: .updateRingId)
        case .autopilotGroupTag(let tag): try container.encode(tag, forKey: .autopilotGroupTag)
        }
    }
}

/// The portal ids Roomkeeper gives the objects it creates: derived from the manifest name, so
/// two plans racing to create the same object collide (409) instead of creating it twice.
enum DerivedPortalId {
    static func newId(_ kind: ManifestKind, _ name: String) -> String {
        let prefix =
            switch kind {
            case .roomGroup: "rg"
            case .role: "role"
            case .roleAssignment: "ra"
            case .updateRing: "ring"
            case .device: "dev"
            }
        return "\(prefix)-\(name)"
    }
}
