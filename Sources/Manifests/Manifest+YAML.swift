/// Manifests as YAML: the inverse of loading, used to write manifests out (export, adopt) and to
/// prove that every kind round-trips. Fields are written in the order of the kind's shape;
/// optional fields at their default are left out.
extension Manifest {
    public var yamlValue: YAMLValue {
        var metadata: [(key: String, value: YAMLValue)] = [("name", .string(self.metadata.name.value))]
        if !self.metadata.labels.isEmpty { metadata.append(("labels", Self.stringMap(self.metadata.labels))) }
        if self.metadata.protected { metadata.append(("protected", .bool(true))) }
        if !self.metadata.previousNames.isEmpty {
            metadata.append(("previousNames", .list(self.metadata.previousNames.map { .string($0.value) })))
        }
        return .mapping([
            ("apiVersion", .string(ManifestKind.apiVersion)),
            ("kind", .string(kind.rawValue)),
            ("metadata", .mapping(metadata)),
            ("spec", .mapping(spec)),
        ])
    }

    private var spec: [(key: String, value: YAMLValue)] {
        var fields = SpecFields()
        switch self {
        case .roomGroup(let group):
            fields.add("displayName", group.displayName)
            fields.add("description", group.description)
            fields.add("rooms", group.rooms.map(\.value))
            if let selector = group.selector {
                var selectorFields = SpecFields()
                let location = LocationPart.allCases.compactMap { part in
                    selector.location[part].map { (key: part.rawValue, value: YAMLValue.string($0)) }
                }
                if !location.isEmpty { selectorFields.entries.append(("location", .mapping(location))) }
                if !selector.labels.isEmpty { selectorFields.entries.append(("labels", Self.stringMap(selector.labels))) }
                if let roomList = selector.roomList { selectorFields.entries.append(("roomList", .string(roomList.value))) }
                fields.entries.append(("selector", .mapping(selectorFields.entries)))
            }
        case .role(let role):
            fields.add("displayName", role.displayName)
            fields.add("description", role.description)
            fields.add("permissions", role.permissions.map(\.value.slug))
        case .roleAssignment(let assignment):
            fields.add("role", assignment.role.value.text)
            fields.add("displayName", assignment.displayName)
            fields.add("description", assignment.description)
            if assignment.emailNotifications { fields.entries.append(("emailNotifications", .bool(true))) }
            fields.entries.append(
                (
                    "members",
                    .list(
                        assignment.members.map { member in
                            switch member.value {
                            case .user(let user): .mapping([("user", .string(user))])
                            case .group(let group): .mapping([("group", .string(group))])
                            }
                        })
                ))
            var scope = SpecFields()
            if assignment.scope.allRooms { scope.entries.append(("allRooms", .bool(true))) }
            scope.add("roomGroups", assignment.scope.roomGroups.map(\.value))
            scope.add("rooms", assignment.scope.rooms.map(\.value))
            fields.entries.append(("scope", .mapping(scope.entries)))
        case .device(let device):
            fields.add("room", device.room.value)
            fields.add("serialNumber", device.serialNumber.value)
            fields.add("deviceType", device.deviceType.rawValue)
            fields.add("manufacturer", device.manufacturer)
            fields.add("model", device.model)
            if let enrollment = device.enrollment { fields.add("enrollment", enrollment.value.rawValue) }
            if let replaced = device.replacesGroupTag { fields.add("replacesGroupTag", replaced) }
        case .updateRing(let ring):
            fields.add("displayName", ring.displayName)
            fields.add("description", ring.description)
            fields.entries.append(("order", .int(ring.order.value)))
            fields.entries.append(("rolloutDays", .int(ring.rolloutDays)))
            fields.entries.append(("testDays", .int(ring.testDays)))
            fields.add("rooms", ring.rooms.map(\.value))
            fields.add("roomGroups", ring.roomGroups.map(\.value))
        }
        return fields.entries
    }

    private static func stringMap(_ map: [String: String]) -> YAMLValue {
        .mapping(map.keys.sorted().map { (key: $0, value: .string(map[$0] ?? "")) })
    }
}

/// Collects spec fields, leaving out absent strings and empty lists.
private struct SpecFields {
    var entries: [(key: String, value: YAMLValue)] = []

    mutating func add(_ key: String, _ value: String?) {
        if let value { entries.append((key, .string(value))) }
    }

    mutating func add(_ key: String, _ values: [String]) {
        if !values.isEmpty { entries.append((key, .list(values.map(YAMLValue.string)))) }
    }
}
