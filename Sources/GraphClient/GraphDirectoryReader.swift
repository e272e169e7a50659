import Foundation
import GraphAPI
import Logging
import PortalAPI
import PortalModel

/// Reads a tenant's directory through Graph and keeps what it read, so that the next read asks
/// only for what changed.
///
/// - Users and groups come from delta queries (learn.microsoft.com/graph/delta-query-overview):
///   the first read walks every page and keeps the `@odata.deltaLink`; later reads follow it and
///   get only the changes. A delta link Graph no longer knows (410 Gone, `syncStateNotFound`)
///   starts a full round again.
/// - Rooms and room lists come from Places, which has no delta and allows four concurrent
///   requests per app; Intune's managed devices and Autopilot's registrations have no delta
///   either: these are read again only once `refreshInterval` has passed. Devices the app may
///   not read (no device permission: 403) are left unread, and device checks are not made.
/// - Licences come from the users' `assignedLicenses` (in the delta rounds), SKU ids named by
///   Microsoft's licensing reference (`LicensingReference`); an id it lacks is named by the
///   tenant's `/subscribedSkus`, read when such an id first appears. Licence details are not
///   available to applications (user-list-licensedetails-permissions: "Application | Not supported").
/// - The holders of the directory roles that reach the portal are read every time (four requests).
///
/// One read at a time: a read that starts while another runs waits for it and shares its result.
///
/// With a `cacheFile`, what a read saw is also kept on disk (`GraphReadState`, in the state
/// folder), so that the next process, a scheduled `drift` for instance, reads by delta too.
/// Rooms and devices kept there are read again once `refreshInterval` has passed, or once five
/// minutes have when the caller looks up a room or serial number they lack.
public actor GraphDirectoryReader {
    public nonisolated let session: GraphSession
    private let refreshInterval: Duration
    private let now: @Sendable () -> Date

    private let cacheFile: URL?
    private let logger: Logger
    /// What the reads so far saw (mutated in place: a copy of 100,000 users per change would be quadratic).
    private var kept = GraphReadState()
    private var loading: Task<GraphReadState?, Never>?
    private var loadedFromDisk = false
    /// Whether `kept` holds something the file lacks (a delta link alone does not count, while
    /// the file's is younger than `linkRefreshSeconds`).
    private var unsaved = false
    /// The read under way, and what it looks up.
    private var inFlight: (task: Task<TenantDirectory, any Error>, lookups: DirectoryLookups)?

    /// `cacheFile`: where to keep what was read between processes; nil keeps it in memory only.
    public init(
        session: GraphSession, refreshInterval: Duration = .seconds(3600), cacheFile: URL? = nil,
        logger: Logger = Logger(label: "roomkeeper.graph"), now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.session = session
        self.logger = logger
        self.refreshInterval = refreshInterval
        self.cacheFile = cacheFile
        self.now = now
    }

    /// The directory as Graph has it now; rooms and devices kept from an earlier read are read
    /// again when they lack one of `lookups`.
    /// A read joins the one under way when that one looks up all it needs; otherwise it waits
    /// for it to end, then reads with its own lookups.
    public func read(lookingUp lookups: DirectoryLookups = DirectoryLookups()) async throws -> TenantDirectory {
        while let inFlight {
            if lookups.isCovered(by: inFlight.lookups) { return try await inFlight.task.value }
            _ = await inFlight.task.result
        }
        // The task runs on this actor, so it starts only once `inFlight` is set, and clears it
        // before a waiting read sees it end.
        let task = Task {
            defer { inFlight = nil }
            return try await readOnce(lookups)
        }
        inFlight = (task, lookups)
        return try await task.value
    }

    /// Users, groups, Places and role holders at once (each walks its own pages); then the
    /// licences, which need to know the room accounts.
    private func readOnce(_ lookups: DirectoryLookups) async throws -> TenantDirectory {
        let requestsBefore = session.counts.requests
        await loadFromDiskOnce()
        async let roleHolders = readRoleHolders()
        async let users: Void = refreshUsers()
        async let groups: Void = refreshGroups()
        async let places = refreshPlaces(lookingUp: lookups.rooms)
        async let devices: Void = refreshDevices(lookingUp: lookups.serialNumbers)
        let (_, _, addresses, _) = try await (users, groups, places, devices)
        let holders = try await throughGroups(try await roleHolders)
        // The directory's users, the most work, are made while the rooms' accounts are found and
        // the rooms made with the licences those hold.
        let (everyone, rooms, named) = (kept.users, kept.places, kept.subscribedPartNumbers)
        let (directoryUsers, (roomAccounts, licensed)) = inParallel(
            { Self.directoryUsers(everyone, roleHolders: holders) },
            {
                let accounts = Self.roomAccounts(of: everyone, addresses: addresses)
                return (accounts, Self.rooms(rooms, accounts: accounts, subscribed: named))
            })
        try await nameUnknownSkus(of: roomAccounts)
        // A SKU named just now changes the licences of the rooms holding it.
        let directoryRooms =
            kept.subscribedPartNumbers == named ? licensed : Self.rooms(rooms, accounts: roomAccounts, subscribed: kept.subscribedPartNumbers)
        let directory = assemble(users: directoryUsers, rooms: directoryRooms)
        await saveToDisk()
        logger.debug(
            "Read the directory through Graph",
            metadata: [
                "requests": "\(session.counts.requests - requestsBefore)", "users": "\(directory.users.count)", "rooms": "\(directory.rooms.count)",
            ])
        return directory
    }

    // MARK: - Kept between processes

    /// Starts reading the state an earlier process kept, so that it loads while the caller does
    /// other work (the manifests load meanwhile).
    public func prefetch() {
        guard loading == nil, !loadedFromDisk, let cacheFile else { return }
        let tenant = tenantKey
        loading = Task { (try? await offCooperativePool { GraphReadState.load(from: cacheFile, tenant: tenant) }) ?? nil }
    }

    /// The state kept in `cacheFile` by an earlier process for this tenant, if any: once, before
    /// the first read. A missing, damaged or foreign file is a cold start, never an error.
    private func loadFromDiskOnce() async {
        guard !loadedFromDisk else { return }
        prefetch()
        guard let loading else { return }
        loadedFromDisk = true
        if let state = await loading.value { kept = state } else { unsaved = true }
    }

    /// How long a kept delta link is trusted unchanged: well inside the seven days Graph honours one.
    static let linkRefreshSeconds: Double = 12 * 3600

    /// Keeps what was read for the next process. A state that cannot be written costs that
    /// process a cold read, nothing more: a warning, never a failed read.
    private func saveToDisk() async {
        guard let cacheFile, unsaved || now().timeIntervalSince(kept.savedAt) > Self.linkRefreshSeconds else { return }
        kept.tenant = tenantKey
        let savedAt = now()
        let state = {
            var state = kept
            state.savedAt = savedAt
            return state
        }()
        do {
            try await offCooperativePool { try state.save(to: cacheFile) }
            kept.savedAt = savedAt
            unsaved = false
        } catch {
            logger.warning(
                "Could not keep the directory read for the next run; it will read Graph in full",
                metadata: [
                    "file": "\(cacheFile.path)", "error": "\(error)",
                ])
        }
    }

    /// Role holders with the roles of role-assignable groups given to the groups' members, who
    /// hold them as much as a user assigned directly does.
    private func throughGroups(_ holders: [String: Set<DirectoryRole>]) async throws -> [String: Set<DirectoryRole>] {
        let groupHolders = holders.filter { kept.groups[$0.key] != nil }
        guard !groupHolders.isEmpty else { return holders }
        var result = holders
        for (group, members) in try await transitiveMembers(ofGroups: Set(groupHolders.keys)) {
            for member in members { result[member, default: []].formUnion(groupHolders[group] ?? []) }
        }
        return result
    }

    // MARK: - Users and groups, by delta

    private func refreshUsers() async throws {
        let start = session.url("/users/delta?$select=\(GraphUser.selected.joined(separator: ","))")
        let (changes, link, full) = try await deltaRound(GraphUser.self, start: start, link: kept.usersDeltaLink)
        if full { kept.users = KeptUsers() }
        unsaved = unsaved || full || !changes.isEmpty
        kept.users.apply(changes, merging: Self.merged)
        kept.usersDeltaLink = link
    }

    private func refreshGroups() async throws {
        let start = session.url("/groups/delta?$select=\(GraphGroup.selected.joined(separator: ","))")
        let (changes, link, full) = try await deltaRound(GraphGroup.self, start: start, link: kept.groupsDeltaLink)
        if full { kept.groups = [:] }
        unsaved = unsaved || full || !changes.isEmpty
        for group in changes {
            kept.groups[group.id] = group.removed == nil ? group : nil
        }
        kept.groupsDeltaLink = link
    }

    /// Delta rounds take no `$top`; this many objects a page are asked for with `Prefer`.
    static let deltaPageSize = 999

    /// A delta round from `link`, or a full one from `start` when there is no link or Graph no
    /// longer knows it. `full` says the changes are the whole collection.
    private func deltaRound<Item: Codable & Sendable>(
        _ item: Item.Type, start: String, link: String?
    ) async throws -> (changes: [Item], link: String?, full: Bool) {
        if let link {
            do {
                let (changes, next) = try await session.list(Item.self, from: link, pageSize: Self.deltaPageSize)
                return (changes, next, false)
            } catch let error as GraphError where error.status == 410 || error.code.lowercased() == "syncstatenotfound" {
                // The delta token expired: start again with a full round.
            }
        }
        let (items, next) = try await session.list(Item.self, from: start, pageSize: Self.deltaPageSize)
        return (items, next, true)
    }

    /// A delta round sends only the properties that changed, with the id: keep the rest.
    private static func merged(_ old: GraphUser?, _ new: GraphUser) -> GraphUser {
        guard let old else { return new }
        return GraphUser(
            id: new.id, userPrincipalName: new.userPrincipalName ?? old.userPrincipalName, displayName: new.displayName ?? old.displayName,
            mail: new.mail ?? old.mail, accountEnabled: new.accountEnabled ?? old.accountEnabled,
            assignedLicenses: new.assignedLicenses ?? old.assignedLicenses)
    }

    // MARK: - Places

    /// Whether something read at `readAt` is still fresh enough to use: for `refreshInterval`, or
    /// when it lacks what the caller looks up, for five minutes (so that an object git names
    /// before it exists costs a re-read per scheduled run, not one per pass of a busy loop).
    private func fresh(_ readAt: Date, complete: Bool = true) -> Bool {
        now().timeIntervalSince(readAt) < (complete ? Double(refreshInterval.components.seconds) : Self.lookupRefreshSeconds)
    }

    public static let lookupRefreshSeconds: Double = 300

    /// Reads Places again when what is kept is stale or lacks a room looked up; returns the
    /// addresses of the rooms kept then, which the caller needs too (made once a read).
    private func refreshPlaces(lookingUp rooms: Set<String>) async throws -> Set<String> {
        if let places = kept.places {
            let addresses = places.addresses
            if fresh(places.readAt, complete: rooms.isSubset(of: addresses)) { return addresses }
        }
        let readAt = now()
        unsaved = true
        // Places exists in the global cloud only (place-list): elsewhere there is nothing to read,
        // and the directory says its rooms are not observable rather than that there are none.
        guard session.tokens.signIn.cloud.offers.places else {
            kept.places = GraphReadState.Places(rooms: [], lists: [], members: [:], readAt: readAt)
            return []
        }
        // Places pages by $skip and gives no next link (see GraphSession.listBySkip).
        async let rooms = session.listBySkip(
            GraphRoom.self, path: "/places/microsoft.graph.room?$select=\(GraphRoom.selected.joined(separator: ","))")
        let lists = try await session.listBySkip(
            GraphRoomList.self, path: "/places/microsoft.graph.roomlist?$select=\(GraphRoomList.selected.joined(separator: ","))")
        let session = session
        let members = try await withThrowingTaskGroup(of: (String, [String]).self) { group in
            for list in lists {
                guard let address = list.emailAddress?.lowercased(), let escaped = Self.pathSegment(address) else { continue }
                group.addTask {
                    let rooms = try await session.listBySkip(
                        GraphRoom.self, path: "/places/\(escaped)/microsoft.graph.roomlist/rooms?$select=id,emailAddress,displayName")
                    return (address, rooms.compactMap { $0.emailAddress?.lowercased() })
                }
            }
            var members: [String: [String]] = [:]
            for try await (list, rooms) in group { members[list] = rooms }
            return members
        }
        let places = GraphReadState.Places(rooms: try await rooms, lists: lists, members: members, readAt: readAt)
        kept.places = places
        return places.addresses
    }

    // MARK: - Devices

    private func refreshDevices(lookingUp serialNumbers: Set<String>) async throws {
        if let devices = kept.devices,
            fresh(devices.readAt, complete: devices.registry.map { serialNumbers.isSubset(of: $0.serialNumbers) } ?? true)
        {
            return
        }
        let readAt = now()
        unsaved = true
        do {
            async let managed = session.list(
                GraphManagedDevice.self,
                from: session.url("/deviceManagement/managedDevices?$select=\(GraphManagedDevice.selected.joined(separator: ","))&$top=999"))
            async let autopilot = session.list(
                GraphAutopilotDevice.self,
                from: session.url(
                    "/deviceManagement/windowsAutopilotDeviceIdentities?$select=\(GraphAutopilotDevice.selected.joined(separator: ","))&$top=999"))
            let registry = DeviceRegistry(
                managed: try await managed.items.compactMap(Self.registered), autopilot: try await autopilot.items.compactMap(Self.registered))
            kept.devices = GraphReadState.Devices(registry: registry, readAt: readAt)
        } catch let error as GraphError where error.status == 403 {
            kept.devices = GraphReadState.Devices(registry: nil, readAt: readAt)
        }
    }

    private static func registered(_ device: GraphManagedDevice) -> RegisteredDevice? {
        guard let serial = device.serialNumber, !serial.isEmpty else { return nil }
        return RegisteredDevice(
            id: device.id, name: device.deviceName ?? device.id, serialNumber: serial, manufacturer: device.manufacturer, model: device.model,
            operatingSystem: device.operatingSystem, lastSync: device.lastSyncDateTime.flatMap(Self.date), compliance: device.complianceState,
            account: device.userPrincipalName)
    }

    private static func registered(_ device: GraphAutopilotDevice) -> AutopilotRegistration? {
        guard let serial = device.serialNumber, !serial.isEmpty else { return nil }
        return AutopilotRegistration(
            id: device.id, serialNumber: serial, manufacturer: device.manufacturer, model: device.model, groupTag: device.groupTag)
    }

    /// An ISO 8601 time as Graph writes it, with or without fractional seconds; Intune's
    /// "never" (`0001-01-01T00:00:00Z`) is nil.
    static func date(_ text: String) -> Date? {
        guard let date = (try? plainTime.parse(text)) ?? (try? fractionalTime.parse(text)), date.timeIntervalSince1970 > 0 else { return nil }
        return date
    }

    // Made once: a formatter per device cost seconds at 30,000 devices.
    private static let plainTime = Date.ISO8601FormatStyle()
    private static let fractionalTime = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    // MARK: - Licences

    /// The part number of a SKU id: from the licensing reference, else from `/subscribedSkus`.
    private func partNumber(of skuId: String) -> String? { Self.partNumber(of: skuId, subscribed: kept.subscribedPartNumbers) }

    /// A SKU id's part number: Microsoft's licensing reference's, else the tenant's `/subscribedSkus`'.
    private static func partNumber(of skuId: String, subscribed: [String: String]) -> String? {
        let id = skuId.lowercasedIfNeeded
        return LicensingReference.partNumbers[id] ?? subscribed[id]
    }

    /// Reads `/subscribedSkus` when one of `roomAccounts` holds a SKU id nobody has named yet, at most
    /// once per refresh interval. Without Organization.Read.All (403) such SKUs stay unnamed: a
    /// room holding only them reads as unlicensed, and the README says to grant it.
    private func nameUnknownSkus(of roomAccounts: [RoomAccount]) async throws {
        let unknown = roomAccounts.lazy
            .flatMap { $0.user.assignedLicenses ?? [] }
            .contains { $0.skuId.map { self.partNumber(of: $0) == nil } == true }
        guard unknown else { return }
        if let read = kept.subscribedSkusReadAt, fresh(read) { return }
        do {
            let (skus, _) = try await session.list(
                GraphSubscribedSku.self, from: session.url("/subscribedSkus?$select=\(GraphSubscribedSku.selected.joined(separator: ","))"))
            for sku in skus {
                if let id = sku.skuId?.lowercased(), let part = sku.skuPartNumber { kept.subscribedPartNumbers[id] = part }
            }
            kept.subscribedSkusReadAt = now()
            unsaved = true
        } catch let error as GraphError where error.status == 403 {
            kept.subscribedSkusReadAt = now()
            unsaved = true
        }
    }

    // MARK: - Directory roles

    /// The ids of the users and groups holding each directory role that reaches the portal,
    /// over the whole tenant (an assignment scoped to an administrative unit does not reach it).
    private func readRoleHolders() async throws -> [String: Set<DirectoryRole>] {
        let session = session
        return try await withThrowingTaskGroup(of: (DirectoryRole, [GraphRoleAssignment]).self) { group in
            for role in DirectoryRole.allCases {
                group.addTask {
                    let filter = "roleDefinitionId eq '\(role.templateId)'".addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                    let (assignments, _) = try await session.list(
                        GraphRoleAssignment.self,
                        from: session.url(
                            "/roleManagement/directory/roleAssignments?$filter=\(filter)&$select=\(GraphRoleAssignment.selected.joined(separator: ","))"
                        ))
                    return (role, assignments)
                }
            }
            var holders: [String: Set<DirectoryRole>] = [:]
            for try await (role, assignments) in group {
                for assignment in assignments where assignment.directoryScopeId == "/" {
                    if let principal = assignment.principalId { holders[principal, default: []].insert(role) }
                }
            }
            return holders
        }
    }

    // MARK: - Assembly

    /// The directory of `users` and `rooms`, with the groups, room lists and devices kept.
    private func assemble(users: [DirectoryUser], rooms: [DirectoryRoom]) -> TenantDirectory {
        let directoryGroups = kept.groups.values.map { group in
            DirectoryGroup(id: group.id, displayName: group.displayName ?? group.id, mail: group.mail, securityEnabled: group.securityEnabled)
        }
        return TenantDirectory(
            users: users, groups: directoryGroups.sorted { $0.id < $1.id }, rooms: rooms,
            roomLists: (kept.places?.lists ?? []).compactMap { list in
                list.emailAddress.map { DirectoryRoomList(email: $0, displayName: list.displayName) }
            }
            .sorted { $0.email < $1.email },
            devices: kept.devices?.registry, cloud: session.tokens.signIn.cloud.offers)
    }

    /// The rooms Places lists, by address, with their room lists and the licence their resource
    /// account holds (its SKU ids named by Microsoft's licensing reference, else by `subscribed`).
    private static func rooms(_ places: GraphReadState.Places?, accounts: [RoomAccount], subscribed: [String: String]) -> [DirectoryRoom] {
        guard let places else { return [] }
        var listsByRoom: [String: [String]] = [:]
        for (list, rooms) in places.members {
            for room in rooms { listsByRoom[room, default: []].append(list) }
        }
        var licenceByAccount: [String: RoomLicence] = [:]
        for (user, names) in accounts {
            let partNumbers = (user.assignedLicenses ?? []).compactMap { $0.skuId.flatMap { partNumber(of: $0, subscribed: subscribed) } }
            let licence = LicensingReference.licence(partNumbers: partNumbers)
            for name in names { licenceByAccount[name] = licence }
        }
        return places.rooms.compactMap { room -> DirectoryRoom? in
            guard let email = room.emailAddress?.lowercasedIfNeeded else { return nil }
            // Places answers "" for an address part nobody filled in.
            func given(_ text: String?) -> String? { text.flatMap { $0.isEmpty ? nil : $0 } }
            let address = room.address
            return DirectoryRoom(
                email: email, displayName: room.displayName,
                location: RoomLocation(
                    country: given(address?.countryOrRegion), state: given(address?.state), city: given(address?.city),
                    building: given(room.building), floor: given(room.floorLabel) ?? room.floorNumber.map(String.init)),
                capacity: room.capacity, tags: room.tags ?? [], roomLists: (listsByRoom[email] ?? []).sorted(), licence: licenceByAccount[email])
        }.sorted(byText: \.email)
    }

    /// The users with a principal name, in the order of their ids, with the directory roles they hold.
    private static func directoryUsers(_ users: KeptUsers, roleHolders: [String: Set<DirectoryRole>]) -> [DirectoryUser] {
        users.inOrder.compactMap { user -> DirectoryUser? in
            guard let upn = user.userPrincipalName else { return nil }
            let roles = roleHolders[user.id].map { $0.sorted { $0.rawValue < $1.rawValue }.map { Vocabulary.known($0) } }
            return DirectoryUser(
                id: user.id, userPrincipalName: upn, displayName: user.displayName ?? upn, directoryRoles: roles,
                accountEnabled: user.accountEnabled)
        }
    }

    /// A room's resource account: the user, and its principal name and mail in lower case.
    typealias RoomAccount = (user: GraphUser, names: [String])

    /// The rooms' resource accounts: the users whose principal name or mail is one of the rooms' `addresses`.
    private static func roomAccounts(of users: KeptUsers, addresses: Set<String>) -> [RoomAccount] {
        guard !addresses.isEmpty else { return [] }
        return users.inOrder.compactMap { user in
            let upn = user.userPrincipalName?.lowercasedIfNeeded
            let mail = user.mail?.lowercasedIfNeeded
            guard upn.map(addresses.contains) == true || mail.map(addresses.contains) == true else { return nil }
            return (user, [upn, mail].compactMap { $0 })
        }
    }

    /// An address as one URL path segment, or nil when it could not be one.
    static func pathSegment(_ text: String) -> String? {
        text.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/?#")))
    }
}

extension GraphDirectoryReader: DirectorySource {
    public nonisolated var directoryDescription: String {
        "Microsoft Graph at \(session.host) (\(session.tokens.signIn))"
    }

    public nonisolated var tenantKey: String { Self.tenantKey(of: session) }

    /// The tenant a session reads: its Graph host and tenant id.
    public static func tenantKey(of session: GraphSession) -> String { "\(session.host.origin)/\(session.tokens.signIn.tenantId)" }

    public func readDirectory(lookingUp lookups: DirectoryLookups) async throws -> TenantDirectory { try await read(lookingUp: lookups) }

    /// Reads each group's transitive user members: an OData cast on `transitiveMembers`, which
    /// Graph treats as an advanced query (learn.microsoft.com/graph/aad-advanced-queries).
    public nonisolated func transitiveMembers(ofGroups ids: Set<String>) async throws -> [String: Set<String>] {
        let session = session
        return try await withThrowingTaskGroup(of: (String, Set<String>).self) { group in
            for id in ids {
                guard let segment = Self.pathSegment(id) else { continue }
                group.addTask {
                    do {
                        let (members, _) = try await session.list(
                            GraphMember.self,
                            from: session.url(
                                "/groups/\(segment)/transitiveMembers/microsoft.graph.user?$count=true&$select=\(GraphMember.selected.joined(separator: ","))&$top=999"
                            ),
                            advancedQuery: true)
                        return (id, Set(members.map(\.id)))
                    } catch let error as GraphError where error.status == 404 {
                        return (id, [])
                    }
                }
            }
            var members: [String: Set<String>] = [:]
            for try await (id, users) in group { members[id] = users }
            return members
        }
    }
}

extension GraphDirectoryReader: DeviceRegistryWriter {
    /// `updateDeviceProperties` on the registration
    /// (learn.microsoft.com/graph/api/intune-enrollment-windowsautopilotdeviceidentity-updatedeviceproperties);
    /// needs DeviceManagementServiceConfig.ReadWrite.All. Setting the same tag again changes nothing.
    /// What is kept of the devices learns the new tag, so the next run does not see the old one.
    public func setAutopilotGroupTag(_ tag: String, registration id: String) async throws {
        guard let segment = Self.pathSegment(id) else {
            throw GraphError(status: 0, code: "BadId", message: "an Autopilot registration id cannot be a path")
        }
        try await session.post(
            session.url("/deviceManagement/windowsAutopilotDeviceIdentities/\(segment)/updateDeviceProperties"), body: ["groupTag": tag])
        guard let index = kept.devices?.registry?.autopilot.firstIndex(where: { $0.id == id }) else { return }
        kept.devices?.registry?.autopilot[index].groupTag = tag
        unsaved = true
        await saveToDisk()
    }
}
