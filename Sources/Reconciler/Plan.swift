import Foundation
import Manifests

/// A reviewed unit of work: the ordered actions that bring the portal to what git declares, what
/// only a person can fix, and what Roomkeeper leaves alone. Computed by `Planner`, rendered by
/// `Reports`; a saved plan is this value as JSON (`formatVersion` changes its major number only
/// for breaking changes).
public struct Plan: Codable, Sendable {
    public static let currentFormatVersion = "1.3"

    public var formatVersion = Plan.currentFormatVersion
    /// Unique per plan; apply derives each create's idempotency key from it.
    public var id: String
    /// Where the manifests came from (a folder, or a repository at a commit).
    public var source: String
    /// A digest of the manifests the plan was made from (the commit id, for a git source); a saved
    /// plan is refused once it changes.
    public var sourceRevision: String?
    /// Where to read the manifests again: a folder, or a git remote, ref and path with the commit.
    public var origin: SourceOrigin?
    /// Which portal was read, as `Portal.endpointDescription` says.
    public var portal: String
    public var createdAt: Date
    /// In the order apply runs them: dependencies first, deletes last in reverse order.
    public var actions: [PlannedAction]
    public var findings: [Finding]
    /// Portal objects Roomkeeper does not manage and leaves alone.
    public var unmanaged: [ObjectReference]
    /// Why the plan must not be applied as it is (the deletion guard); empty when it may.
    public var blockers: [PlanBlocker]

    public init(
        id: String = UUID().uuidString.lowercased(), source: String, sourceRevision: String? = nil, portal: String,
        createdAt: Date = Date(), actions: [PlannedAction] = [], findings: [Finding] = [], unmanaged: [ObjectReference] = [],
        blockers: [PlanBlocker] = []
    ) {
        self.id = id
        self.source = source
        self.sourceRevision = sourceRevision
        self.portal = portal
        self.createdAt = createdAt
        self.actions = actions
        self.findings = findings
        self.unmanaged = unmanaged
        self.blockers = blockers
    }

    public var hasChanges: Bool { !actions.isEmpty }
    public var isApplyable: Bool { blockers.isEmpty && !findings.contains { $0.severity == .error } }

    /// How many actions of each type.
    public var counts: [ActionType: Int] {
        actions.reduce(into: [:]) { $0[$1.type, default: 0] += 1 }
    }
}

/// Where manifests come from: a folder, or a git repository at a revision.
public enum SourceOrigin: Sendable, Equatable {
    case folder(String)
    case git(GitOrigin)

    /// The git origin, or nil for a folder.
    public var git: GitOrigin? {
        if case .git(let origin) = self { return origin }
        return nil
    }
}

/// A git repository, the ref and folder in it that hold the manifests, and, once read, the
/// revision read and who signed it.
public struct GitOrigin: Codable, Sendable, Equatable {
    /// The remote; as recorded in a plan or report, with its credentials removed.
    public var url: String
    public var ref: String
    /// The folder in the repository; empty for its root.
    public var path: String
    public var commit: String?
    public var subject: String?
    public var author: String?
    /// Who signed the revision, when signatures were verified: `commit 1a2b3c4d5e6f signed by
    /// alice@contoso.com (ssh key SHA256:...)`, the tag first under `--verify-mode tag-and-head`.
    public var verifiedSigners: [String]?

    public init(
        url: String, ref: String = "main", path: String = "", commit: String? = nil, subject: String? = nil, author: String? = nil,
        verifiedSigners: [String]? = nil
    ) {
        self.url = url
        self.ref = ref
        self.path = path
        self.commit = commit
        self.subject = subject
        self.author = author
        self.verifiedSigners = verifiedSigners
    }

    private enum Keys: String, CodingKey { case url, ref, path, commit, subject, author, verifiedSigners }

    /// An origin written without a ref or path (an older plan) means `main` at the root.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        self.init(
            url: try container.decode(String.self, forKey: .url), ref: try container.decodeIfPresent(String.self, forKey: .ref) ?? "main",
            path: try container.decodeIfPresent(String.self, forKey: .path) ?? "",
            commit: try container.decodeIfPresent(String.self, forKey: .commit),
            subject: try container.decodeIfPresent(String.self, forKey: .subject),
            author: try container.decodeIfPresent(String.self, forKey: .author),
            verifiedSigners: try container.decodeIfPresent([String].self, forKey: .verifiedSigners))
    }
}

/// Written as plans and reports have always written it: `{"folder": ...}`, or the git origin's
/// fields side by side.
extension SourceOrigin: Codable {
    private enum Keys: String, CodingKey { case folder, url }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if container.contains(.url) {
            self = .git(try GitOrigin(from: decoder))
        } else {
            self = .folder(try container.decodeIfPresent(String.self, forKey: .folder) ?? ".")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .folder(let folder):
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(folder, forKey: .folder)
        case .git(let origin): try origin.encode(to: encoder)
        }
    }
}

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

/// Something the plan cannot fix by itself, with what a person should do about it.
public struct Finding: Codable, Sendable, Equatable {
    public enum Severity: String, Codable, Sendable {
        /// Blocks applying: the plan would otherwise do the wrong thing.
        case error
        /// Needs a person, but does not stop the rest.
        case warning
        case info
    }

    /// What kind of finding this is, for tools: stable across releases, unlike `message`.
    public enum Code: String, Codable, Sendable {
        case deviceMissing, deviceInWrongRoom, deviceAmbiguous, peripheralMissing, roomNotInInventory
        case memberNotInDirectory, memberAmbiguous, handMadeConflict, protectedKept, pruneOff
        case ringWithoutProLicence, remoteAccessOff, remoteAccessUnreachable
        /// Found by checking the manifests against the tenant's directory (Microsoft Graph).
        case memberDisabled, groupNotSecurityEnabled, roomNotRoomMailbox, roomListUnknown, roomListNeedsDirectory
        case selectorMatchesNothing
        /// Found by checking declared main units against Intune and Windows Autopilot.
        case deviceNotRegistered, deviceOffline, groupTagInvalid, groupTagOfAnotherProfile, deviceUndeclared, devicesNotObservable
        case roomLicencedAsSharedDevice
        /// What the tenant's Microsoft cloud does not offer.
        case roomsNotObservable, portalNotInCloud

        /// The findings that checking the manifests against the directory alone can make.
        public static let directoryChecks: Set<Code> = [
            .memberNotInDirectory, .memberAmbiguous, .memberDisabled, .groupNotSecurityEnabled, .roomNotRoomMailbox, .roomListUnknown,
            .selectorMatchesNothing, .ringWithoutProLicence, .deviceNotRegistered, .deviceOffline, .groupTagInvalid, .groupTagOfAnotherProfile,
            .deviceUndeclared, .roomLicencedAsSharedDevice, .roomsNotObservable, .portalNotInCloud, .remoteAccessOff,
            .deviceAmbiguous, .devicesNotObservable,
        ]
    }

    public var code: Code?
    public var severity: Severity
    public var target: ObjectReference
    public var message: String
    /// What to do about it.
    public var remedy: String
    /// Where the manifest concerned is declared, when there is one.
    public var location: SourceLocation?

    public init(
        _ code: Code? = nil, severity: Severity, target: ObjectReference, message: String, remedy: String, location: SourceLocation? = nil
    ) {
        self.code = code
        self.severity = severity
        self.target = target
        self.message = message
        self.remedy = remedy
        self.location = location
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
