import PortalModel

/// Turns documents that passed the shape check into typed manifests.
///
/// Runs only on checked documents, so a value of the wrong type cannot occur here; where one
/// does anyway, the field is treated as absent rather than trusted.
enum ManifestDecoder {
    static func decode(_ document: YAMLNode, kind: ManifestKind) -> Manifest? {
        guard let metadataNode = document["metadata"], let spec = document["spec"],
              let name = metadataNode.located("name")
        else { return nil }
        let metadata = ManifestMetadata(
            name: name, labels: metadataNode.stringMap("labels"), previousNames: metadataNode.locatedList("previousNames"),
            protected: metadataNode.bool("protected") ?? false)
        switch kind {
        case .roomGroup:
            let selector = spec["selector"].map { selector in
                RoomSelector(
                    location: Dictionary(
                        uniqueKeysWithValues: LocationPart.allCases.compactMap { part in
                            selector["location"]?.string(part.rawValue).map { (part, $0) }
                        }),
                    labels: selector.stringMap("labels"), roomList: selector.located("roomList"))
            }
            return .roomGroup(RoomGroup(
                metadata: metadata, displayName: spec.string("displayName") ?? "", description: spec.string("description"),
                rooms: spec.locatedList("rooms"), selector: selector))
        case .role:
            let permissions = spec.list("permissions").compactMap { node in
                node.text.flatMap(Permission.init(rawValue:)).map { Located($0, at: node.location) }
            }
            return .role(Role(
                metadata: metadata, displayName: spec.string("displayName") ?? "", description: spec.string("description"),
                permissions: permissions))
        case .roleAssignment:
            guard let role = spec.located("role") else { return nil }
            let reference: RoleReference =
                BuiltInRole(reference: role.value).map(RoleReference.builtIn) ?? .custom(name: role.value)
            let members = spec.list("members").compactMap { node -> Located<AssignmentMember>? in
                if let user = node.string("user") { return Located(.user(user), at: node.location) }
                if let group = node.string("group") { return Located(.group(group), at: node.location) }
                return nil
            }
            let scopeNode = spec["scope"]
            let scope = AssignmentScope(
                allRooms: scopeNode?.bool("allRooms") ?? false, roomGroups: scopeNode?.locatedList("roomGroups") ?? [],
                rooms: scopeNode?.locatedList("rooms") ?? [])
            return .roleAssignment(RoleAssignment(
                metadata: metadata, role: Located(reference, at: role.location), displayName: spec.string("displayName") ?? "",
                description: spec.string("description"), emailNotifications: spec.bool("emailNotifications") ?? false,
                members: members, scope: scope))
        case .device:
            guard let room = spec.located("room"), let serial = spec.located("serialNumber"),
                  let type = spec.string("deviceType").flatMap(DeviceType.init(rawValue:))
            else { return nil }
            return .device(Device(
                metadata: metadata, room: room, serialNumber: serial, deviceType: type,
                manufacturer: spec.string("manufacturer"), model: spec.string("model"),
                enrollment: spec.located("enrollment").flatMap { written in
                    DesiredEnrollment(rawValue: written.value).map { Located($0, at: written.location) }
                }))
        case .updateRing:
            guard let orderNode = spec["order"], let order = orderNode.text.flatMap({ Int($0) }) else { return nil }
            return .updateRing(UpdateRing(
                metadata: metadata, displayName: spec.string("displayName") ?? "", description: spec.string("description"),
                order: Located(order, at: orderNode.location), rolloutDays: spec.int("rolloutDays") ?? 0,
                testDays: spec.int("testDays") ?? 0,
                deferralDays: spec.located("deferralDays").flatMap { written in Int(written.value).map { Located($0, at: written.location) } },
                rooms: spec.locatedList("rooms"), roomGroups: spec.locatedList("roomGroups")))
        }
    }

    static func decodePolicy(_ document: YAMLNode) -> RepositoryPolicy {
        let spec = document["spec"]
        func kinds(_ key: String) -> Set<ManifestKind> {
            Set(RepositoryPolicy.manageableKinds.filter { spec?[key]?.bool($0.collectionName) == true })
        }
        let defaults = DeletionGuard()
        let guardNode = spec?["deletionGuard"]
        let ignore = spec?.list("ignore").compactMap { rule -> IgnoreRule? in
            guard let kind = rule.string("kind").flatMap(ManifestKind.init(rawValue:)) else { return nil }
            return IgnoreRule(
                kind: kind, names: rule.locatedList("names").map(\.value), fields: rule.locatedList("fields").map(\.value),
                location: rule.location)
        } ?? []
        let snoozes = spec?.list("snooze").compactMap { entry -> Snooze? in
            guard let target = entry.located("target"), let until = entry.string("until").flatMap(CalendarDay.init) else { return nil }
            return Snooze(target: target, until: until, reason: entry.string("reason") ?? "")
        } ?? []
        return RepositoryPolicy(
            portalKey: spec?["portal"]?.location, prune: kinds("prune"), adopt: kinds("adopt"),
            deletionGuard: DeletionGuard(
                maximumDeletes: guardNode?.int("maxDeletes") ?? defaults.maximumDeletes,
                maximumDeletePercent: guardNode?.int("maxDeletePercent") ?? defaults.maximumDeletePercent),
            ignore: ignore,
            absent: Dictionary(
                uniqueKeysWithValues: RepositoryPolicy.manageableKinds.map { ($0, spec?["absent"]?.locatedList($0.collectionName) ?? []) }
                    .filter { !$0.1.isEmpty }),
            snoozes: snoozes,
            deviceGraceHours: spec?["drift"]?.int("deviceGraceHours") ?? RepositoryPolicy.defaultDeviceGraceHours,
            countDefaultRingDays: spec?["updateRings"]?.bool("countDefaultRingDays") ?? true,
            autopilotGroupTag: spec?["devices"]?.located("autopilotGroupTag"), location: document.location)
    }
}

extension YAMLNode {
    /// The items of the list under `key`; none when it is absent.
    func list(_ key: String) -> Children {
        self[key]?.elements ?? Children(tree: tree, start: 0, count: 0)
    }

    func string(_ key: String) -> String? {
        guard let node = self[key], node.kind == .scalar else { return nil }
        return node.text
    }

    func located(_ key: String) -> Located<String>? {
        guard let node = self[key], node.kind == .scalar, let text = node.text else { return nil }
        return Located(text, at: node.location)
    }

    func locatedList(_ key: String) -> [Located<String>] {
        list(key).compactMap { node in node.text.map { Located($0, at: node.location) } }
    }

    func bool(_ key: String) -> Bool? {
        switch string(key)?.lowercased() {
        case "true": true
        case "false": false
        default: nil
        }
    }

    func int(_ key: String) -> Int? { string(key).flatMap { Int($0) } }

    func stringMap(_ key: String) -> [String: String] {
        guard let node = self[key] else { return [:] }
        var map = [String: String](minimumCapacity: node.entries.count)
        for (name, value) in node.entries {
            if let name = name.text, let value = value.text { map[name] = value }
        }
        return map
    }
}
