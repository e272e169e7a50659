import PortalAPI

/// Whether a saved plan still describes the portal: every object it touches must be at the
/// version (entity tag) the plan saw, and nothing it creates may exist yet. Edits elsewhere in
/// the tenant do not matter, so a reviewed plan survives unrelated work. Pure and linear.
public enum PlanFreshness {
    /// Every reason the plan no longer fits the portal, one per object; empty when it may be applied.
    public static func problems(_ plan: Plan, live: LiveState) -> [String] {
        var tags: [ObjectKind: [String: String]] = [:]
        var managedNames: Set<ObjectKey> = []
        func index<R: PortalResource>(_ kind: ObjectKind, _ items: [Tagged<R>]) {
            tags[kind] = Dictionary(items.map { ($0.resource.id, $0.etag) }, uniquingKeysWith: { first, _ in first })
        }
        func names<R: OwnedResource>(_ kind: ObjectKind, _ items: [Tagged<R>]) {
            index(kind, items)
            for item in items where item.resource.managedBy == Ownership.roomkeeper {
                if let name = item.resource.manifestName { managedNames.insert(ObjectKey(kind, name)) }
            }
        }
        index(.room, live.rooms)
        names(.manifest(.roomGroup), live.roomGroups)
        names(.manifest(.role), live.roles)
        names(.manifest(.roleAssignment), live.roleAssignments)
        names(.manifest(.updateRing), live.updateRings)

        var problems: [String] = []
        for action in plan.actions {
            let target = action.target
            if action.type == .create {
                if managedNames.contains(target.key) || action.payload?.objectId.flatMap({ tags[target.kind]?[$0] }) != nil {
                    problems.append("\(target) now exists in the portal; the plan would create it again")
                }
                continue
            }
            guard let id = target.portalId, let planned = action.fingerprint else { continue }
            guard let current = tags[action.writtenKind]?[id] else {
                problems.append("\(target) no longer exists in the portal")
                continue
            }
            if current != planned {
                problems.append("\(target) changed in the portal since the plan was made (version \(planned), now \(current))")
            }
        }
        return problems
    }
}

extension PlanFreshness {
    /// The saved plan's actions that `fresh` (a plan of the same manifests against the portal as it
    /// is now, untargeted and unguarded) does not contain as they are: what the planner could not
    /// have produced, so a plan file edited by hand (a payload, a target, an added action) is refused.
    public static func unexplained(_ saved: Plan, fresh: Plan) -> [PlannedAction] {
        let planned = Dictionary(fresh.actions.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return saved.actions.filter { action in
            guard let expected = planned[action.id] else { return true }
            return action.type != expected.type || action.target != expected.target || action.payload != expected.payload
                || action.fingerprint != expected.fingerprint || action.stage != expected.stage
        }
    }
}

extension Plan {
    /// Whether `id` can be a plan id: letters, digits and dashes, as the planner writes them; a
    /// saved plan's id names its journal file, so it must never carry a path.
    public static func isWellFormed(id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
            }
    }
}

extension ActionPayload {
    /// The id of the object the payload carries.
    var objectId: String? {
        switch self {
        case .roomGroup(let object): object.id
        case .role(let object): object.id
        case .roleAssignment(let object): object.id
        case .updateRing(let object): object.id
        case .updateRingId, .autopilotGroupTag: nil
        }
    }
}
