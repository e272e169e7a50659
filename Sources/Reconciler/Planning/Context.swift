import Manifests
import PortalAPI
import PortalModel

/// Indexes over the live state, built once per plan so every lookup is constant time.
struct Context: Sendable {
    private let roomsByLocation: [String: Set<String>]
    private let roomsByLabel: [String: Set<String>]
    private let roleNames: [String: String]
    private let groupNames: [String: String]
    private let ringNames: [String: String]
    /// Object ids by UPN in lower case of the users git names, and UPNs by id of those and of the
    /// users the live assignments hold: a tenant has far more users than either.
    private let userIdsByPrincipalName: [String: String]
    private let principalNames: [String: String]
    /// Directory groups by id; their ids by mail (unique) and by display name (not unique).
    private let directoryGroups: [String: DirectoryGroup]
    private let groupIdsByMail: [String: String]
    private let groupIdsByName: [String: [String]]
    let devices: DeviceIndex
    /// The live rooms, and their positions by id.
    private let liveRooms: [Tagged<PortalRoom>]
    private let roomIndex: [String: Int]
    private let managed: [ManifestKind: Int]
    /// The tenant's directory, when one is connected: its room mailboxes, the rooms of each room
    /// list (by the list's address and by its display name where that is unique), and which of
    /// the users git names have their accounts disabled.
    let hasDirectory: Bool
    /// Whether the directory could list rooms: not in a cloud without Places.
    let directoryListsRooms: Bool
    private let roomMailboxes: Set<String>
    private let roomsByList: [String: Set<String>]
    private let disabledUsers: Set<String>

    /// The indexes `declared` needs: the location parts its selectors use, the users its
    /// assignments name.
    init(live: LiveState, declared: ManifestSet) {
        let principalNames = declared.roleAssignments.flatMap(\.members).compactMap { member -> String? in
            if case .user(let upn) = member.value { upn.lowercasedIfNeeded } else { nil }
        }
        self.init(
            live: live, locationParts: Set(declared.roomGroups.compactMap(\.selector).flatMap(\.location.keys)),
            principalNames: Set(principalNames))
    }

    /// - Parameters:
    ///   - locationParts: the parts of a room's location that selectors use: only those are indexed.
    ///   - principalNames: the UPNs (in lower case) git names: only those users are looked up by name.
    init(live: LiveState, locationParts: Set<LocationPart>, principalNames named: Set<String>) {
        // The users, a tenant's most objects, are indexed while the rooms are.
        let (people, rooms) = inParallel({ People(live: live, named: named) }, { Rooms(live: live, locationParts: locationParts) })
        hasDirectory = live.directory != nil
        directoryListsRooms = live.directory?.cloud.places ?? false
        roomMailboxes = rooms.mailboxes
        roomsByList = rooms.byList
        userIdsByPrincipalName = people.userIds
        principalNames = people.principalNames
        disabledUsers = people.disabled
        liveRooms = live.rooms
        roomIndex = rooms.index
        roomsByLocation = rooms.byLocation
        roomsByLabel = rooms.byLabel
        func logicalName(_ managedBy: String?, _ manifest: String?, _ id: String) -> String {
            managedBy == Ownership.roomkeeper ? (manifest ?? "portal:\(id)") : "portal:\(id)"
        }
        roleNames = Dictionary(
            live.roles.map { role in
                (
                    role.resource.id,
                    role.resource.isBuiltIn
                        ? BuiltInRole.referencePrefix + role.resource.id
                        : logicalName(role.resource.managedBy, role.resource.manifestName, role.resource.id)
                )
            }, uniquingKeysWith: { first, _ in first })
        groupNames = Dictionary(
            live.roomGroups.map { ($0.resource.id, logicalName($0.resource.managedBy, $0.resource.manifestName, $0.resource.id)) },
            uniquingKeysWith: { first, _ in first })
        ringNames = Dictionary(
            live.updateRings.map { ring in
                (
                    ring.resource.id,
                    ring.resource.isDefault
                        ? ring.resource.id : logicalName(ring.resource.managedBy, ring.resource.manifestName, ring.resource.id)
                )
            }, uniquingKeysWith: { first, _ in first })
        let groups = live.groups.map(\.resource)
        directoryGroups = Dictionary(groups.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        groupIdsByMail = Dictionary(
            groups.compactMap { group in group.mail.map { ($0.lowercased(), group.id) } }, uniquingKeysWith: { first, _ in first })
        groupIdsByName = Dictionary(grouping: groups, by: { $0.displayName.lowercased() }).mapValues { $0.map(\.id).sorted() }
        devices = DeviceIndex(live.devices)
        var managed: [ManifestKind: Int] = [:]
        managed[.roomGroup] = live.roomGroups.filter { $0.resource.managedBy == Ownership.roomkeeper }.count
        managed[.role] = live.roles.filter { $0.resource.managedBy == Ownership.roomkeeper }.count
        managed[.roleAssignment] = live.roleAssignments.filter { $0.resource.managedBy == Ownership.roomkeeper }.count
        managed[.updateRing] = live.updateRings.filter { $0.resource.managedBy == Ownership.roomkeeper }.count
        self.managed = managed
    }

    /// The rooms by id, by location and by label; the room mailboxes, and the rooms of each
    /// room list by the list's address and by its display name where no other list has it.
    private struct Rooms: Sendable {
        var index: [String: Int]
        var byLocation: [String: Set<String>] = [:]
        var byLabel: [String: Set<String>] = [:]
        var mailboxes: Set<String>
        var byList: [String: Set<String>] = [:]

        init(live: LiveState, locationParts: Set<LocationPart>) {
            index = Dictionary(live.rooms.indices.map { (live.rooms[$0].resource.id, $0) }, uniquingKeysWith: { first, _ in first })
            for room in live.rooms.map(\.resource) {
                let location = room.location
                for part in locationParts {
                    guard let value = location[part] else { continue }
                    byLocation[Context.locationKey(part, value), default: []].insert(room.id)
                }
                for (key, value) in room.labels { byLabel["\(key)=\(value)", default: []].insert(room.id) }
            }
            let directory = live.directory
            mailboxes = Set(directory?.rooms.map(\.email) ?? [])
            for room in directory?.rooms ?? [] {
                for list in room.roomLists { byList[list, default: []].insert(room.email) }
            }
            let lists = directory?.roomLists ?? []
            for (name, named) in Dictionary(grouping: lists, by: { $0.displayName.lowercased() }) where named.count == 1 {
                byList[name] = byList[named[0].email] ?? []
            }
            for list in lists where byList[list.email] == nil { byList[list.email] = [] }
        }
    }

    /// The users git names (by UPN in lower case) and those live assignments hold.
    private struct People: Sendable {
        var userIds: [String: String] = [:]
        var principalNames: [String: String] = [:]
        var disabled: Set<String> = []

        init(live: LiveState, named: Set<String>) {
            let heldUserIds = Set(live.roleAssignments.flatMap { $0.resource.members.filter { $0.kind == .user }.map(\.id) })
            for tagged in live.users {
                let user = tagged.resource
                let upn = user.userPrincipalName.lowercasedIfNeeded
                let isNamed = named.contains(upn)
                if isNamed, userIds[upn] == nil {
                    userIds[upn] = user.id
                    if user.accountEnabled == false { disabled.insert(user.id) }
                }
                if isNamed || heldUserIds.contains(user.id), principalNames[user.id] == nil { principalNames[user.id] = user.userPrincipalName }
            }
        }
    }

    func roomExists(_ id: String) -> Bool { roomIndex[id] != nil }
    func room(_ id: String) -> Tagged<PortalRoom>? { roomIndex[id].map { liveRooms[$0] } }

    /// How a location value is indexed and looked up: countries by ISO code, whichever way they
    /// are written; everything else in lower case.
    private static func locationKey(_ part: LocationPart, _ value: String) -> String {
        "\(part.rawValue)=\(part == .country ? Country.key(value) : value.lowercasedIfNeeded)"
    }

    /// Rooms matching every part of a selector, by intersecting per-value indexes.
    func rooms(matching selector: RoomSelector) -> Set<String> {
        var result: Set<String>?
        for (part, value) in selector.location {
            let matches = roomsByLocation[Self.locationKey(part, value)] ?? []
            result = result.map { $0.intersection(matches) } ?? matches
        }
        for (key, value) in selector.labels {
            let matches = roomsByLabel["\(key)=\(value)"] ?? []
            result = result.map { $0.intersection(matches) } ?? matches
        }
        if let list = selector.roomList {
            let matches = (roomsByList[list.value.lowercased()] ?? []).filter { roomIndex[$0] != nil }
            result = result.map { $0.intersection(matches) } ?? matches
        }
        return result ?? []
    }

    /// Whether the directory has a room list with this address or display name.
    func roomListExists(_ name: String) -> Bool { roomsByList[name.lowercased()] != nil }

    /// Whether the directory lists this address as a room mailbox (Places).
    func isRoomMailbox(_ address: String) -> Bool { roomMailboxes.contains(address.lowercasedIfNeeded) }

    /// Whether the directory says this user's account is disabled.
    func isDisabled(userId: String) -> Bool { disabledUsers.contains(userId) }

    /// Whether the directory says this group is not security-enabled.
    func isNotSecurityGroup(_ id: String) -> Bool { directoryGroups[id]?.securityEnabled == false }

    /// The name git knows a role by: `builtin:site-lead`, a manifest name, or `portal:<id>` for hand-made ones.
    func roleName(_ id: String) -> String { roleNames[id] ?? "portal:\(id)" }
    func groupName(_ id: String) -> String { groupNames[id] ?? "portal:\(id)" }
    func ringName(_ id: String) -> String { ringNames[id] ?? "portal:\(id)" }
    func ringExists(_ name: String) -> Bool { ringNames.values.contains(name) }
    /// The directory object id of the user with this UPN: what an assignment stores, so a
    /// renamed UPN changes nothing in the portal.
    func userId(principalName upn: String) -> String? { userIdsByPrincipalName[upn.lowercasedIfNeeded] }
    /// The directory groups a manifest's `group:` may mean: the group with that id, else the one
    /// with that mail, else every group with that display name. Display names are not unique in
    /// Entra ID, so more than one is an ambiguity a person must resolve, never a guess.
    func groupIds(named name: String) -> [String] {
        if directoryGroups[name] != nil { return [name] }
        if let id = groupIdsByMail[name.lowercased()] { return [id] }
        return groupIdsByName[name.lowercased()] ?? []
    }

    /// `Display name <mail> (id)`, for messages that must tell groups apart.
    func groupDescription(_ id: String) -> String {
        guard let group = directoryGroups[id] else { return id }
        return group.displayName + (group.mail.map { " <\($0)>" } ?? "") + " (\(id))"
    }
    func managedCount(_ kind: ManifestKind) -> Int { managed[kind] ?? 0 }

    /// A member as plans show it: `user:<upn>` (the id when the directory no longer has the
    /// user) or `group:<id>`.
    func memberName(_ member: PortalMember) -> String {
        switch member.kind {
        case .user: "user:\(principalNames[member.id] ?? member.id)"
        case .group: "group:\(member.id)"
        }
    }
}

/// Live devices by serial number, to match declared ones by manufacturer and serial number.
struct DeviceIndex: Sendable {
    private let devices: [Tagged<PortalDevice>]
    /// Positions in `devices` by serial number in upper case.
    private let bySerial: [String: [Int]]

    init(_ devices: [Tagged<PortalDevice>]) {
        self.devices = devices
        bySerial = Dictionary(grouping: devices.indices, by: { devices[$0].resource.serialNumber.uppercasedIfNeeded })
    }

    /// The live devices a manifest's device may be: those with its serial number, and its
    /// manufacturer when both sides name one. More than one is an ambiguity to report, never a match.
    func matches(_ device: Device) -> [Tagged<PortalDevice>] {
        let candidates = (bySerial[device.serialNumber.value.uppercasedIfNeeded] ?? []).map { devices[$0] }
        guard let manufacturer = device.manufacturer?.lowercasedIfNeeded, !manufacturer.isEmpty else { return candidates }
        return candidates.filter { ($0.resource.manufacturer ?? "").isEmpty || $0.resource.manufacturer?.lowercasedIfNeeded == manufacturer }
    }
}

extension RoomLocation {
    /// One part of the location, by the name selectors give it.
    subscript(part: LocationPart) -> String? {
        switch part {
        case .country: country
        case .state: state
        case .city: city
        case .campus: campus
        case .building: building
        case .floor: floor
        }
    }
}
