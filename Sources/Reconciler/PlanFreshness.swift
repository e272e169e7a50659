import PortalAPI

/// Whether a saved plan still describes the portal: every object it touches must be at the
/// version (entity tag) the plan saw, and nothing it creates may exist yet. Edits elsewhere in
/// the tenant do not matter, so a reviewed plan survives unrelated work. Pure and linear.
public enum PlanFreshness {
    /// Every reason the plan no longer fits the portal, one per object; empty when it may be applied.
    public static func problems(_ plan: Plan, live: LiveState) -> [String] {
        var tags: [String: [String: String]] = [:]
        var managedNames: Set<String> = []
        func index<R: PortalResource>(_ kind: String, _ items: [Tagged<R>]) {
            tags[kind] = Dictionary(items.map { ($0.resource.id, $0.etag) }, uniquingKeysWith: { first, _ in first })
        }
        func names<R: OwnedResource>(_ kind: String, _ items: [Tagged<R>]) {
            index(kind, items)
            for item in items where item.resource.managedBy == Ownership.roomkeeper {
                if let name = item.resource.manifestName { managedNames.insert("\(kind)/\(name)") }
            }
        }
        index("Room", live.rooms)
        index("Device", live.devices)
        names("RoomGroup", live.roomGroups)
        names("Role", live.roles)
        names("RoleAssignment", live.roleAssignments)
        names("UpdateRing", live.updateRings)

        var problems: [String] = []
        for action in plan.actions {
            let target = action.target
            if action.type == .create {
                if managedNames.contains(target.description) || action.payload?.objectId.flatMap({ tags[target.kind]?[$0] }) != nil {
                    problems.append("\(target) now exists in the portal; the plan would create it again")
                }
                continue
            }
            guard let id = target.portalId, let planned = action.fingerprint else { continue }
            guard let current = tags[target.kind]?[id] else {
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

extension ActionPayload {
    /// The id of the object the payload carries.
    var objectId: String? {
        switch self {
        case .roomGroup(let object): object.id
        case .role(let object): object.id
        case .roleAssignment(let object): object.id
        case .updateRing(let object): object.id
        case .updateRingId: nil
        }
    }
}
