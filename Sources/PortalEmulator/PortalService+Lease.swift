import Crypto
import Foundation
import PortalAPI
import PortalModel

// Tenant settings, the reconciler lease and the audit log.

extension PortalService {
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
}
