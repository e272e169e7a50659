import Foundation
import Manifests

extension PlannedAction {
    /// The kind of portal object the action writes: its target's, except that enrolling or
    /// unenrolling a Device manifest writes its room (whose id is then the target's portal id).
    public var writtenKind: ObjectKind {
        type == .enroll || type == .unenroll ? .room : target.kind
    }
}

public enum ActionType: String, Codable, Sendable, CaseIterable {
    case create, update, delete, enroll, unenroll, moveToRing
    /// Give a Windows main unit's Autopilot registration a group tag (through Microsoft Graph).
    case setGroupTag
}

/// One field's change: a value (`before`/`after`) or, for sets, what is `added` and `removed`.
public struct FieldChange: Codable, Sendable, Equatable {
    public var field: String
    public var before: String?
    public var after: String?
    public var added: [String]?
    public var removed: [String]?

    public init(field: String, before: String? = nil, after: String? = nil, added: [String]? = nil, removed: [String]? = nil) {
        self.field = field
        self.before = before
        self.after = after
        self.added = added
        self.removed = removed
    }
}

/// One step of a plan.
public struct PlannedAction: Codable, Sendable, Equatable {
    /// Stable within a plan: `create RoomGroup/london-floor-3`.
    public var id: ActionID
    public var type: ActionType
    public var target: ObjectReference
    /// Why, for people; never used to decide what apply does.
    public var reason: String
    public var changes: [FieldChange]
    /// The entity tag of the live object when planned; apply refuses the action if it changed.
    public var fingerprint: String?
    /// Actions that must succeed first.
    public var dependsOn: [ActionID]
    /// Apply runs stages in ascending order, the actions of one stage concurrently; every
    /// dependency lies in an earlier stage.
    public var stage: Int
    /// What apply sends: the whole desired object for creates and updates, the ring for a move.
    public var payload: ActionPayload?

    public init(
        type: ActionType, target: ObjectReference, reason: String, changes: [FieldChange] = [], fingerprint: String? = nil,
        dependsOn: [ActionID] = [], stage: Int = 0, payload: ActionPayload? = nil
    ) {
        self.id = ActionID(type, target)
        self.type = type
        self.target = target
        self.reason = reason
        self.changes = changes
        self.fingerprint = fingerprint
        self.dependsOn = dependsOn
        self.stage = stage
        self.payload = payload
    }
}

/// The stages of a plan, in the order apply runs them: what others refer to first (rings, room
/// groups and roles before the assignments that name them), then rooms' ring moves and device
/// enrollment. Deletions are derived here, in one place: they run after every other stage, in
/// reverse (assignments before the roles and groups they name), as `deletionOrder` says. The
/// numbers are what a plan's `stage` field holds.
public enum PlanStage: Int, CaseIterable, Sendable {
    case updateRings = 0
    case roomGroups, roles, roleAssignments, ringMoves, devices

    /// When creates, updates and moves of this stage run.
    public var order: Int { rawValue }

    /// When deletions of this stage's objects run: after every stage's creates and updates, the
    /// stages in reverse, so that nothing is deleted while something still refers to it.
    public var deletionOrder: Int { 10 - rawValue }
}

/// An action's identity within a plan: its type and target, written as saved plans and journals
/// have always written it, `create RoomGroup/london-floor-3`.
public struct ActionID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var type: ActionType
    public var target: ObjectKey

    public init(_ type: ActionType, _ target: ObjectReference) {
        self.type = type
        self.target = target.key
    }

    /// Reads `TYPE KIND/NAME`; nil for anything else, a kind this release does not know included.
    public init?(_ text: String) {
        let parts = text.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let type = ActionType(rawValue: String(parts[0])), let target = ObjectKey(parts[1]) else { return nil }
        self.type = type
        self.target = target
    }

    public var description: String { "\(type.rawValue) \(target)" }

    public static func < (lhs: ActionID, rhs: ActionID) -> Bool { lhs.description < rhs.description }
}

extension ActionID: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = ActionID(text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an action id (TYPE KIND/NAME)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
