import PortalModel

/// Checks that span manifests: unique names, references that resolve, and the portal's own
/// rules (built-in roles are not declared, ring orders and the 60-day budget, one ring per room,
/// one device per manufacturer and serial number, one main unit per room). Runs on typed manifests, in time linear in their number.
public enum ManifestValidator {
    public static func validate(_ set: ManifestSet) -> [Diagnostic] {
        // The devices, a tenant's most manifests, are checked while the rest is.
        let (devices, others) = inParallel({ checkDevices(set.devices) }, { (before: checksBeforeDevices(set), after: checksAfterDevices(set)) })
        return others.before + devices + others.after
    }

    private static func checksBeforeDevices(_ set: ManifestSet) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        diagnostics += uniqueNames(set.roomGroups, kind: .roomGroup)
        diagnostics += uniqueNames(set.roles, kind: .role)
        diagnostics += uniqueNames(set.roleAssignments, kind: .roleAssignment)
        diagnostics += uniqueNames(set.devices, kind: .device)
        diagnostics += uniqueNames(set.updateRings, kind: .updateRing)
        diagnostics += uniqueDisplayNames(set.roomGroups.map { ($0.displayName, $0.metadata.name) }, kind: .roomGroup)
        diagnostics += uniqueDisplayNames(set.roles.map { ($0.displayName, $0.metadata.name) }, kind: .role)
        diagnostics += uniqueDisplayNames(set.updateRings.map { ($0.displayName, $0.metadata.name) }, kind: .updateRing)
        diagnostics += set.roomGroups.flatMap(checkRoomGroup)
        diagnostics += set.roles.flatMap(checkRole)
        diagnostics += checkRoleAssignments(set)
        diagnostics += checkUpdateRings(set)
        return diagnostics
    }

    private static func checksAfterDevices(_ set: ManifestSet) -> [Diagnostic] {
        checkPolicy(set.policy) + declaredAbsent(set)
    }

    // MARK: - Names

    /// An object cannot be both declared and declared absent.
    private static func declaredAbsent(_ set: ManifestSet) -> [Diagnostic] {
        guard !set.policy.absent.isEmpty else { return [] }
        var declared: [ManifestKind: [String: Located<String>]] = [:]
        for manifest in set.all { declared[manifest.kind, default: [:]][manifest.metadata.name.value] = manifest.metadata.name }
        return set.policy.absent.sorted { $0.key.rawValue < $1.key.rawValue }.flatMap { kind, names in
            names.compactMap { name -> Diagnostic? in
                guard let manifest = declared[kind]?[name.value] else { return nil }
                return .error(
                    "\(kind.rawValue) '\(name.value)' is listed as absent and declared", at: name.location,
                    hint: "remove it from absent in roomkeeper.yaml to keep it, or delete its manifest to delete it",
                    notes: manifest.location.map { [.init("declared here", at: $0)] } ?? [])
            }
        }
    }

    /// Names are unique per kind, previous names included: a previous name may not be another
    /// manifest's name, or two objects would claim one portal object.
    ///
    /// Objects are visited by index and names remembered by position, not copied: this runs over
    /// tens of thousands of manifests on every load.
    private static func uniqueNames<Object: DeclaredObject>(_ objects: [Object], kind: ManifestKind) -> [Diagnostic] {
        func name(at site: NameSite) -> Located<String> {
            site.previous < 0 ? objects[site.object].metadata.name : objects[site.object].metadata.previousNames[site.previous]
        }
        var first: [String: NameSite] = [:]
        first.reserveCapacity(objects.count)
        var diagnostics: [Diagnostic] = []
        for object in objects.indices {
            for previous in -1..<objects[object].metadata.previousNames.count {
                let site = NameSite(object: object, previous: previous)
                let value = previous < 0 ? objects[object].metadata.name.value : objects[object].metadata.previousNames[previous].value
                guard let earlier = first.updateValue(site, forKey: value) else { continue }
                first[value] = earlier
                let location = name(at: earlier).location
                diagnostics.append(
                    .error(
                        "duplicate \(kind.rawValue) name '\(value)'", at: name(at: site).location,
                        hint: "names are unique per kind; rename one of them",
                        notes: location.map { [.init("first declared here", at: $0)] } ?? []))
            }
        }
        return diagnostics
    }

    /// A name's place: its object, and -1 for the current name or the index of a previous one.
    private struct NameSite {
        var object: Int
        var previous: Int
    }

    private static func uniqueDisplayNames(_ entries: [(String, Located<String>)], kind: ManifestKind) -> [Diagnostic] {
        var first: [String: Located<String>] = [:]
        var diagnostics: [Diagnostic] = []
        for (displayName, name) in entries {
            let key = displayName.lowercasedIfNeeded
            if let earlier = first[key] {
                diagnostics.append(
                    .error(
                        "\(kind.rawValue) '\(name.value)' has the same displayName as '\(earlier.value)': '\(displayName.truncatedForMessage)'",
                        at: name.location, hint: "people pick objects by display name in the portal; make it unique",
                        notes: earlier.location.map { [.init("'\(earlier.value)' declared here", at: $0)] } ?? []))
            } else {
                first[key] = name
            }
        }
        return diagnostics
    }

    // MARK: - Kinds

    private static func checkRoomGroup(_ group: RoomGroup) -> [Diagnostic] {
        let selectorIsEmpty = group.selector.map { $0.location.isEmpty && $0.labels.isEmpty && $0.roomList == nil } ?? true
        guard group.rooms.isEmpty && selectorIsEmpty else { return [] }
        return [
            .error(
                "RoomGroup '\(group.metadata.name.value)' has neither rooms nor a selector", at: group.metadata.name.location,
                hint: "list rooms under 'spec.rooms', or select them with 'spec.selector'")
        ]
    }

    private static func checkRole(_ role: Role) -> [Diagnostic] {
        let name = role.metadata.name
        if let builtIn = BuiltInRole(rawValue: name.value)
            ?? BuiltInRole.allCases.first(where: { $0.displayName.lowercased() == role.displayName.lowercased() })
        {
            return [
                .error(
                    "'\(builtIn.displayName)' is a built-in role and cannot be declared or changed", at: name.location,
                    hint: "assign it with 'role: \(builtIn.reference)' in a RoleAssignment; declare custom roles under other names")
            ]
        }
        var seen: Set<Permission> = []
        return role.permissions.compactMap { permission in
            seen.insert(permission.value).inserted
                ? nil
                : .error("permission '\(permission.value.slug)' is listed twice", at: permission.location, hint: "remove one")
        }
    }

    private static func checkRoleAssignments(_ set: ManifestSet) -> [Diagnostic] {
        let roleNames = Set(set.roles.map(\.metadata.name.value))
        let groupNames = Set(set.roomGroups.map(\.metadata.name.value))
        var diagnostics: [Diagnostic] = []
        /// Assignments are named within their role.
        struct RoleDisplayName: Hashable {
            var role: RoleReference
            var displayName: String
        }
        var displayNames: [RoleDisplayName: Located<String>] = [:]
        displayNames.reserveCapacity(set.roleAssignments.count)
        for assignment in set.roleAssignments {
            let role = assignment.role
            switch role.value {
            case .builtIn(.teamsRoomsProManager) where !assignment.scope.allRooms:
                // "The assignment will apply to all rooms and room groups": the portal's Pro Manager
                // wizard has no scope step (learn.microsoft.com/microsoftteams/rooms/enrolling-mtrp-managed-service).
                diagnostics.append(
                    .error(
                        "a Teams Rooms Pro Manager assignment applies to all rooms and room groups; it cannot be scoped",
                        at: (assignment.scope.roomGroups.first ?? assignment.scope.rooms.first)?.location ?? role.location,
                        hint: "set scope: {allRooms: true}, or give these rooms a custom role or builtin:site-lead instead"))
            case .builtIn:
                break
            case .custom(let name) where name.hasPrefix(BuiltInRole.referencePrefix):
                let builtIns = BuiltInRole.allCases.map(\.reference)
                diagnostics.append(
                    .error(
                        "unknown built-in role '\(name.truncatedForMessage)'", at: role.location,
                        hint: Suggestion.hint(for: name, in: builtIns) ?? "built-in roles: \(builtIns.joined(separator: ", "))"))
            case .custom(let name) where !roleNames.contains(name):
                diagnostics.append(
                    .error(
                        "role '\(name.truncatedForMessage)' is not declared", at: role.location,
                        hint: Suggestion.hint(for: name, in: roleNames.union(BuiltInRole.allCases.map(\.reference)))
                            ?? "declare a Role named '\(name.truncatedForMessage)', or use a built-in role such as builtin:site-lead"))
            case .custom:
                break
            }
            diagnostics += unresolved(assignment.scope.roomGroups, among: groupNames, field: "scope.roomGroups")
            let scope = assignment.scope
            let name = assignment.metadata.name
            if scope.allRooms && !(scope.roomGroups.isEmpty && scope.rooms.isEmpty) {
                diagnostics.append(
                    .error(
                        "RoleAssignment '\(name.value)' scope has allRooms: true and a list of room groups or rooms", at: name.location,
                        hint: "use allRooms: true alone, or list room groups and rooms without it"))
            } else if !scope.allRooms && scope.roomGroups.isEmpty && scope.rooms.isEmpty {
                diagnostics.append(
                    .error(
                        "RoleAssignment '\(name.value)' scope is empty", at: name.location,
                        hint: "set 'allRooms: true', or list 'roomGroups' and/or 'rooms'"))
            }
            // An assignment has a handful of members: compared pairwise, without a table.
            let memberKeys = assignment.members.map { member -> AssignmentMember in
                switch member.value {
                case .user(let user): .user(user.lowercasedIfNeeded)
                case .group(let group): .group(group.lowercasedIfNeeded)
                }
            }
            for (position, key) in memberKeys.enumerated() {
                guard let first = memberKeys[..<position].firstIndex(of: key) else { continue }
                diagnostics.append(
                    .error(
                        "member is listed twice in RoleAssignment '\(name.value)'", at: assignment.members[position].location,
                        hint: "remove one", notes: assignment.members[first].location.map { [.init("first listed here", at: $0)] } ?? []))
            }
            let displayKey = RoleDisplayName(role: role.value, displayName: assignment.displayName.lowercasedIfNeeded)
            if let earlier = displayNames[displayKey] {
                diagnostics.append(
                    .error(
                        "RoleAssignment '\(name.value)' has the same displayName as '\(earlier.value)' for the same role",
                        at: name.location, hint: "the portal names assignments within a role; make the displayName unique",
                        notes: earlier.location.map { [.init("'\(earlier.value)' declared here", at: $0)] } ?? []))
            } else {
                displayNames[displayKey] = name
            }
        }
        return diagnostics
    }

    private static func checkUpdateRings(_ set: ManifestSet) -> [Diagnostic] {
        let groupNames = Set(set.roomGroups.map(\.metadata.name.value))
        let groupRooms = Dictionary(set.roomGroups.map { ($0.metadata.name.value, $0.rooms) }, uniquingKeysWith: { first, _ in first })
        var diagnostics: [Diagnostic] = []
        var orders: [Int: Located<String>] = [:]
        var ringOfRoom: [String: (ring: String, location: SourceLocation?)] = [:]
        for ring in set.updateRings {
            let name = ring.metadata.name
            if let defaultRing = DefaultUpdateRing(rawValue: name.value)
                ?? DefaultUpdateRing.allCases.first(where: { $0.displayName.lowercased() == ring.displayName.lowercased() })
            {
                diagnostics.append(
                    .error(
                        "'\(defaultRing.displayName)' is a default update ring and cannot be declared", at: name.location,
                        hint: "rooms not in a custom ring stay in General; give custom rings other names"))
            }
            if let earlier = orders[ring.order.value] {
                diagnostics.append(
                    .error(
                        "UpdateRing '\(name.value)' has order \(ring.order.value), as '\(earlier.value)' has", at: ring.order.location,
                        hint: "each ring needs its own position from 1 to 9",
                        notes: earlier.location.map { [.init("'\(earlier.value)' declared here", at: $0)] } ?? []))
            } else {
                orders[ring.order.value] = name
            }
            diagnostics += unresolved(ring.roomGroups, among: groupNames, field: "roomGroups")
            let viaGroups = ring.roomGroups.flatMap { group in
                (groupRooms[group.value] ?? []).map { Located($0.value, at: group.location) }
            }
            for room in ring.rooms + viaGroups {
                let key = room.value.lowercasedIfNeeded
                if let other = ringOfRoom[key], other.ring != name.value {
                    diagnostics.append(
                        .error(
                            "room '\(room.value)' is in UpdateRing '\(name.value)' and in '\(other.ring)'", at: room.location,
                            hint: "a room is in exactly one update ring; remove it from one of them",
                            notes: other.location.map { [.init("'\(other.ring)' takes it here", at: $0)] } ?? []))
                } else if ringOfRoom[key] == nil {
                    ringOfRoom[key] = (name.value, room.location)
                }
            }
        }
        for ring in set.updateRings {
            guard let deferral = ring.deferralDays else { continue }
            // "The delay in days before the update is initiated on this ring": the portal works it out
            // from the rings before (learn.microsoft.com/microsoftteams/rooms/update-management).
            diagnostics.append(
                .warning(
                    "UpdateRing '\(ring.metadata.name.value)' declares deferralDays: \(deferral.value), which is ignored: the portal derives it from the rings before this one",
                    at: deferral.location, hint: "remove 'deferralDays'; the portal shows the deferment it derives"))
        }
        let defaultDays = set.policy.countDefaultRingDays ? DefaultUpdateRing.totalDays : 0
        let totalDays = set.updateRings.reduce(defaultDays) { $0 + $1.rolloutDays + $1.testDays }
        if totalDays > UpdateRingLimits.maximumTotalDays, let last = set.updateRings.last {
            let defaults = defaultDays == 0 ? "" : " (\(defaultDays) of them the default rings')"
            diagnostics.append(
                .error(
                    "update rings add up to \(totalDays) days of rollout and test\(defaults); the portal allows \(UpdateRingLimits.maximumTotalDays)",
                    at: last.metadata.name.location,
                    hint: defaultDays == 0
                        ? "shorten rolloutDays or testDays"
                        : "shorten rolloutDays or testDays; if your tenant does not count the default rings, set updateRings.countDefaultRingDays: false in roomkeeper.yaml",
                    notes: set.updateRings.compactMap { ring in
                        ring.metadata.name.location.map {
                            .init("'\(ring.metadata.name.value)': \(ring.rolloutDays) + \(ring.testDays) days", at: $0)
                        }
                    }))
        }
        return diagnostics
    }

    /// A device is declared once per manufacturer and serial number (serial numbers alone are not
    /// unique across makers); a room has one main unit, which carries its enrollment; the
    /// `enrollment` of any other device is ignored with a warning: peripherals never enroll, and
    /// a Teams panel enrolls itself.
    private static func checkDevices(_ devices: [Device]) -> [Diagnostic] {
        // Devices are remembered by index, not copied: there are tens of thousands of them.
        var firstWithIdentity: [HardwareIdentity: Int] = [:]
        var unitOfRoom: [String: Int] = [:]
        firstWithIdentity.reserveCapacity(devices.count)
        unitOfRoom.reserveCapacity(devices.count)
        var diagnostics: [Diagnostic] = []
        for index in devices.indices {
            let identity = HardwareIdentity(manufacturer: devices[index].manufacturer, serialNumber: devices[index].serialNumber.value)
            if let earlier = firstWithIdentity.updateValue(index, forKey: identity) {
                firstWithIdentity[identity] = earlier
                diagnostics.append(
                    .error(
                        "\(identity) is declared by Device '\(devices[earlier].metadata.name.value)' too", at: devices[index].serialNumber.location,
                        hint: "each physical device is declared once; if these are two devices, give each its manufacturer",
                        notes: devices[earlier].serialNumber.location.map { [.init("first declared here", at: $0)] } ?? []))
            }
            if devices[index].isRoomUnit {
                let room = devices[index].room.value.lowercasedIfNeeded
                if let earlier = unitOfRoom.updateValue(index, forKey: room) {
                    unitOfRoom[room] = earlier
                    let device = devices[index]
                    let earlierName = devices[earlier].metadata.name
                    diagnostics.append(
                        .error(
                            "room '\(device.room.value.truncatedForMessage)' has two main units: '\(earlierName.value)' and '\(device.metadata.name.value)'",
                            at: device.room.location,
                            hint:
                                "a room has one main unit (teamsRoom, collaborationBar or surfaceHub); declare the others as peripherals or in their own rooms",
                            notes: earlierName.location.map { [.init("'\(earlierName.value)' declared here", at: $0)] } ?? []))
                }
            } else if let enrollment = devices[index].enrollment {
                let device = devices[index]
                let what =
                    device.deviceType == .teamsPanel
                    ? "a Teams panel, which enrolls itself once signed in and does not carry its room's enrollment"
                    : "a \(device.deviceType.rawValue), a peripheral: peripherals never enroll"
                diagnostics.append(
                    .warning(
                        "Device '\(device.metadata.name.value)' is \(what), so 'enrollment' is ignored", at: enrollment.location,
                        hint: "remove 'enrollment'; the room enrolls through its main unit (teamsRoom, collaborationBar or surfaceHub)"))
            }
        }
        return diagnostics
    }

    private static func checkPolicy(_ policy: RepositoryPolicy) -> [Diagnostic] {
        // A commit to the repository must never redirect the portal token, so git does not choose the portal.
        let portal = policy.portalKey.map { location in
            Diagnostic.error(
                "roomkeeper.yaml may not choose the portal", at: location,
                hint: "remove 'portal:'; whoever runs Roomkeeper names it with --portal URL or ROOMKEEPER_PORTAL_URL (or --portal embedded)")
        }
        let kinds = ManifestKind.allCases.map(\.rawValue) + ["Room"]
        let snoozes = policy.snoozes.compactMap { snooze -> Diagnostic? in
            let parts = snooze.target.value.split(separator: "/", maxSplits: 1)
            guard parts.count == 2, kinds.contains(String(parts[0])), !parts[1].isEmpty else {
                return .error(
                    "snooze target '\(snooze.target.value.truncatedForMessage)' is not KIND/NAME", at: snooze.target.location,
                    hint: "copy the target from the drift report, e.g. RoomGroup/london-floor-3; kinds: \(kinds.joined(separator: ", "))")
            }
            return nil
        }
        // The Teams Rooms Autopilot profile is assigned by a group tag starting MTR-
        // (learn.microsoft.com/microsoftteams/rooms/autopilot-autologin).
        let groupTag = policy.autopilotGroupTag.flatMap { tag -> Diagnostic? in
            tag.value.uppercased().hasPrefix("MTR-") && tag.value.count > 4
                ? nil
                : .error(
                    "devices.autopilotGroupTag '\(tag.value.truncatedForMessage)' does not start with MTR-", at: tag.location,
                    hint: "the Teams Rooms Autopilot profile, and with it Autologin, applies to group tags starting with MTR-, e.g. MTR-contoso")
        }
        return Array(portal.map { [$0] } ?? []) + Array(groupTag.map { [$0] } ?? []) + snoozes
            + policy.ignore.flatMap { rule -> [Diagnostic] in
                let known = rule.kind.specShape.fields.map(\.name)
                return rule.fields.filter { !known.contains($0) }.map { field in
                    .error(
                        "ignore rule names '\(field.truncatedForMessage)', which is not a \(rule.kind.rawValue) spec field",
                        at: rule.location,
                        hint: Suggestion.hint(for: field, in: known) ?? "\(rule.kind.rawValue) fields: \(known.joined(separator: ", "))")
                }
            }
    }

    private static func unresolved(_ references: [Located<String>], among names: Set<String>, field: String) -> [Diagnostic] {
        references.filter { !names.contains($0.value) }.map { reference in
            .error(
                "room group '\(reference.value)' in '\(field)' is not declared", at: reference.location,
                hint: Suggestion.hint(for: reference.value, in: names) ?? "declare a RoomGroup named '\(reference.value)'")
        }
    }
}
