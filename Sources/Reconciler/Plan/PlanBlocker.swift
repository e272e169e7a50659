import Foundation
import Manifests
import PortalModel

/// Why a plan must not be applied as it is. The core states the facts; `Reports` says them in
/// the words of each front end (the flag that overrides it on the command line, what a person
/// does for the controller, which has no flags).
public enum PlanBlocker: Sendable, Equatable {
    /// More deletions in one plan than the policy's deletion guard allows.
    case deletionGuard(deletes: Int, limit: Int)
    /// Deletes a larger share of one kind's managed objects than the guard allows.
    case kindShare(kind: ManifestKind, deletes: Int, managed: Int, limitPercent: Int)
    /// The portal lists far fewer objects of a collection than at the last read.
    case inventoryShrink(collection: String, before: Int, now: Int, recordedAt: Date)
    /// The plan removes the last Teams Rooms Pro Manager assignment that has members.
    case lastProManager
    /// The plan takes from Roomkeeper's own account permissions it holds over all rooms and
    /// needs to reconcile (slugs, sorted).
    case selfLockOut(account: String, lost: [String])
    /// A blocker of a plan saved by an earlier release, which wrote them as sentences.
    case recorded(String)
}

extension PlanBlocker: Codable {
    private enum Key: String, CodingKey {
        case code, deletes, limit, kind, managed, limitPercent, collection, before, now, recordedAt, message, account, lost
    }

    public init(from decoder: any Decoder) throws {
        if let sentence = try? decoder.singleValueContainer().decode(String.self) {
            self = .recorded(sentence)
            return
        }
        let container = try decoder.container(keyedBy: Key.self)
        switch try container.decode(String.self, forKey: .code) {
        case "deletionGuard":
            self = .deletionGuard(deletes: try container.decode(Int.self, forKey: .deletes), limit: try container.decode(Int.self, forKey: .limit))
        case "kindShare":
            guard let kind = ManifestKind(rawValue: try container.decode(String.self, forKey: .kind)) else {
                throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "not a manifest kind")
            }
            self = .kindShare(
                kind: kind, deletes: try container.decode(Int.self, forKey: .deletes), managed: try container.decode(Int.self, forKey: .managed),
                limitPercent: try container.decode(Int.self, forKey: .limitPercent))
        case "inventoryShrink":
            self = .inventoryShrink(
                collection: try container.decode(String.self, forKey: .collection), before: try container.decode(Int.self, forKey: .before),
                now: try container.decode(Int.self, forKey: .now), recordedAt: try container.decode(Date.self, forKey: .recordedAt))
        case "lastProManager":
            self = .lastProManager
        case "selfLockOut":
            self = .selfLockOut(
                account: try container.decode(String.self, forKey: .account), lost: try container.decode([String].self, forKey: .lost))
        default:
            self = .recorded(try container.decodeIfPresent(String.self, forKey: .message) ?? "a blocker this release does not know")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        switch self {
        case .deletionGuard(let deletes, let limit):
            try container.encode("deletionGuard", forKey: .code)
            try container.encode(deletes, forKey: .deletes)
            try container.encode(limit, forKey: .limit)
        case .kindShare(let kind, let deletes, let managed, let limitPercent):
            try container.encode("kindShare", forKey: .code)
            try container.encode(kind.rawValue, forKey: .kind)
            try container.encode(deletes, forKey: .deletes)
            try container.encode(managed, forKey: .managed)
            try container.encode(limitPercent, forKey: .limitPercent)
        case .inventoryShrink(let collection, let before, let now, let recordedAt):
            try container.encode("inventoryShrink", forKey: .code)
            try container.encode(collection, forKey: .collection)
            try container.encode(before, forKey: .before)
            try container.encode(now, forKey: .now)
            try container.encode(recordedAt, forKey: .recordedAt)
        case .lastProManager:
            try container.encode("lastProManager", forKey: .code)
        case .selfLockOut(let account, let lost):
            try container.encode("selfLockOut", forKey: .code)
            try container.encode(account, forKey: .account)
            try container.encode(lost, forKey: .lost)
        case .recorded(let message):
            try container.encode("recorded", forKey: .code)
            try container.encode(message, forKey: .message)
        }
    }
}

extension PlanBlocker {
    /// Whether this is the inventory guard's: a verdict on the read, not on the plan's actions.
    public var isInventoryShrink: Bool {
        if case .inventoryShrink = self { return true }
        return false
    }

    /// What happened, in words that suit any front end (no flag, no command).
    public var facts: String {
        switch self {
        case .deletionGuard(let deletes, let limit):
            "the plan deletes \(deletes) objects; the deletion guard allows \(limit)"
        case .kindShare(let kind, let deletes, let managed, let limitPercent):
            "the plan deletes \(deletes) of \(managed) \(kind.collectionName) managed by Roomkeeper, over the guard's \(limitPercent)%"
        case .inventoryShrink(let collection, let before, let now, let recordedAt):
            "the \(InventoryRecord.directoryCollections.contains(collection) ? "tenant's directory" : "portal") lists \(now) \(collection), "
                + "down from \(before) at \(recordedAt.formatted(.iso8601)); a short read is not proof of absence"
        case .lastProManager:
            "the plan removes the last Teams Rooms Pro Manager assignment; nobody could then manage roles and assignments in the portal"
        case .selfLockOut(let account, let lost):
            "the plan takes from \(account.terminalSafe), the account Roomkeeper signs in with, \(lost.joined(separator: ", ")) over all rooms, which it needs to reconcile"
        case .recorded(let message):
            message
        }
    }
}
