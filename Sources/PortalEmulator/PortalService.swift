import Crypto
import Foundation
import PortalAPI
import PortalModel

/// The emulated portal's behaviour, independent of transport: who may do what (RBAC from role
/// assignments and their scopes), the portal's rules (built-in roles are immutable, default
/// rings undeletable, references must exist, ring limits), device actions and agent check-ins.
///
/// The HTTP server and the embedded portal both call it, so both behave the same. Errors are
/// `PortalError`s with the status the HTTP API answers.
public final class PortalService: Sendable {
    public let store: PortalStore
    /// How long a queued device action takes; 0 completes it before the call returns.
    public let operationDelay: TimeInterval

    /// Who may do what, kept current from the audit log.
    private let access: AccessProjection

    /// How long a delta token stays good: Microsoft Graph's delta links for identity resources
    /// live seven days (devblogs.microsoft.com/microsoft365dev/duration-of-change-tracking-tokens-for-identity-and-education-resources).
    public let deltaTokenLifetime: TimeInterval

    public init(store: PortalStore, operationDelay: TimeInterval = 0, deltaTokenLifetime: TimeInterval = 7 * 86_400) {
        self.store = store
        self.operationDelay = operationDelay
        self.deltaTokenLifetime = deltaTokenLifetime
        access = AccessProjection(store: store)
    }

    /// Assignments, roles and room groups as they are now.
    func accessState() async throws -> AccessProjection.State { try await access.current() }

    // MARK: - Callers

    /// The principal for a user, with the grants of their directory roles and of the assignments
    /// that name the user or a group of theirs. Unknown users are unauthorized. Remote access
    /// permissions take effect only while the tenant has opted in
    /// (learn.microsoft.com/microsoftteams/rooms/remotely-access-teams-rooms).
    public func principal(userPrincipalName: String) async throws -> Principal {
        let access = try await access.current()
        guard let id = access.userIdsByPrincipalName[userPrincipalName.lowercased()],
            let user = try await read(DirectoryUser.self, id: id)?.resource
        else {
            throw PortalError.unauthorized("the token's user is not in the directory")
        }
        var grants = AccessGrants.grants(
            for: user, assignments: access.assignments(naming: user), roles: access.roles, roomGroups: access.roomGroups)
        if grants.keys.contains(where: \.isCustomRoleOnly), try await !tenantSettings().remoteAccessEnabled {
            grants = grants.filter { !$0.key.isCustomRoleOnly }
        }
        return Principal(userPrincipalName: user.userPrincipalName, grants: grants)
    }

    public func me(_ principal: Principal) -> Me {
        Me(
            userPrincipalName: principal.userPrincipalName,
            permissions: principal.grants.keys.sorted().map { permission in
                let scope = principal.grants[permission] ?? RoomSet()
                return Me.Grant(permission: permission.slug, allRooms: scope.allRooms, roomIds: scope.rooms.sorted())
            })
    }

    // MARK: - Reading

    /// The permission that lets a caller read a collection.
    static func viewPermission(_ collection: PortalCollection) -> Permission {
        switch collection {
        case .rooms, .devices: .roomManagementView
        case .roles, .roleAssignments, .users, .groups: .roleManagementView
        case .roomGroups: .roomGroupsView
        case .updateRings: .updateManagementView
        }
    }

    /// A page of a collection as the caller may see it: rooms and devices outside the caller's
    /// scope are left out, so a page can be short or empty while `more` is true.
    public func list<R: PortalResource>(
        _ type: R.Type, as principal: Principal, after cursor: String?, limit: Int
    ) async throws -> (items: [Tagged<R>], more: Bool, last: String?) {
        let permission = Self.viewPermission(R.collection)
        guard principal.holds(permission) else { throw forbidden(permission) }
        if R.collection == .rooms { try await completeDueOperations() }
        let stored = try await store.list(R.collection, after: cursor, limit: limit)
        let items = try await withDerivedFields(try stored.map(decode(R.self)).filter { isVisible($0.resource, to: principal) })
        return (items, stored.count == limit, stored.last?.id)
    }

    public func get<R: PortalResource>(_ type: R.Type, id: String, as principal: Principal) async throws -> Tagged<R> {
        let permission = Self.viewPermission(R.collection)
        guard principal.holds(permission) else { throw forbidden(permission) }
        if R.collection == .rooms { try await completeDueOperations() }
        guard let object = try await read(R.self, id: id), isVisible(object.resource, to: principal) else {
            throw notFound(R.collection, id)
        }
        return try await withDerivedFields([object])[0]
    }

    /// Fills in what the portal works out rather than stores: a ring's deferment, "the delay in
    /// days before the update is initiated on this ring", is the days of every ring before it
    /// (learn.microsoft.com/microsoftteams/rooms/update-management).
    func withDerivedFields<R: PortalResource>(_ items: [Tagged<R>]) async throws -> [Tagged<R>] {
        guard R.self == PortalUpdateRing.self, !items.isEmpty else { return items }
        let rings = try await all(PortalUpdateRing.self).map(\.resource)
        return items.map { item in
            guard var ring = item.resource as? PortalUpdateRing else { return item }
            ring.deferralDays = rings.filter { $0.order < ring.order }.reduce(0) { $0 + $1.rolloutDays + $1.testDays }
            return (ring as? R).map { Tagged($0, etag: item.etag) } ?? item
        }
    }

    func isVisible(_ resource: some PortalResource, to principal: Principal) -> Bool {
        switch resource {
        case let room as PortalRoom: principal.holds(.roomManagementView, over: room.id)
        case let device as PortalDevice: principal.holds(.roomManagementView, over: device.roomId)
        default: true
        }
    }

    /// Refuses a caller who holds `permission` over no room at all: checked before a request's
    /// body is read or its target looked up, so a caller without the right learns nothing else.
    func authorize(_ principal: Principal, _ permission: Permission?) throws {
        guard let permission else { return }
        guard principal.holds(permission) else { throw forbidden(permission) }
    }

    // MARK: - Writing

    static func createPermission(_ collection: PortalCollection) -> Permission? {
        switch collection {
        case .roles, .roleAssignments: .roleManagementModify
        case .roomGroups: .roomGroupsCreate
        case .updateRings: .updateManagementCreate
        default: nil
        }
    }

    static func modifyPermission(_ collection: PortalCollection) -> Permission? {
        switch collection {
        case .roles, .roleAssignments: .roleManagementModify
        case .roomGroups: .roomGroupsModify
        case .updateRings: .updateManagementModify
        default: nil
        }
    }

    /// Creates an object; a missing id is assigned. A repeated `idempotencyKey` returns the first result.
    public func create<R: OwnedResource>(_ resource: R, as principal: Principal, idempotencyKey: String? = nil) async throws -> Tagged<R> {
        guard let permission = Self.createPermission(R.collection) else { throw methodNotAllowed(R.collection) }
        guard principal.holds(permission) else { throw forbidden(permission) }
        if let idempotencyKey, !(1...200).contains(idempotencyKey.count) {
            throw PortalError.badRequest("Idempotency-Key must be 1 to 200 characters", target: "Idempotency-Key")
        }
        // A retried create answers as the first one did, before any rule could object to the duplicate.
        if let idempotencyKey, let earlier = try await store.created(by: idempotencyKey, in: R.collection) {
            return try decode(R.self)(earlier)
        }
        var resource = resource
        if resource.id.isEmpty { resource.id = "\(R.collection.rawValue.prefix(2))-\(UUID().uuidString.lowercased())" }
        resource.stamp(by: principal)
        try await validate(resource, replacing: nil)
        try await authorizeScope(permission, for: resource, as: principal)
        do {
            guard
                let stored = try await store.write(
                    R.collection, .create(id: resource.id, body: try encode(resource)), actor: principal.userPrincipalName,
                    idempotencyKey: idempotencyKey)
            else { throw notFound(R.collection, resource.id) }
            return try decode(R.self)(stored)
        } catch PortalStoreError.alreadyExists(_, let id) {
            throw PortalError.conflict("\(R.collection.rawValue) '\(id)' already exists", target: id)
        } catch PortalStoreError.idempotencyKeyReused {
            throw PortalError.conflict("this Idempotency-Key was used for another request; send a new one", target: "Idempotency-Key")
        }
    }

    /// Replaces an object whose entity tag is `ifMatch`.
    public func replace<R: OwnedResource>(_ resource: R, ifMatch: String?, as principal: Principal) async throws -> Tagged<R> {
        guard let permission = Self.modifyPermission(R.collection) else { throw methodNotAllowed(R.collection) }
        guard principal.holds(permission) else { throw forbidden(permission) }
        guard let ifMatch else { throw PortalError.preconditionRequired("send If-Match with the entity tag you read") }
        guard let current = try await read(R.self, id: resource.id), try await isWithinScope(current.resource, permission, of: principal)
        else { throw notFound(R.collection, resource.id) }
        var resource = resource
        resource.stamp(by: principal)
        try await validate(resource, replacing: current.resource)
        try await authorizeScope(permission, for: resource, as: principal)
        return try await mapStoreErrors(R.collection, resource.id) {
            guard
                let stored = try await store.write(
                    R.collection, .replace(id: resource.id, body: try encode(resource), ifMatch: ifMatch),
                    actor: principal.userPrincipalName)
            else { throw notFound(R.collection, resource.id) }
            return try decode(R.self)(stored)
        }
    }

    /// Deletes an object whose entity tag is `ifMatch`, unless the portal's rules protect it.
    public func delete<R: OwnedResource>(_ type: R.Type, id: String, ifMatch: String?, as principal: Principal) async throws {
        guard let permission = Self.modifyPermission(R.collection) else { throw methodNotAllowed(R.collection) }
        guard principal.holds(permission) else { throw forbidden(permission) }
        guard let ifMatch else { throw PortalError.preconditionRequired("send If-Match with the entity tag you read") }
        guard let current = try await read(R.self, id: id), try await isWithinScope(current.resource, permission, of: principal)
        else { throw notFound(R.collection, id) }
        try await checkDeletable(current.resource)
        try await mapStoreErrors(R.collection, id) {
            try await store.write(R.collection, .delete(id: id, ifMatch: ifMatch), actor: principal.userPrincipalName)
        }
        if let ring = current.resource as? PortalUpdateRing {
            try await returnRoomsToGeneral(from: ring.id, actor: principal.userPrincipalName)
        }
    }

    /// Moves a room to another update ring (every room is in exactly one).
    public func moveRoom(_ roomId: String, toRing ringId: String, ifMatch: String?, as principal: Principal) async throws -> Tagged<PortalRoom> {
        guard principal.holds(.updateManagementModify) else { throw forbidden(.updateManagementModify) }
        guard let ifMatch else { throw PortalError.preconditionRequired("send If-Match with the room's entity tag") }
        guard var room = try await read(PortalRoom.self, id: roomId)?.resource, principal.holds(.updateManagementModify, over: room.id)
        else { throw notFound(.rooms, roomId) }
        guard try await read(PortalUpdateRing.self, id: ringId) != nil else {
            throw PortalError.badRequest("update ring '\(ringId)' does not exist", target: "updateRingId")
        }
        room.updateRingId = ringId
        room.stamp(by: principal)
        return try await mapStoreErrors(.rooms, roomId) {
            guard
                let stored = try await store.write(
                    .rooms, .replace(id: roomId, body: try encode(room), ifMatch: ifMatch), actor: principal.userPrincipalName,
                    action: "moveToRing")
            else { throw notFound(.rooms, roomId) }
            return try decode(PortalRoom.self)(stored)
        }
    }

    // MARK: - Enrollment

    /// Queues enrolling or unenrolling a room; the room changes state when the operation
    /// completes. A room enrolls once its main unit has checked in (it is then onboarding), and
    /// unenrolls from onboarding or enrolled (learn.microsoft.com/microsoftteams/rooms/enroll-a-device).
    public func queue(_ action: RoomOperation.Action, room id: String, as principal: Principal) async throws -> RoomOperation {
        let permission: Permission = action == .enroll ? .roomManagementModify : .roomManagementUnenroll
        try authorize(principal, permission)
        try await completeDueOperations()
        guard let room = try await read(PortalRoom.self, id: id)?.resource, principal.holds(permission, over: room.id)
        else { throw notFound(.rooms, id) }
        let allowed: [Vocabulary<EnrollmentState>] =
            action == .enroll ? [.known(.onboarding), .known(.unenrolled)] : [.known(.onboarding), .known(.enrolled)]
        guard let state = room.enrollmentState else {
            throw PortalError.conflict("room '\(id)' has no main unit checked in; install the agent on it first", target: id)
        }
        guard allowed.contains(state) else { throw PortalError.conflict("room '\(id)' is already \(state)", target: id) }
        let operation = RoomOperation(id: "op-\(UUID().uuidString.lowercased())", roomId: id, action: action, status: .queued)
        try await store.enqueue(operation, due: Date().addingTimeInterval(operationDelay))
        guard operationDelay == 0 else { return operation }
        // Done at once: the answer says so, and the caller need not poll (the contract's 202 and
        // Location still hold, so a client that polls anyway reads the same result).
        try await completeDueOperations()
        return try await store.operation(operation.id) ?? operation
    }

    public func operation(_ id: String, as principal: Principal) async throws -> RoomOperation {
        try authorize(principal, .roomManagementView)
        try await completeDueOperations()
        guard let operation = try await store.operation(id), principal.holds(.roomManagementView, over: operation.roomId)
        else { throw notFound(nil, id) }
        return operation
    }

    /// Applies every queued room action whose time has come.
    public func completeDueOperations(now: Date = Date()) async throws {
        for operation in try await store.dueOperations(now: now) {
            guard var room = try await read(PortalRoom.self, id: operation.roomId)?.resource else {
                try await store.complete(operation, status: .failed, roomBody: nil, actor: "portal")
                continue
            }
            room.enrollmentState = .known(operation.action == .enroll ? .enrolled : .unenrolled)
            try await store.complete(operation, status: .succeeded, roomBody: try encode(room), actor: "portal")
        }
    }

    /// A room's main unit checks in with the enrollment key, reporting its peripherals. A unit
    /// not seen before appears; its room, if it had no agent or was unenrolled, goes to
    /// onboarding (learn.microsoft.com/microsoftteams/rooms/enroll-a-device). A Teams panel
    /// checks in on its own and enrolls itself, leaving its room's enrollment alone. Devices are
    /// known by manufacturer and serial number together.
    public func checkin(_ checkin: AgentCheckin, enrollmentKey: String?, now: Date = Date()) async throws -> PortalDevice {
        try await verifyEnrollmentKey(enrollmentKey)
        guard !checkin.serialNumber.isEmpty else { throw PortalError.badRequest("serialNumber is empty", target: "serialNumber") }
        guard let type = DeviceType(rawValue: checkin.deviceType), type.enrollsItself else {
            throw PortalError.badRequest(
                "a \(checkin.deviceType) carries no agent; the room's main unit (teamsRoom, collaborationBar or surfaceHub) checks in "
                    + "and reports it, and a teamsPanel checks in on its own",
                target: "deviceType")
        }
        let roomId = checkin.roomEmail?.lowercased()
        var room: PortalRoom?
        if let roomId {
            guard let found = try await read(PortalRoom.self, id: roomId)?.resource else {
                throw PortalError.badRequest("room '\(roomId)' does not exist", target: "roomEmail")
            }
            room = found
        }
        let known = Dictionary(
            try await all(PortalDevice.self).map { ($0.resource.hardwareIdentity, $0.resource) }, uniquingKeysWith: { first, _ in first })
        let actor = "agent:\(checkin.serialNumber)"
        func report(_ serial: String, _ type: String, _ manufacturer: String?, _ model: String?, _ os: String?) async throws -> PortalDevice {
            let existing = known[HardwareIdentity(manufacturer: manufacturer, serialNumber: serial)]
            var device =
                existing
                ?? PortalDevice(
                    id: "dev-\(UUID().uuidString.lowercased())", serialNumber: serial, deviceType: Vocabulary(type),
                    manufacturer: manufacturer, model: model)
            device.connectivity = .known(.connected)
            device.lastSeen = now
            if let os { device.operatingSystem = os }
            if let roomId { device.roomId = roomId }
            let change: PortalStore.Change =
                existing == nil ? .create(id: device.id, body: try encode(device)) : .replace(id: device.id, body: try encode(device), ifMatch: nil)
            try await store.write(.devices, change, actor: actor, action: "checkin", now: now)
            return device
        }
        let unit = try await report(checkin.serialNumber, checkin.deviceType, checkin.manufacturer, checkin.model, checkin.operatingSystem)
        for peripheral in checkin.peripherals ?? [] where !peripheral.serialNumber.isEmpty {
            _ = try await report(peripheral.serialNumber, peripheral.deviceType, peripheral.manufacturer, peripheral.model, nil)
        }
        if var room, type.isRoomUnit, room.enrollmentState == nil || room.enrollmentState == .known(.unenrolled) {
            room.enrollmentState = .known(.onboarding)
            try await store.write(.rooms, .replace(id: room.id, body: try encode(room), ifMatch: nil), actor: actor, action: "checkin", now: now)
        }
        return unit
    }

    /// Refuses an agent without the tenant's enrollment key (401).
    public func verifyEnrollmentKey(_ enrollmentKey: String?) async throws {
        guard let expected = try await store.setting(Self.enrollmentKeySetting), let enrollmentKey,
            constantTimeEqual(enrollmentKey, expected)
        else { throw PortalError.unauthorized("the enrollment key is missing or wrong") }
    }

    static let enrollmentKeySetting = "enrollmentKey"

    /// The key is the tenant's, and enrolls devices into it: reading it needs the right to change
    /// the service's settings over all rooms, not to view them.
    public func enrollmentKey(as principal: Principal) async throws -> EnrollmentKey {
        guard principal.covers(.serviceSettingsModify, RoomSet(allRooms: true)) else { throw forbidden(.serviceSettingsModify) }
        return EnrollmentKey(key: try await store.setting(Self.enrollmentKeySetting) ?? "")
    }

    public func resetEnrollmentKey(as principal: Principal) async throws -> EnrollmentKey {
        guard principal.covers(.serviceSettingsModify, RoomSet(allRooms: true)) else { throw forbidden(.serviceSettingsModify) }
        let key = Self.newEnrollmentKey()
        try await store.setSetting(Self.enrollmentKeySetting, key)
        return EnrollmentKey(key: key)
    }

    static func newEnrollmentKey() -> String {
        (0..<4).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "") }.joined().lowercased()
    }

    // MARK: - Tenant settings

    static let remoteAccessSetting = "remoteAccessEnabled"
    public static let roomGroupMembershipSetting = "roomGroupMembership"

    /// Reading the tenant's settings needs the settings view permission, over any rooms.
    public func tenantSettings(as principal: Principal) async throws -> TenantSettings {
        try authorize(principal, .serviceSettingsView)
        return try await tenantSettings()
    }

    func tenantSettings() async throws -> TenantSettings {
        TenantSettings(
            remoteAccessEnabled: try await store.setting(Self.remoteAccessSetting) == "true",
            roomGroupMembership: try await store.setting(Self.roomGroupMembershipSetting)
                .flatMap(TenantSettings.RoomGroupMembership.init(rawValue:)) ?? .multiple)
    }

    /// Turning remote access on or off is a tenant-wide change: it needs the settings modify
    /// permission over all rooms. Room group membership is the emulator's start-up switch, not a
    /// portal setting, and cannot be changed here.
    public func updateTenantSettings(_ settings: TenantSettings, as principal: Principal) async throws -> TenantSettings {
        guard principal.covers(.serviceSettingsModify, RoomSet(allRooms: true)) else { throw forbidden(.serviceSettingsModify) }
        let current = try await tenantSettings()
        guard settings.roomGroupMembership == current.roomGroupMembership else {
            throw PortalError.badRequest("roomGroupMembership is fixed when the portal starts", target: "roomGroupMembership")
        }
        try await store.setSetting(Self.remoteAccessSetting, settings.remoteAccessEnabled ? "true" : "false")
        return try await tenantSettings()
    }

    // MARK: - Lease and audit

    /// Takes or renews the reconciler lease; throws 409 naming the holder while someone else has it.
    /// Taking, renewing or releasing it keeps every other reconciler out, so it needs what a
    /// reconciler that writes needs: changing roles and assignments. Reading it needs only viewing them.
    static let leasePermission = Permission.roleManagementModify
    static let leaseReadPermission = Permission.roleManagementView

    public func acquireLease(_ name: String, _ request: LeaseRequest, as principal: Principal) async throws -> Lease {
        try authorize(principal, Self.leasePermission)
        guard (1...200).contains(request.holder.count), (1...3600).contains(request.durationSeconds),
            (LeaseRequest.minimumSecretLength...200).contains(request.secret.count)
        else {
            throw PortalError.badRequest(
                "holder must be 1 to 200 characters, secret \(LeaseRequest.minimumSecretLength) to 200 and durationSeconds from 1 to 3600",
                target: "durationSeconds")
        }
        let (lease, granted) = try await store.acquireLease(
            name, holder: request.holder, secret: request.secret, duration: TimeInterval(request.durationSeconds))
        guard granted else { throw LeaseHeldError(lease: lease) }
        return lease
    }

    public func lease(_ name: String, as principal: Principal) async throws -> Lease {
        try authorize(principal, Self.leaseReadPermission)
        guard let lease = try await store.lease(name) else { throw notFound(nil, name) }
        return lease
    }

    /// Releases the lease; only its holder, who alone knows the secret, can.
    public func releaseLease(_ name: String, holder: String, secret: String, as principal: Principal) async throws {
        try authorize(principal, Self.leasePermission)
        guard try await store.releaseLease(name, holder: holder, secret: secret) else {
            throw PortalError.notFound("lease '\(name)' is not held by '\(holder)' with that secret", target: name)
        }
    }

    /// Audit entries after `sequence`, oldest first.
    ///
    /// A caller whose view is scoped sees only entries about rooms and devices in scope, so a
    /// page may be short while `more` is true; `last` is where the next page starts.
    public func audit(
        after sequence: Int64, limit: Int, action: String? = nil, as principal: Principal
    ) async throws -> (entries: [AuditEntry], more: Bool, last: Int64?) {
        guard principal.holds(.serviceSettingsView) else { throw forbidden(.serviceSettingsView) }
        let entries = try await store.audit(after: sequence, limit: limit, action: action)
        let page = (more: entries.count == limit, last: entries.last?.sequence)
        if principal.covers(.serviceSettingsView, RoomSet(allRooms: true)) { return (entries, page.more, page.last) }
        let devices = Dictionary(
            try await all(PortalDevice.self).map { ($0.resource.id, $0.resource.roomId) }, uniquingKeysWith: { first, _ in first })
        return (entries.filter { isVisible($0, to: principal, devices: devices) }, page.more, page.last)
    }

    // MARK: - Rules

    /// The contract's limits on what people type: display names of 1 to 256 characters,
    /// descriptions of at most 1,024.
    static let displayNameLimit = 1...256
    static let descriptionLimit = 1024

    private func validate<R: OwnedResource>(_ resource: R, replacing current: R?) async throws {
        if let assignment = resource as? PortalRoleAssignment, assignment.roleId == BuiltInRole.teamsRoomsProManager.rawValue,
            !assignment.scope.allRooms
        {
            // The portal's Pro Manager assignment "will apply to all rooms and room groups" (enrolling-mtrp-managed-service).
            throw PortalError.badRequest("a Teams Rooms Pro Manager assignment applies to all rooms; its scope must be allRooms", target: "scope")
        }
        if let named = resource as? any PortalNamed {
            guard Self.displayNameLimit.contains(named.displayName.count) else {
                throw PortalError.badRequest("displayName must be 1 to 256 characters", target: "displayName")
            }
            guard (named.description ?? "").count <= Self.descriptionLimit else {
                throw PortalError.badRequest("description must be at most 1024 characters", target: "description")
            }
        }
        switch resource {
        case let role as PortalRole:
            if role.isBuiltIn || (current as? PortalRole)?.isBuiltIn == true {
                throw PortalError(status: 400, code: "BuiltInRole", message: "built-in roles cannot be created or changed", target: role.id)
            }
            if let unknown = role.permissions.first(where: { Permission(rawValue: $0) == nil }) {
                throw PortalError.badRequest("unknown permission '\(unknown)'", target: "permissions")
            }
            try requireUniqueName(role.displayName, of: role, among: try await access.current().roleIdsByName)
        case let assignment as PortalRoleAssignment:
            guard try await read(PortalRole.self, id: assignment.roleId) != nil else {
                throw PortalError.badRequest("role '\(assignment.roleId)' does not exist", target: "roleId")
            }
            guard !assignment.members.isEmpty else { throw PortalError.badRequest("an assignment needs members", target: "members") }
            for member in assignment.members {
                let found =
                    member.kind == .user
                    ? try await read(DirectoryUser.self, id: member.id) != nil
                    : try await read(DirectoryGroup.self, id: member.id) != nil
                guard found else { throw PortalError.badRequest("\(member.kind.rawValue) '\(member.id)' is not in the directory", target: "members") }
            }
            let scope = assignment.scope
            guard scope.allRooms != !(scope.roomGroupIds.isEmpty && scope.roomIds.isEmpty) else {
                throw PortalError.badRequest("scope is allRooms, or room groups and rooms, not both or neither", target: "scope")
            }
            for id in scope.roomGroupIds where try await read(PortalRoomGroup.self, id: id) == nil {
                throw PortalError.badRequest("room group '\(id)' does not exist", target: "scope.roomGroupIds")
            }
            try await requireRooms(scope.roomIds, target: "scope.roomIds")
        case let group as PortalRoomGroup:
            try await requireRooms(group.roomIds, target: "roomIds")
            let access = try await access.current()
            let groups = access.roomGroups.values
            try requireUniqueName(group.displayName, of: group, among: access.roomGroupIdsByName)
            if try await tenantSettings().roomGroupMembership == .single {
                // Whether the portal allows a room in several groups is not documented; this is
                // the emulator's stricter mode. The default group does not count.
                let rooms = Set(group.roomIds)
                if let other = groups.first(where: {
                    $0.id != group.id && $0.id != PortalRoomGroup.defaultGroupId && !rooms.isDisjoint(with: $0.roomIds)
                }),
                    let room = rooms.intersection(other.roomIds).sorted().first
                {
                    throw PortalError.conflict(
                        "room '\(room)' is already in room group '\(other.id)'; this portal allows one room group per room", target: "roomIds")
                }
            }
        case let ring as PortalUpdateRing:
            if ring.isDefault || (current as? PortalUpdateRing)?.isDefault == true {
                throw PortalError(status: 400, code: "DefaultRing", message: "default rings cannot be created or changed here", target: ring.id)
            }
            guard UpdateRingLimits.orders.contains(ring.order) else {
                throw PortalError.badRequest("order must be from 1 to 9", target: "order")
            }
            let others = try await all(PortalUpdateRing.self).map(\.resource).filter { $0.id != ring.id }
            if let clash = others.first(where: { !$0.isDefault && $0.order == ring.order }) {
                throw PortalError.conflict("ring '\(clash.id)' already has order \(ring.order)", target: "order")
            }
            let total = others.reduce(ring.rolloutDays + ring.testDays) { $0 + $1.rolloutDays + $1.testDays }
            guard total <= UpdateRingLimits.maximumTotalDays else {
                throw PortalError.badRequest(
                    "rings would add up to \(total) days; the limit is \(UpdateRingLimits.maximumTotalDays)", target: "rolloutDays")
            }
        default:
            break
        }
    }

    private func checkDeletable(_ resource: some OwnedResource) async throws {
        let assignments = try await access.current().assignments.values
        switch resource {
        case let role as PortalRole:
            if role.isBuiltIn { throw PortalError(status: 400, code: "BuiltInRole", message: "built-in roles cannot be deleted", target: role.id) }
            if let user = assignments.first(where: { $0.roleId == role.id }) {
                throw PortalError.conflict("role '\(role.id)' is used by assignment '\(user.id)'", target: role.id)
            }
        case let group as PortalRoomGroup:
            if group.id == PortalRoomGroup.defaultGroupId {
                throw PortalError(status: 400, code: "DefaultRoomGroup", message: "the default room group cannot be deleted", target: group.id)
            }
            if let user = assignments.first(where: { $0.scope.roomGroupIds.contains(group.id) }) {
                throw PortalError.conflict("room group '\(group.id)' scopes assignment '\(user.id)'", target: group.id)
            }
        case let ring as PortalUpdateRing where ring.isDefault:
            throw PortalError(status: 400, code: "DefaultRing", message: "default rings cannot be deleted", target: ring.id)
        default:
            break
        }
    }

    private func returnRoomsToGeneral(from ringId: String, actor: String) async throws {
        for tagged in try await all(PortalRoom.self) where tagged.resource.updateRingId == ringId {
            var room = tagged.resource
            room.updateRingId = DefaultUpdateRing.general.rawValue
            try await store.write(.rooms, .replace(id: room.id, body: try encode(room), ifMatch: nil), actor: actor, action: "moveToRing")
        }
    }

    private func requireRooms(_ ids: [String], target: String) async throws {
        let existing = try await store.existingIds(.rooms, among: ids)
        if let missing = ids.first(where: { !existing.contains($0) }) {
            throw PortalError.badRequest("room '\(missing)' does not exist", target: target)
        }
    }

    /// Refuses a name another object of the collection has, in any case (`idsByName` is keyed by
    /// lower-case display name).
    private func requireUniqueName<R: OwnedResource>(_ name: String, of resource: R, among idsByName: [String: Set<String>]) throws {
        guard !name.isEmpty else { throw PortalError.badRequest("displayName is empty", target: "displayName") }
        if let clash = idsByName[name.lowercased()]?.subtracting([resource.id]).sorted().first {
            throw PortalError.conflict("'\(name)' is already the name of \(R.collection.rawValue) '\(clash)'", target: "displayName")
        }
    }

    // MARK: - Storage helpers

    func read<R: PortalResource>(_ type: R.Type, id: String) async throws -> Tagged<R>? {
        try await store.get(R.collection, id: id).map(decode(R.self))
    }

    func all<R: PortalResource>(_ type: R.Type) async throws -> [Tagged<R>] {
        try await store.all(R.collection).map(decode(R.self))
    }

    func encode(_ resource: some Encodable) throws -> Data {
        try PortalJSON.encoder.encode(resource)
    }

    func decode<R: PortalResource>(_ type: R.Type) -> (StoredObject) throws -> Tagged<R> {
        { object in Tagged(try PortalJSON.decoder.decode(R.self, from: object.body), etag: object.etag) }
    }

    @discardableResult
    private func mapStoreErrors<T>(_ collection: PortalCollection, _ id: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch PortalStoreError.preconditionFailed(let current) {
            throw PortalError.preconditionFailed(
                "\(collection.rawValue) '\(id)' changed since it was read (now \(current)); read it again", target: id)
        } catch PortalStoreError.notFound {
            throw notFound(collection, id)
        }
    }

    func forbidden(_ permission: Permission, target: String? = nil) -> PortalError {
        .forbidden("this needs the \(permission.slug) permission\(target == nil ? "" : " over this object")", target: target)
    }

    func notFound(_ collection: PortalCollection?, _ id: String) -> PortalError {
        .notFound("\(collection?.rawValue ?? "object") '\(id)' does not exist", target: id)
    }

    private func methodNotAllowed(_ collection: PortalCollection) -> PortalError {
        PortalError(status: 405, code: "MethodNotAllowed", message: "\(collection.rawValue) cannot be changed through this API")
    }
}

/// Compares secrets in time independent of where they differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    // Digests are compared, so the time taken says nothing of the secret's length either.
    let left = SHA256.hash(data: Data(a.utf8))
    let right = SHA256.hash(data: Data(b.utf8))
    return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
}

extension ModificationStamped {
    /// Records the caller as the last writer, now; whatever the request said is overwritten.
    mutating func stamp(by principal: Principal, now: Date = Date()) {
        lastModifiedBy = principal.userPrincipalName
        lastModifiedDateTime = now
    }
}

/// Objects with a display name and a description, which the contract limits in length.
protocol PortalNamed {
    var displayName: String { get }
    var description: String? { get }
}

extension PortalRoomGroup: PortalNamed {}
extension PortalRole: PortalNamed {}
extension PortalRoleAssignment: PortalNamed {}
extension PortalUpdateRing: PortalNamed {}
