import PortalModel

/// Turns documents that passed the shape check into typed manifests.
///
/// Runs only on checked documents, so a value of the wrong type cannot occur here; where one
/// does anyway, the field is treated as absent rather than trusted. Nodes are read by index
/// through the tree's borrowed storage: tens of thousands of documents are decoded per load,
/// and a node read this way is neither copied nor reference-counted.
struct ManifestDecoder {
    private let storage: YAMLTree.Storage
    private let file: String

    static func decode(_ document: YAMLNode, kind: ManifestKind) -> Manifest? {
        document.tree.withStorage { ManifestDecoder(storage: $0, file: document.tree.file).decode(document.index, kind: kind) }
    }

    static func decodePolicy(_ document: YAMLNode) -> RepositoryPolicy {
        document.tree.withStorage { ManifestDecoder(storage: $0, file: document.tree.file).decodePolicy(document.index) }
    }

    private func decode(_ document: Int32, kind: ManifestKind) -> Manifest? {
        guard let metadataNode = value(document, "metadata"), let spec = value(document, "spec"),
            let name = located(metadataNode, "name")
        else { return nil }
        let metadata = ManifestMetadata(
            name: name, labels: stringMap(metadataNode, "labels"), previousNames: locatedList(metadataNode, "previousNames"),
            protected: bool(metadataNode, "protected") ?? false)
        switch kind {
        case .roomGroup:
            let selector = value(spec, "selector").map { selector in
                let location = entries(value(selector, "location"))
                return RoomSelector(
                    location: Dictionary(
                        uniqueKeysWithValues: LocationPart.allCases.compactMap { part in
                            location[part.rawValue].flatMap(text).map { (part, $0) }
                        }),
                    labels: stringMap(selector, "labels"), roomList: located(selector, "roomList"))
            }
            return .roomGroup(
                RoomGroup(
                    metadata: metadata, displayName: string(spec, "displayName") ?? "", description: string(spec, "description"),
                    rooms: locatedList(spec, "rooms"), selector: selector))
        case .role:
            let permissions = items(spec, "permissions").compactMap { node in
                text(node).flatMap(Permission.init(rawValue:)).map { Located($0, at: location(node)) }
            }
            return .role(
                Role(
                    metadata: metadata, displayName: string(spec, "displayName") ?? "", description: string(spec, "description"),
                    permissions: permissions))
        case .roleAssignment:
            guard let role = located(spec, "role") else { return nil }
            let reference: RoleReference =
                BuiltInRole(reference: role.value).map(RoleReference.builtIn) ?? .custom(name: role.value)
            let members = items(spec, "members").compactMap { node -> Located<AssignmentMember>? in
                if let user = string(node, "user") { return Located(.user(user), at: location(node)) }
                if let group = string(node, "group") { return Located(.group(group), at: location(node)) }
                return nil
            }
            let scopeNode = value(spec, "scope")
            let scope = AssignmentScope(
                allRooms: bool(scopeNode, "allRooms") ?? false, roomGroups: locatedList(scopeNode, "roomGroups"),
                rooms: locatedList(scopeNode, "rooms"))
            return .roleAssignment(
                RoleAssignment(
                    metadata: metadata, role: Located(reference, at: role.location), displayName: string(spec, "displayName") ?? "",
                    description: string(spec, "description"), emailNotifications: bool(spec, "emailNotifications") ?? false,
                    members: members, scope: scope))
        case .device:
            guard let room = located(spec, "room"), let serial = located(spec, "serialNumber"),
                let type = string(spec, "deviceType").flatMap(DeviceType.init(rawValue:))
            else { return nil }
            return .device(
                Device(
                    metadata: metadata, room: room, serialNumber: serial, deviceType: type,
                    manufacturer: string(spec, "manufacturer"), model: string(spec, "model"),
                    enrollment: located(spec, "enrollment").flatMap { written in
                        DesiredEnrollment(rawValue: written.value).map { Located($0, at: written.location) }
                    },
                    replacesGroupTag: string(spec, "replacesGroupTag")))
        case .updateRing:
            guard let orderNode = value(spec, "order"), let order = text(orderNode).flatMap({ Int($0) }) else { return nil }
            return .updateRing(
                UpdateRing(
                    metadata: metadata, displayName: string(spec, "displayName") ?? "", description: string(spec, "description"),
                    order: Located(order, at: location(orderNode)), rolloutDays: int(spec, "rolloutDays") ?? 0,
                    testDays: int(spec, "testDays") ?? 0,
                    deferralDays: located(spec, "deferralDays").flatMap { written in Int(written.value).map { Located($0, at: written.location) } },
                    rooms: locatedList(spec, "rooms"), roomGroups: locatedList(spec, "roomGroups")))
        }
    }

    private func decodePolicy(_ document: Int32) -> RepositoryPolicy {
        let spec = value(document, "spec")
        func kinds(_ key: StaticString) -> Set<ManifestKind> {
            let switches = entries(value(spec, key))
            return Set(RepositoryPolicy.manageableKinds.filter { switches[$0.collectionName].flatMap(bool) == true })
        }
        let defaults = DeletionGuard()
        let guardNode = value(spec, "deletionGuard")
        let ignore = items(spec, "ignore").compactMap { rule -> IgnoreRule? in
            guard let kind = string(rule, "kind").flatMap(ManifestKind.init(rawValue:)) else { return nil }
            return IgnoreRule(
                kind: kind, names: locatedList(rule, "names").map(\.value), fields: locatedList(rule, "fields").map(\.value),
                location: location(rule))
        }
        let snoozes = items(spec, "snooze").compactMap { entry -> Snooze? in
            guard let target = located(entry, "target"), let until = string(entry, "until").flatMap(CalendarDay.init) else { return nil }
            return Snooze(target: target, until: until, reason: string(entry, "reason") ?? "")
        }
        let absent = entries(value(spec, "absent"))
        return RepositoryPolicy(
            portalKey: value(spec, "portal").map(location), prune: kinds("prune"), adopt: kinds("adopt"),
            deletionGuard: DeletionGuard(
                maximumDeletes: int(guardNode, "maxDeletes") ?? defaults.maximumDeletes,
                maximumDeletePercent: int(guardNode, "maxDeletePercent") ?? defaults.maximumDeletePercent),
            ignore: ignore,
            absent: Dictionary(
                uniqueKeysWithValues: RepositoryPolicy.manageableKinds.map { ($0, absent[$0.collectionName].map(locatedList) ?? []) }
                    .filter { !$0.1.isEmpty }),
            snoozes: snoozes,
            deviceGraceHours: int(value(spec, "drift"), "deviceGraceHours") ?? RepositoryPolicy.defaultDeviceGraceHours,
            countDefaultRingDays: bool(value(spec, "updateRings"), "countDefaultRingDays") ?? true,
            autopilotGroupTag: located(value(spec, "devices"), "autopilotGroupTag"), location: location(document))
    }

    // MARK: - Reading nodes

    /// The value for the scalar key `key` in the mapping `node`; nil when absent or not a mapping.
    private func value(_ node: Int32?, _ key: StaticString) -> Int32? {
        guard let node else { return nil }
        let record = storage[node]
        guard record.kind == .mapping else { return nil }
        let name = UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount)
        let start = Int(record.payload)
        for position in stride(from: start, to: start + Int(record.count), by: 2) {
            let keyRecord = storage[storage.children[position]]
            if keyRecord.kind == .scalar, storage.bytes(of: keyRecord).hasSameBytes(as: name) { return storage.children[position + 1] }
        }
        return nil
    }

    /// The values of the mapping `node` by their keys' text; empty when absent or not a mapping.
    private func entries(_ node: Int32?) -> [String: Int32] {
        guard let node, storage[node].kind == .mapping else { return [:] }
        let record = storage[node]
        var values: [String: Int32] = [:]
        for position in stride(from: Int(record.payload), to: Int(record.payload + record.count), by: 2) {
            if let key = text(storage.children[position]) { values[key] = storage.children[position + 1] }
        }
        return values
    }

    /// A scalar's text; nil for containers.
    private func text(_ node: Int32) -> String? {
        let record = storage[node]
        return record.kind == .scalar ? storage.string(of: record) : nil
    }

    private func location(_ node: Int32) -> SourceLocation {
        let record = storage[node]
        return SourceLocation(file: file, line: Int(record.line), column: Int(record.column))
    }

    /// The items of the list under `key`; none when it is absent or not a list.
    private func items(_ node: Int32?, _ key: StaticString) -> UnsafeBufferPointer<Int32> {
        items(value(node, key))
    }

    /// The items of the list `list`; none when it is absent or not a list.
    private func items(_ list: Int32?) -> UnsafeBufferPointer<Int32> {
        guard let list else { return UnsafeBufferPointer(start: nil, count: 0) }
        let record = storage[list]
        guard record.kind == .sequence else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(rebasing: storage.children[Int(record.payload)..<Int(record.payload) + Int(record.count)])
    }

    private func string(_ node: Int32?, _ key: StaticString) -> String? {
        value(node, key).flatMap(text)
    }

    private func located(_ node: Int32?, _ key: StaticString) -> Located<String>? {
        guard let value = value(node, key), let text = text(value) else { return nil }
        return Located(text, at: location(value))
    }

    private func locatedList(_ node: Int32?, _ key: StaticString) -> [Located<String>] {
        locatedList(value(node, key))
    }

    /// The scalars of the list `list`, where each is written.
    private func locatedList(_ list: Int32?) -> [Located<String>] {
        items(list).compactMap { item in text(item).map { Located($0, at: location(item)) } }
    }

    private func bool(_ node: Int32?, _ key: StaticString) -> Bool? {
        value(node, key).flatMap(bool)
    }

    /// The boolean the scalar `node` reads; the shape check has allowed only true and false.
    private func bool(_ node: Int32) -> Bool? {
        switch text(node)?.lowercased() {
        case "true": true
        case "false": false
        default: nil
        }
    }

    private func int(_ node: Int32?, _ key: StaticString) -> Int? { string(node, key).flatMap { Int($0) } }

    private func stringMap(_ node: Int32?, _ key: StaticString) -> [String: String] {
        guard let map = value(node, key) else { return [:] }
        let record = storage[map]
        guard record.kind == .mapping else { return [:] }
        var strings = [String: String](minimumCapacity: Int(record.count) / 2)
        for position in stride(from: Int(record.payload), to: Int(record.payload + record.count), by: 2) {
            if let name = text(storage.children[position]), let value = text(storage.children[position + 1]) { strings[name] = value }
        }
        return strings
    }
}
