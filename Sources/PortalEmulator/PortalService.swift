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
    let access: AccessProjection

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
    func mapStoreErrors<T>(_ collection: PortalCollection, _ id: String, _ body: () async throws -> T) async throws -> T {
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

    func methodNotAllowed(_ collection: PortalCollection) -> PortalError {
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
