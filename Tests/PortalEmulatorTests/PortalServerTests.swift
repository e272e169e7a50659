import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PortalAPI
import PortalEmulator
import PortalModel
import TestSupport
import Testing

/// The real server on a loopback port, driven by the real client.
@Suite("The emulator over HTTP")
struct PortalServerTests {
    private func withPortal(
        rooms: Int = 3, faults: FaultPlan = FaultPlan(), rateLimit: (perSecond: Double, burst: Double)? = nil,
        operationDelay: TimeInterval = 0, _ body: (RunningPortal) async throws -> Void
    ) async throws {
        let portal = try await RunningPortal.start(
            seed: TestTenant.seed(rooms: rooms), tokens: TestTenant.tokens, faults: faults, rateLimit: rateLimit,
            operationDelay: operationDelay)
        do {
            try await body(portal)
        } catch {
            await portal.stopAndRemove()
            throw error
        }
        await portal.stopAndRemove()
    }

    private var administrator: String { TestTenant.tokens[TestTenant.administrator] ?? "" }

    /// A raw request, for what the client would never send.
    private func raw(
        _ method: HTTPMethod, _ url: String, token: String? = nil, body: String? = nil, on portal: RunningPortal
    ) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await portal.http.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: bytes))
    }

    @Test("No token or an unknown one is 401 with a JSON error body")
    func authentication() async throws {
        try await withPortal { portal in
            let (status, body) = try await raw(.GET, "\(portal.url)/v1/rooms", on: portal)
            #expect(status == 401)
            #expect(body.contains("\"code\":\"Unauthorized\""))
            #expect(try await raw(.GET, "\(portal.url)/v1/rooms", token: "not-a-token", on: portal).0 == 401)
            #expect(try await raw(.GET, "\(portal.url)/v1/rooms", token: administrator, on: portal).0 == 200)
        }
    }

    @Test("A site lead sees and may do only what the permission table grants, only in scope")
    func rbac() async throws {
        try await withPortal { portal in
            let admin = portal.client(token: administrator)
            let group = try await admin.create(
                PortalRoomGroup(id: "", displayName: "First room", roomIds: [TestTenant.room(0)]), idempotencyKey: nil)
            _ = try await admin.create(
                PortalRoleAssignment(
                    id: "", roleId: BuiltInRole.siteLead.rawValue, displayName: "Leads",
                    members: [PortalMember(kind: .group, id: "sg-leads")], scope: PortalScope(roomGroupIds: [group.resource.id])),
                idempotencyKey: nil)
            let lead = portal.client(token: TestTenant.tokens[TestTenant.siteLead] ?? "")
            #expect(try await lead.list(PortalRoom.self).map(\.resource.id) == [TestTenant.room(0)])
            #expect(try await lead.list(PortalDevice.self).count == 1)
            await #expect(throws: PortalError.self) { try await lead.get(PortalRoom.self, id: TestTenant.room(1)) }
            do {
                _ = try await lead.create(PortalRole(id: "", displayName: "Mine", permissions: ["reports.view"]), idempotencyKey: nil)
                Issue.record("a site lead created a role")
            } catch let error as PortalError {
                #expect(error.status == 403)
                #expect(error.message == "this needs the roleManagement.modify permission")
            }
            let nobody = portal.client(token: TestTenant.tokens[TestTenant.nobody] ?? "")
            await #expect(throws: PortalError.self) { try await nobody.list(PortalRoom.self) }
            let me = try await lead.me()
            #expect(me.permissions.first { $0.permission == "roomManagement.view" }?.roomIds == [TestTenant.room(0)])
        }
    }

    @Test("Lists page with nextLink over thousands of objects; $top is bounded")
    func paging() async throws {
        try await withPortal(rooms: 2_500) { portal in
            let rooms = try await portal.client(token: administrator, pageSize: 1000).list(PortalRoom.self)
            #expect(rooms.count == 2_500)
            #expect(Set(rooms.map(\.resource.id)).count == 2_500)
            let (status, body) = try await raw(.GET, "\(portal.url)/v1/rooms?$top=1001", token: administrator, on: portal)
            #expect(status == 400)
            #expect(body.contains("$top must be from 1 to 1000"))
            let (_, first) = try await raw(.GET, "\(portal.url)/v1/rooms?$top=2", token: administrator, on: portal)
            #expect(first.contains("\"@odata.nextLink\":\"http:"))
            #expect(try await raw(.GET, "\(portal.url)/v1/rooms?$skiptoken=!!", token: administrator, on: portal).0 == 400)
        }
    }

    @Test("Over the rate limit the server answers 429 with Retry-After, and the client waits and finishes")
    func throttling() async throws {
        // Three requests at once empty the bucket, which then gains a request every ten seconds:
        // the list that follows at once is throttled, however busy the machine (paging request by
        // request through a bucket of five seconds was not, on a machine where each took longer).
        try await withPortal(rooms: 50, rateLimit: (perSecond: 0.1, burst: 3)) { portal in
            async let first = raw(.GET, "\(portal.url)/v1/rooms?$top=1", token: administrator, on: portal)
            async let second = raw(.GET, "\(portal.url)/v1/rooms?$top=1", token: administrator, on: portal)
            async let third = raw(.GET, "\(portal.url)/v1/rooms?$top=1", token: administrator, on: portal)
            _ = try await (first, second, third)
            let client = portal.client(token: administrator, pageSize: 50)
            #expect(try await client.list(PortalRoom.self).count == 50)
            #expect(client.transportCounts.retried > 0)
            let impatient = portal.client(token: administrator, retry: RetryPolicy(maximumAttempts: 1), pageSize: 5)
            do {
                for _ in 0..<5 { _ = try await impatient.list(PortalRoom.self) }
                Issue.record("never throttled")
            } catch let error as PortalError {
                #expect(error.status == 429)
                #expect(error.retryAfter != nil)
            }
        }
    }

    @Test("Writes need If-Match; a stale entity tag is 412 and changes nothing")
    func entityTags() async throws {
        try await withPortal { portal in
            let client = portal.client(token: administrator)
            let created = try await client.create(
                PortalRoomGroup(id: "", displayName: "Group", roomIds: [TestTenant.room(0)]), idempotencyKey: nil)
            var changed = created.resource
            changed.description = "first edit"
            let first = try await client.replace(changed, ifMatch: created.etag)
            #expect(first.etag != created.etag)
            changed.description = "lost update"
            do {
                _ = try await client.replace(changed, ifMatch: created.etag)
                Issue.record("a stale write went through")
            } catch let error as PortalError {
                #expect(error.status == 412)
            }
            #expect(try await client.get(PortalRoomGroup.self, id: created.resource.id).resource.description == "first edit")
            let path = "\(portal.url)/v1/roomGroups/\(created.resource.id)"
            #expect(try await raw(.DELETE, path, token: administrator, on: portal).0 == 428)
            try await client.delete(PortalRoomGroup.self, id: created.resource.id, ifMatch: first.etag)
            let (status, body) = try await raw(.GET, path, token: administrator, on: portal)
            #expect(status == 404)
            #expect(body.contains("\"target\":\"\(created.resource.id)\""))
        }
    }

    @Test("Room group and role names are unique in any case, a renamed object frees its old name, and every room must exist")
    func uniqueNamesAndRooms() async throws {
        try await withPortal { portal in
            let client = portal.client(token: administrator)
            func status(_ work: () async throws -> Void) async -> Int? {
                do {
                    try await work()
                    return nil
                } catch let error as PortalError { return error.status } catch { return -1 }
            }
            let lobby = try await client.create(
                PortalRoomGroup(id: "rg-lobby", displayName: "Lobby", roomIds: [TestTenant.room(0)]), idempotencyKey: nil)
            #expect(
                await status { _ = try await client.create(PortalRoomGroup(id: "rg-other", displayName: "LOBBY", roomIds: []), idempotencyKey: nil) }
                    == 409)
            // Keeping its own name is no clash; after a rename the old name is free.
            let renamed = try await client.replace(
                PortalRoomGroup(id: "rg-lobby", displayName: "Lobby", description: "same name", roomIds: [TestTenant.room(0)]), ifMatch: lobby.etag)
            _ = try await client.replace(PortalRoomGroup(id: "rg-lobby", displayName: "Foyer", roomIds: [TestTenant.room(0)]), ifMatch: renamed.etag)
            #expect(
                await status { _ = try await client.create(PortalRoomGroup(id: "rg-other", displayName: "lobby", roomIds: []), idempotencyKey: nil) }
                    == nil)

            _ = try await client.create(PortalRole(id: "r-a", displayName: "Help desk", permissions: ["roomManagement.view"]), idempotencyKey: nil)
            #expect(
                await status {
                    _ = try await client.create(
                        PortalRole(id: "r-b", displayName: "HELP DESK", permissions: ["roomManagement.view"]), idempotencyKey: nil)
                } == 409)

            var refusal: PortalError?
            do {
                _ = try await client.create(
                    PortalRoomGroup(id: "rg-ghost", displayName: "Ghost", roomIds: [TestTenant.room(1), "nowhere@contoso.com"]), idempotencyKey: nil)
            } catch let error as PortalError {
                refusal = error
            }
            #expect(refusal?.status == 400)
            #expect(refusal?.message == "room 'nowhere@contoso.com' does not exist")
        }
    }

    @Test("A create repeated with its idempotency key creates one object")
    func idempotentCreate() async throws {
        try await withPortal { portal in
            let client = portal.client(token: administrator)
            let group = PortalRoomGroup(id: "", displayName: "Once", roomIds: [], managedBy: Ownership.roomkeeper, manifestName: "once")
            let first = try await client.create(group, idempotencyKey: "plan-1/create/once")
            let second = try await client.create(group, idempotencyKey: "plan-1/create/once")
            #expect(first == second)
            #expect(try await client.roomGroupsBesidesDefault().count == 1)
        }
    }

    @Test(
        "The portal's rules: built-in roles, default rings and the default room group are immutable; rings keep their limits, the default rings' 14 days included; deferment is derived"
    )
    func rules() async throws {
        try await withPortal { portal in
            let client = portal.client(token: administrator)
            let builtIn = try await client.get(PortalRole.self, id: BuiltInRole.siteLead.rawValue)
            var edited = builtIn.resource
            edited.permissions = []
            await #expect(throws: PortalError.self) { try await client.replace(edited, ifMatch: builtIn.etag) }
            let general = try await client.get(PortalUpdateRing.self, id: "general")
            await #expect(throws: PortalError.self) { try await client.delete(PortalUpdateRing.self, id: "general", ifMatch: general.etag) }
            let defaultGroup = try await client.get(PortalRoomGroup.self, id: PortalRoomGroup.defaultGroupId)
            #expect(defaultGroup.resource.roomIds.count == 3, "the default room group starts with every room")
            await #expect(throws: PortalError.self) {
                try await client.delete(PortalRoomGroup.self, id: PortalRoomGroup.defaultGroupId, ifMatch: defaultGroup.etag)
            }
            let pilot = try await client.create(
                PortalUpdateRing(id: "", displayName: "Pilot", order: 1, rolloutDays: 20, testDays: 16, deferralDays: 99), idempotencyKey: nil)
            #expect(try await client.get(PortalUpdateRing.self, id: pilot.resource.id).resource.deferralDays == 4, "after Staging's 1 + 3 days")
            do {
                _ = try await client.create(
                    PortalUpdateRing(id: "", displayName: "Late", order: 2, rolloutDays: 10, testDays: 1), idempotencyKey: nil)
                Issue.record("rings went over 60 days")
            } catch let error as PortalError {
                #expect(error.message == "rings would add up to 61 days; the limit is 60")
            }
            let late = try await client.create(
                PortalUpdateRing(id: "", displayName: "Late", order: 2, rolloutDays: 10, testDays: 0), idempotencyKey: nil)
            #expect(try await client.get(PortalUpdateRing.self, id: late.resource.id).resource.deferralDays == 40)
            let room = try await client.get(PortalRoom.self, id: TestTenant.room(0))
            let moved = try await client.moveRoom(room.resource.id, toRing: pilot.resource.id, ifMatch: room.etag)
            #expect(moved.resource.updateRingId == pilot.resource.id)
            try await client.delete(PortalUpdateRing.self, id: pilot.resource.id, ifMatch: pilot.etag)
            #expect(try await client.get(PortalRoom.self, id: room.resource.id).resource.updateRingId == "general")
        }
    }

    @Test(
        "A room's main unit checks in with the key and its peripherals; the room waits in onboarding and enrolls through a 202 operation; a panel checks in on its own; a peripheral cannot"
    )
    func enrollment() async throws {
        try await withPortal(operationDelay: 0.3) { portal in
            let client = portal.client(token: administrator)
            let (wrong, _) = try await raw(
                .POST, "\(portal.url)/v1/agent/checkin", body: #"{"serialNumber":"NEW-1","deviceType":"teamsRoom"}"#, on: portal)
            #expect(wrong == 401)
            let key = try await portal.service.enrollmentKey(as: try await portal.service.principal(userPrincipalName: TestTenant.administrator)).key
            func checkin(_ body: String) async throws -> (Int, String) {
                var request = HTTPClientRequest(url: "\(portal.url)/v1/agent/checkin")
                request.method = .POST
                request.headers.add(name: "X-Enrollment-Key", value: key)
                request.body = .bytes(ByteBuffer(string: body))
                let response = try await portal.http.execute(request, timeout: .seconds(30))
                return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
            }
            let (peripheral, refusal) = try await checkin(
                #"{"serialNumber":"TAP-1","deviceType":"touchConsole","roomEmail":"\#(TestTenant.room(1))"}"#)
            #expect(peripheral == 400 && refusal.contains("carries no agent"), "\(refusal)")
            // A Teams panel signs in and enrolls itself; it is not the room's main unit.
            let (panel, _) = try await checkin(
                #"{"serialNumber":"PANEL-1","deviceType":"teamsPanel","manufacturer":"Crestron","roomEmail":"\#(TestTenant.room(1))"}"#)
            #expect(panel == 200)
            #expect(
                try await client.list(PortalDevice.self).map(\.resource).contains { $0.serialNumber == "PANEL-1" && $0.roomId == TestTenant.room(1) })
            #expect(try await client.get(PortalRoom.self, id: TestTenant.room(1)).resource.enrollmentState == nil, "no main unit has checked in yet")
            do {
                _ = try await client.queue(.enroll, room: TestTenant.room(1))
                Issue.record("a room with no main unit was enrolled")
            } catch let error as PortalError {
                #expect(error.status == 409)
            }

            let (status, _) = try await checkin(
                #"{"serialNumber":"NEW-1","deviceType":"teamsRoom","manufacturer":"Lenovo","roomEmail":"\#(TestTenant.room(1))","peripherals":[{"serialNumber":"TAP-1","deviceType":"touchConsole","manufacturer":"Logitech"}]}"#
            )
            #expect(status == 200)
            let devices = try await client.list(PortalDevice.self).map(\.resource).filter { $0.roomId == TestTenant.room(1) }
            #expect(Set(devices.map(\.serialNumber)) == ["NEW-1", "TAP-1", "PANEL-1"], "the main unit reports its peripheral")
            #expect(try await client.get(PortalRoom.self, id: TestTenant.room(1)).resource.enrollmentState == "onboarding")
            let operation = try await client.queue(.enroll, room: TestTenant.room(1))
            #expect(operation.status == .queued && operation.roomId == TestTenant.room(1))
            do {
                _ = try await client.queue(.enroll, room: TestTenant.room(1))
                Issue.record("the same action was queued twice")
            } catch let error as PortalError {
                #expect(error.status == 409)
            }
            // The operation completes once its 0.3 s have passed: wait for it, however busy the machine.
            let deadline = ContinuousClock.now + .seconds(60)
            var current = try await client.operation(operation.id).status
            while current == .queued, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                current = try await client.operation(operation.id).status
            }
            #expect(current == .succeeded)
            #expect(try await client.get(PortalRoom.self, id: TestTenant.room(1)).resource.enrollmentState == "enrolled")
            // The same unit checking in again leaves an enrolled room enrolled.
            _ = try await checkin(#"{"serialNumber":"NEW-1","deviceType":"teamsRoom","manufacturer":"Lenovo","roomEmail":"\#(TestTenant.room(1))"}"#)
            #expect(try await client.get(PortalRoom.self, id: TestTenant.room(1)).resource.enrollmentState == "enrolled")
        }
    }

    @Test(
        "Remote access takes effect only once the tenant opts in; only settings-modify over all rooms may switch it, and membership is fixed at start"
    )
    func remoteAccessSetting() async throws {
        try await withPortal { portal in
            let admin = portal.client(token: administrator)
            let nobody = portal.client(token: TestTenant.tokens[TestTenant.nobody] ?? "")
            #expect(try await admin.tenantSettings() == TenantSettings(remoteAccessEnabled: false, roomGroupMembership: .multiple))
            let role = try await admin.create(
                PortalRole(id: "", displayName: "Remote", permissions: [Permission.remoteAccessView.slug]), idempotencyKey: nil)
            _ = try await admin.create(
                PortalRoleAssignment(
                    id: "", roleId: role.resource.id, displayName: "Remote",
                    members: [PortalMember(kind: .user, id: TenantSeed.userId(TestTenant.nobody))],
                    scope: PortalScope(allRooms: true)),
                idempotencyKey: nil)
            #expect(try await nobody.me().permissions.isEmpty, "granted, but the tenant has not opted in")

            let on = #"{"remoteAccessEnabled":true,"roomGroupMembership":"multiple"}"#
            let lead = TestTenant.tokens[TestTenant.siteLead] ?? ""
            #expect(try await raw(.PUT, "\(portal.url)/v1/tenant/settings", token: lead, body: on, on: portal).0 == 403)
            #expect(try await admin.tenantSettings().remoteAccessEnabled == false, "a refused switch changes nothing")
            let (status, _) = try await raw(.PUT, "\(portal.url)/v1/tenant/settings", token: administrator, body: on, on: portal)
            #expect(status == 200)
            #expect(try await nobody.me().permissions.map(\.permission) == [Permission.remoteAccessView.slug])
            let single = #"{"remoteAccessEnabled":true,"roomGroupMembership":"single"}"#
            #expect(try await raw(.PUT, "\(portal.url)/v1/tenant/settings", token: administrator, body: single, on: portal).0 == 400)
        }
    }

    @Test("With single membership a room joins one room group besides the default one (409 otherwise); by default it may join several")
    func singleMembership() async throws {
        try await withPortal { portal in
            let admin = portal.client(token: administrator)
            func group(_ name: String, _ rooms: [Int]) async throws -> Tagged<PortalRoomGroup> {
                try await admin.create(PortalRoomGroup(id: "", displayName: name, roomIds: rooms.map(TestTenant.room)), idempotencyKey: nil)
            }
            _ = try await group("One", [0])
            _ = try await group("Two", [0, 1])
            try await portal.service.store.setSetting(PortalService.roomGroupMembershipSetting, "single")
            do {
                _ = try await group("Three", [1, 2])
                Issue.record("a room joined a second group under single membership")
            } catch let error as PortalError {
                #expect(error.status == 409)
                #expect(error.message.contains(TestTenant.room(1)))
            }
            _ = try await group("Four", [2])
            let defaultGroup = try await admin.get(PortalRoomGroup.self, id: PortalRoomGroup.defaultGroupId)
            #expect(defaultGroup.resource.roomIds.contains(TestTenant.room(2)), "the default group does not count")
        }
    }

    @Test("A user renamed in the directory signs in under the new name only, and keeps what their assignments grant")
    func renamedUser() async throws {
        try await withPortal { portal in
            let service = portal.service
            let before = try await service.principal(userPrincipalName: TestTenant.administrator)
            let id = TenantSeed.userId(TestTenant.administrator)
            let stored = try #require(try await service.store.get(.users, id: id))
            var user = try PortalJSON.decoder.decode(DirectoryUser.self, from: stored.body)
            user.userPrincipalName = "renamed.admin@contoso.com"
            try await service.store.write(.users, .replace(id: id, body: try PortalJSON.encoder.encode(user), ifMatch: nil), actor: "directory")
            await #expect(throws: PortalError.self) { try await service.principal(userPrincipalName: TestTenant.administrator) }
            let after = try await service.principal(userPrincipalName: "Renamed.Admin@contoso.com")
            #expect(after.grants == before.grants, "the assignment names the id, not the UPN")
        }
    }

    @Test("Entra directory roles reach the portal with no assignment: Global Reader only reads, Teams Devices Administrator writes but not Roles")
    func directoryRoles() async throws {
        var seed = TestTenant.seed()
        seed.users += [
            .init(userPrincipalName: "reader@contoso.com", displayName: "Reader", directoryRoles: [.globalReader]),
            .init(userPrincipalName: "devices@contoso.com", displayName: "Devices", directoryRoles: [.teamsDevicesAdministrator]),
        ]
        var tokens = TestTenant.tokens
        tokens["reader@contoso.com"] = "reader-token-1"
        tokens["devices@contoso.com"] = "devices-token-1"
        try await RunningPortal.with(seed: seed, tokens: tokens) { portal in
            let reader = portal.client(token: "reader-token-1")
            let devices = portal.client(token: "devices-token-1")
            #expect(try await reader.list(PortalRoom.self).count == 3)
            #expect(try await reader.list(PortalRoleAssignment.self).count == 1)
            await #expect(throws: PortalError.self) {
                try await reader.create(PortalRoomGroup(id: "", displayName: "Nope", roomIds: [TestTenant.room(0)]), idempotencyKey: nil)
            }
            _ = try await devices.create(PortalRoomGroup(id: "", displayName: "Yes", roomIds: [TestTenant.room(0)]), idempotencyKey: nil)
            do {
                _ = try await devices.list(PortalRoleAssignment.self)
                Issue.record("a Teams Devices Administrator read the Roles area")
            } catch let error as PortalError {
                #expect(error.status == 403)
            }
        }
    }

    @Test("The lease names its holder to a second taker, and can be taken once released")
    func lease() async throws {
        try await withPortal { portal in
            let client = portal.client(token: administrator)
            let secretA = "secret-of-host-a-0123"
            let secretB = "secret-of-host-b-0123"
            let held = try await client.acquireLease("reconciler", LeaseRequest(holder: "apply on host-a", durationSeconds: 60, secret: secretA))
            for request in [
                LeaseRequest(holder: "apply on host-b", durationSeconds: 60, secret: secretB),
                LeaseRequest(holder: "apply on host-a", durationSeconds: 60, secret: secretB),
            ] {
                do {
                    _ = try await client.acquireLease("reconciler", request)
                    Issue.record("two holders")
                } catch let error as LeaseHeldError {
                    #expect(error.lease.holder == "apply on host-a")
                    #expect(abs(error.lease.acquired.timeIntervalSince(held.acquired)) < 0.001)
                }
            }
            // Releasing needs the holder's secret: the name alone answers as if nothing were held.
            await #expect(throws: PortalError.self) { try await client.releaseLease("reconciler", holder: "apply on host-a", secret: secretB) }
            try await client.releaseLease("reconciler", holder: "apply on host-a", secret: secretA)
            let taken = try await client.acquireLease("reconciler", LeaseRequest(holder: "apply on host-b", durationSeconds: 60, secret: secretB))
            #expect(taken.holder == "apply on host-b")
        }
    }

    @Test("A server restarted on the same file has every write it acknowledged")
    func restart() async throws {
        let first = try await RunningPortal.start(seed: TestTenant.seed(), tokens: TestTenant.tokens)
        let created = try await first.client(token: administrator).create(
            PortalRoomGroup(id: "", displayName: "Survivor", roomIds: [TestTenant.room(2)]), idempotencyKey: nil)
        await first.stop()
        let second = try await RunningPortal.start(seed: TestTenant.seed(), tokens: TestTenant.tokens, folder: first.folder)
        let reread = try await second.client(token: administrator).get(PortalRoomGroup.self, id: created.resource.id)
        #expect(reread == created)
        let audit = try await second.service.audit(
            after: 0, limit: 10_000, as: try await second.service.principal(userPrincipalName: TestTenant.administrator))
        #expect(audit.entries.last?.actor == TestTenant.administrator)
        #expect(audit.entries.last?.action == "create")
        await second.stopAndRemove()
    }
}
