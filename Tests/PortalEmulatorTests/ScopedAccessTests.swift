import Foundation
import PortalAPI
import PortalEmulator
import TestSupport
import Testing

/// A user whose custom role holds role management, room groups, update management and service
/// settings, scoped to one room group, tries to reach beyond it, as a privilege escalation would.
@Suite("Scoped access in the emulator")
struct ScopedAccessTests {
    private static let scopedToken = "nobody-token"

    /// As the administrator: a room group with room 1, a custom role with broad rights, and an
    /// assignment of it to `nobody@contoso.com` scoped to that group.
    private static func prepare(_ portal: RunningPortal) async throws -> Tagged<PortalRoleAssignment> {
        let admin = portal.client(token: "admin-token")
        _ = try await admin.create(PortalRoomGroup(id: "rg-one", displayName: "One", roomIds: [TestTenant.room(1)]), idempotencyKey: nil)
        let permissions = [
            "roleManagement.view", "roleManagement.modify", "roomGroups.view", "roomGroups.create", "roomGroups.modify",
            "updateManagement.view", "updateManagement.modify", "serviceSettings.view", "roomManagement.view",
        ]
        _ = try await admin.create(PortalRole(id: "scoped-admin", displayName: "Scoped admin", permissions: permissions), idempotencyKey: nil)
        return try await admin.create(
            PortalRoleAssignment(
                id: "as-nobody", roleId: "scoped-admin", displayName: "Nobody, one group",
                members: [PortalMember(kind: .user, id: TenantSeed.userId(TestTenant.nobody))], scope: PortalScope(roomGroupIds: ["rg-one"])),
            idempotencyKey: nil)
    }

    private static func status(_ work: () async throws -> Void) async -> Int? {
        do {
            try await work()
            return nil
        } catch let error as PortalError {
            return error.status
        } catch {
            return -1
        }
    }

    @Test("Writes beyond the scope are refused: ring moves, Pro Manager, a wider own scope, rooms outside, unheld permissions")
    func writes() async throws {
        let portal = try await RunningPortal.start(seed: TestTenant.seed(rooms: 4), tokens: TestTenant.tokens)
        defer { Task { await portal.stopAndRemove() } }
        let own = try await Self.prepare(portal)
        let admin = portal.client(token: "admin-token")
        let scoped = portal.client(token: Self.scopedToken)

        let outside = try await admin.get(PortalRoom.self, id: TestTenant.room(2))
        #expect(await Self.status { _ = try await scoped.moveRoom(TestTenant.room(2), toRing: "staging", ifMatch: outside.etag) } == 404)
        let inside = try await admin.get(PortalRoom.self, id: TestTenant.room(1))
        #expect(await Self.status { _ = try await scoped.moveRoom(TestTenant.room(1), toRing: "staging", ifMatch: inside.etag) } == nil)

        let proManager = PortalRoleAssignment(
            id: "as-escalate", roleId: "teams-rooms-pro-manager", displayName: "Me, everywhere",
            members: [PortalMember(kind: .user, id: TenantSeed.userId(TestTenant.nobody))], scope: PortalScope(allRooms: true))
        #expect(await Self.status { _ = try await scoped.create(proManager, idempotencyKey: nil) } == 403)
        var scopedProManager = proManager
        scopedProManager.scope = PortalScope(roomGroupIds: ["rg-one"])
        #expect(
            await Self.status { _ = try await scoped.create(scopedProManager, idempotencyKey: nil) } == 400, "Pro Manager cannot be scoped at all")

        var wider = own.resource
        wider.scope = PortalScope(allRooms: true)
        #expect(await Self.status { _ = try await scoped.replace(wider, ifMatch: own.etag) } == 403)
        wider.scope = PortalScope(roomGroupIds: ["rg-one"], roomIds: [TestTenant.room(2)])
        #expect(await Self.status { _ = try await scoped.replace(wider, ifMatch: own.etag) } == 403)

        let grab = PortalRoomGroup(id: "rg-grab", displayName: "Grab", roomIds: [TestTenant.room(1), TestTenant.room(2)])
        #expect(await Self.status { _ = try await scoped.create(grab, idempotencyKey: nil) } == 403)
        let site = PortalRoleAssignment(
            id: "as-lead", roleId: "site-lead", displayName: "Leads",
            members: [PortalMember(kind: .user, id: TenantSeed.userId(TestTenant.siteLead))],
            scope: PortalScope(roomGroupIds: ["rg-one"]))
        #expect(await Self.status { _ = try await scoped.create(site, idempotencyKey: nil) } == 403, "site lead grants rights the author lacks")

        // The administrator's own assignment lies outside: it answers as a missing one would.
        let proManagers = try await admin.get(PortalRoleAssignment.self, id: "pro-managers")
        #expect(await Self.status { try await scoped.delete(PortalRoleAssignment.self, id: "pro-managers", ifMatch: proManagers.etag) } == 404)
        #expect(try await admin.get(PortalRoleAssignment.self, id: "pro-managers").etag == proManagers.etag)
    }

    @Test("A principal that may only view, over all rooms, can neither take, renew nor release the reconciler lease, nor read the enrollment key")
    func viewersHoldNothing() async throws {
        try await RunningPortal.with(seed: TestTenant.seed(), tokens: TestTenant.tokens) { portal in
            let admin = portal.client(token: "admin-token")
            let views = [
                "roleManagement.view", "roomGroups.view", "updateManagement.view", "serviceSettings.view", "roomManagement.view", "reports.view",
            ]
            _ = try await admin.create(PortalRole(id: "viewer", displayName: "Viewer", permissions: views), idempotencyKey: nil)
            _ = try await admin.create(
                PortalRoleAssignment(
                    id: "as-viewer", roleId: "viewer", displayName: "Viewers",
                    members: [PortalMember(kind: .user, id: TenantSeed.userId(TestTenant.nobody))],
                    scope: PortalScope(allRooms: true)),
                idempotencyKey: nil)
            let viewer = portal.client(token: Self.scopedToken)
            let request = LeaseRequest(holder: "viewer's drift job", durationSeconds: 600, secret: "secret-of-the-viewer-1234")
            #expect(await Self.status { _ = try await viewer.acquireLease("reconciler", request) } == 403)
            #expect(await Self.status { try await viewer.releaseLease("reconciler", holder: request.holder, secret: request.secret) } == 403)
            let key = try await httpRequest("GET", "\(portal.url)/v1/tenant/enrollmentKey", headers: ["Authorization": "Bearer \(Self.scopedToken)"])
            #expect(key.status == 403, "\(key.body)")
            // The administrator, who may change roles and settings, still can.
            _ = try await admin.acquireLease("reconciler", LeaseRequest(holder: "apply", durationSeconds: 60, secret: "secret-of-the-admin-12345"))
            #expect(
                try await httpRequest("GET", "\(portal.url)/v1/tenant/enrollmentKey", headers: ["Authorization": "Bearer admin-token"]).status == 200)
            // Viewing who holds it is still a view.
            #expect(
                try await httpRequest("GET", "\(portal.url)/v1/leases/reconciler", headers: ["Authorization": "Bearer \(Self.scopedToken)"]).status
                    == 200)
        }
    }

    @Test("Reads beyond the scope answer as missing ones; the enrollment key and others' audit entries stay hidden")
    func reads() async throws {
        let portal = try await RunningPortal.start(seed: TestTenant.seed(rooms: 4), tokens: TestTenant.tokens)
        defer { Task { await portal.stopAndRemove() } }
        _ = try await Self.prepare(portal)
        let admin = portal.client(token: "admin-token")
        let scoped = portal.client(token: Self.scopedToken)
        let room = try await admin.get(PortalRoom.self, id: TestTenant.room(2))
        _ = try await admin.moveRoom(TestTenant.room(2), toRing: "executive", ifMatch: room.etag)

        var outsideError: PortalError?
        var missingError: PortalError?
        do { _ = try await scoped.get(PortalRoom.self, id: TestTenant.room(2)) } catch let error as PortalError { outsideError = error }
        do { _ = try await scoped.get(PortalRoom.self, id: "room-99999@contoso.com") } catch let error as PortalError { missingError = error }
        #expect(outsideError?.status == 404 && missingError?.status == 404)
        #expect(outsideError?.code == missingError?.code)

        let key = try await httpRequest("GET", "\(portal.url)/v1/tenant/enrollmentKey", headers: ["Authorization": "Bearer \(Self.scopedToken)"])
        #expect(key.status == 403, "\(key.body)")

        let audit = try await httpRequest("GET", "\(portal.url)/v1/auditLog?$top=1000", headers: ["Authorization": "Bearer \(Self.scopedToken)"])
        #expect(audit.status == 200)
        let entries = try #require((try JSONSerialization.jsonObject(with: Data(audit.body.utf8)) as? [String: Any])?["value"] as? [[String: Any]])
        let everything = try await httpRequest("GET", "\(portal.url)/v1/auditLog?$top=1000", headers: ["Authorization": "Bearer admin-token"])
        #expect(everything.body.contains(TestTenant.room(2)), "the administrator sees the ring move")
        #expect(entries.allSatisfy { ($0["objectId"] as? String) == TestTenant.room(1) }, "\(entries)")

        // Filtered by action, across pages: the next link keeps the filter.
        let moves = try await httpRequest(
            "GET", "\(portal.url)/v1/auditLog?$top=1&$filter=action%20eq%20'moveToRing'", headers: ["Authorization": "Bearer admin-token"])
        let page = try #require(try JSONSerialization.jsonObject(with: Data(moves.body.utf8)) as? [String: Any])
        #expect((page["value"] as? [[String: Any]])?.map { $0["action"] as? String } == ["moveToRing"], "\(moves.body)")
        if let next = page["@odata.nextLink"] as? String { #expect(next.contains("$filter=action%20eq%20%27moveToRing%27"), "\(next)") }
        #expect(try await admin.deletions().isEmpty, "nothing deleted yet")
        let refused = try await httpRequest(
            "GET", "\(portal.url)/v1/auditLog?$filter=actor%20eq%20'x'", headers: ["Authorization": "Bearer admin-token"])
        #expect(refused.status == 400 && refused.body.contains("action eq 'ACTION'"), "\(refused.body)")
    }
}
