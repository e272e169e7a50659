import Foundation
import PortalAPI
import PortalEmulator
import Reconciler
import StateStore
import TestSupport
import Testing

/// Delta reads against the real emulator server: what a read by delta merges into the cache must
/// be exactly what a whole read returns, and a token the portal cannot honour starts over.
@Suite("Reading the portal by delta")
struct IncrementalReadTests {
    private static let token = TestTenant.tokens[TestTenant.administrator] ?? ""

    /// Every collection of two reads, compared object by object (id, body and entity tag).
    private static func expectSame(_ merged: LiveState, _ whole: LiveState, sourceLocation: SourceLocation = #_sourceLocation) {
        func sorted<R>(_ items: [Tagged<R>]) -> [Tagged<R>] { items.sorted { $0.resource.id < $1.resource.id } }
        #expect(sorted(merged.rooms) == sorted(whole.rooms), sourceLocation: sourceLocation)
        #expect(sorted(merged.devices) == sorted(whole.devices), sourceLocation: sourceLocation)
        #expect(sorted(merged.roles) == sorted(whole.roles), sourceLocation: sourceLocation)
        #expect(sorted(merged.roleAssignments) == sorted(whole.roleAssignments), sourceLocation: sourceLocation)
        #expect(sorted(merged.roomGroups) == sorted(whole.roomGroups), sourceLocation: sourceLocation)
        #expect(sorted(merged.updateRings) == sorted(whole.updateRings), sourceLocation: sourceLocation)
        #expect(sorted(merged.users) == sorted(whole.users), sourceLocation: sourceLocation)
        #expect(sorted(merged.groups) == sorted(whole.groups), sourceLocation: sourceLocation)
    }

    @Test("Creates, replacements, deletions, ring moves and enrollment since the last read are merged to what a whole read sees")
    func mergesChanges() async throws {
        try await RunningPortal.with(seed: TestTenant.seed(rooms: 40), tokens: TestTenant.tokens) { portal in
            let client = portal.client(token: Self.token, pageSize: 7)
            let old = try await client.create(PortalRoomGroup(id: "rg-old", displayName: "Old", roomIds: [TestTenant.room(4)]), idempotencyKey: nil)
            let (first, cache) = try await LiveState.read(from: client)
            #expect(first.roomGroups.contains { $0.resource.id == "rg-old" })
            #expect(first.rooms.count == 40)
            #expect(cache.objectsRead > 40)

            let group = try await client.create(
                PortalRoomGroup(id: "rg-a", displayName: "A", roomIds: [TestTenant.room(1), TestTenant.room(2)]), idempotencyKey: nil)
            let doomed = try await client.create(PortalRoomGroup(id: "rg-b", displayName: "B", roomIds: [TestTenant.room(3)]), idempotencyKey: nil)
            _ = try await client.replace(
                PortalRoomGroup(id: "rg-a", displayName: "A again", roomIds: [TestTenant.room(1)]), ifMatch: group.etag)
            try await client.delete(PortalRoomGroup.self, id: doomed.resource.id, ifMatch: doomed.etag)
            try await client.delete(PortalRoomGroup.self, id: old.resource.id, ifMatch: old.etag)
            let room = try await client.get(PortalRoom.self, id: TestTenant.room(5))
            _ = try await client.moveRoom(room.resource.id, toRing: "staging", ifMatch: room.etag)
            _ = try await client.queue(.enroll, room: TestTenant.room(0))
            _ = try await client.create(
                PortalUpdateRing(id: "pilot", displayName: "Pilot", order: 1, rolloutDays: 1, testDays: 1), idempotencyKey: nil)

            let (merged, next) = try await LiveState.read(from: client, cache: cache)
            // Three room groups, two rooms, and every ring (a new ring changes the others' deferment).
            #expect(next.objectsRead == 3 + 2 + 4)
            #expect(merged.roomGroups.contains { $0.resource.id == "rg-a" && $0.resource.displayName == "A again" })
            #expect(!merged.roomGroups.contains { $0.resource.id == "rg-b" || $0.resource.id == "rg-old" })
            #expect(merged.rooms.first { $0.resource.id == TestTenant.room(0) }?.resource.enrollmentState == "enrolled")
            Self.expectSame(merged, try await LiveState.read(from: client).state)

            let (again, unchanged) = try await LiveState.read(from: client, cache: next)
            #expect(unchanged.objectsRead == 0)
            Self.expectSame(again, merged)
        }
    }

    @Test("A token the portal cannot honour answers 410 syncStateNotFound, and the read starts over whole")
    func unusableToken() async throws {
        try await RunningPortal.with(seed: TestTenant.seed(rooms: 5), tokens: TestTenant.tokens) { portal in
            let client = portal.client(token: Self.token)
            let whole = try await client.changes(PortalRoom.self, since: nil)
            #expect(whole.changed.count == 5 && whole.removed.isEmpty)

            var refusal: PortalError?
            do {
                _ = try await client.changes(PortalRoom.self, since: DeltaToken("not-a-token"))
            } catch let error as PortalError {
                refusal = error
            }
            #expect(refusal?.status == 410)
            #expect(refusal?.code == "syncStateNotFound")

            // Expired: the service keeps tokens seven days, as Microsoft Graph does for directory objects.
            let principal = try await portal.service.principal(userPrincipalName: TestTenant.administrator)
            await #expect(throws: PortalError.self) {
                _ = try await portal.service.delta(
                    PortalRoom.self, as: principal, token: whole.token.value, page: nil, limit: 100, now: Date().addingTimeInterval(8 * 86_400))
            }
            // A caller whose view of the rooms changed: objects may have come into sight unwritten.
            let narrower = Principal(userPrincipalName: TestTenant.administrator, grants: [.roomManagementView: RoomSet(rooms: [TestTenant.room(1)])])
            await #expect(throws: PortalError.self) {
                _ = try await portal.service.delta(PortalRoom.self, as: narrower, token: whole.token.value, page: nil, limit: 100)
            }

            // A cache whose tokens are damaged still gives the whole, right picture.
            let state = try temporaryFolder("roomkeeper-cache")
            defer { try? FileManager.default.removeItem(at: state) }
            let folder = state.appendingPathComponent("cache")
            let (_, cache) = try await LiveState.read(from: client)
            try cache.save(to: folder)
            let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            #expect(files.count == 8)
            for file in files {
                // The emulator's tokens are base64 of JSON: each starts "eyJ"; "xyJ" is no token.
                var bytes = [UInt8](try Data(contentsOf: file))
                let start = try #require(bytes.indices.dropLast(2).first { bytes[$0...].starts(with: Array("eyJ".utf8)) })
                bytes[start] = UInt8(ascii: "x")
                try Data(bytes).write(to: file)
            }
            let (reread, recovered) = try await LiveState.read(
                from: client, cache: PortalReadCache.load(from: folder, portal: client.endpointDescription))
            #expect(recovered.objectsRead == cache.objectsRead)
            Self.expectSame(reread, try await LiveState.read(from: client).state)

            // A file that is not a cache, a cut-off file, or another portal's cache is no cache:
            // those collections are read whole, the others by delta.
            try cache.save(to: folder)
            let rooms = folder.appendingPathComponent("rooms.bin")
            let devices = folder.appendingPathComponent("devices.bin")
            try Data("{\"format\": 1, \"portal\": ".utf8).write(to: rooms)
            let written = try Data(contentsOf: devices)
            try written.prefix(written.count / 2).write(to: devices)
            let (_, partly) = try await LiveState.read(from: client, cache: PortalReadCache.load(from: folder, portal: client.endpointDescription))
            #expect(partly.objectsRead == reread.rooms.count + reread.devices.count)
            let (_, other) = try await LiveState.read(from: client, cache: PortalReadCache.load(from: folder, portal: "http://elsewhere.example"))
            #expect(other.objectsRead == cache.objectsRead)
        }
    }

    @Test("An object that leaves the caller's sight comes back as removed")
    func leavesSight() async throws {
        try await RunningPortal.with(seed: TestTenant.seed(rooms: 3), tokens: TestTenant.tokens) { portal in
            let principal = Principal(
                userPrincipalName: TestTenant.administrator, grants: [.roomManagementView: RoomSet(rooms: [TestTenant.room(0), TestTenant.room(1)])])
            let first = try await portal.service.delta(PortalDevice.self, as: principal, token: nil, page: nil, limit: 100)
            let device = try #require(first.entries.first)
            guard case .present(let seen) = device else {
                Issue.record("the first read of a device is the device")
                return
            }
            let token = try #require(first.deltaToken)

            // The main unit now reports from a room outside the caller's scope.
            var moved = seen.resource
            moved.roomId = TestTenant.room(2)
            try await portal.service.store.write(
                .devices, .replace(id: moved.id, body: try PortalJSON.encoder.encode(moved), ifMatch: nil), actor: "agent")
            let next = try await portal.service.delta(PortalDevice.self, as: principal, token: token, page: nil, limit: 100)
            guard case .removed(let id) = try #require(next.entries.first), next.entries.count == 1 else {
                Issue.record("expected one removal, got \(next.entries)")
                return
            }
            #expect(id == moved.id)
        }
    }
}
