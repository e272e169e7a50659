import Foundation
import GRDB
import PortalAPI
import PortalEmulator
import TestSupport
import Testing

@Suite("The emulator's SQLite store")
struct PortalStoreTests {
    private func withStore(_ body: (PortalStore, URL) async throws -> Void) async throws {
        let folder = try temporaryFolder("roomkeeper-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("portal.sqlite")
        try await body(try PortalStore(path: path.path), path)
    }

    private func body(_ text: String) -> Data { Data(text.utf8) }

    @Test("Each write gets a new version, and the audit log records who did what, before and after")
    func versionsAndAudit() async throws {
        try await withStore { store, _ in
            let created = try #require(try await store.write(.roomGroups, .create(id: "g1", body: body("{\"a\":1}")), actor: "alice"))
            let replaced = try #require(
                try await store.write(.roomGroups, .replace(id: "g1", body: body("{\"a\":2}"), ifMatch: created.etag), actor: "bob"))
            #expect(replaced.version > created.version)
            try await store.write(.roomGroups, .delete(id: "g1", ifMatch: replaced.etag), actor: "carol")
            #expect(try await store.get(.roomGroups, id: "g1") == nil)
            let audit = try await store.audit(after: 0, limit: 10)
            #expect(audit.map(\.actor) == ["alice", "bob", "carol"])
            #expect(audit.map(\.action) == ["create", "replace", "delete"])
            #expect(audit[1].before == "{\"a\":1}")
            #expect(audit[1].after == "{\"a\":2}")
            #expect(audit[2].after == nil)
        }
    }

    @Test("A write with a stale entity tag is refused and changes nothing")
    func staleETag() async throws {
        try await withStore { store, _ in
            let first = try #require(try await store.write(.roles, .create(id: "r", body: body("1")), actor: "a"))
            let second = try #require(try await store.write(.roles, .replace(id: "r", body: body("2"), ifMatch: first.etag), actor: "a"))
            await #expect(throws: PortalStoreError.preconditionFailed(current: second.etag)) {
                try await store.write(.roles, .replace(id: "r", body: body("3"), ifMatch: first.etag), actor: "b")
            }
            await #expect(throws: PortalStoreError.preconditionFailed(current: second.etag)) {
                try await store.write(.roles, .delete(id: "r", ifMatch: first.etag), actor: "b")
            }
            #expect(try await store.get(.roles, id: "r")?.body == body("2"))
            #expect(try await store.audit(after: 0, limit: 10).count == 2)
        }
    }

    @Test("A create repeated with the same idempotency key returns the first object and creates nothing")
    func idempotentCreate() async throws {
        try await withStore { store, _ in
            let first = try await store.write(.roomGroups, .create(id: "g-1", body: body("x")), actor: "a", idempotencyKey: "k1")
            let again = try await store.write(.roomGroups, .create(id: "g-2", body: body("y")), actor: "a", idempotencyKey: "k1")
            #expect(again == first)
            #expect(try await store.count(.roomGroups) == 1)
            await #expect(throws: PortalStoreError.alreadyExists(.roomGroups, "g-1")) {
                try await store.write(.roomGroups, .create(id: "g-1", body: body("z")), actor: "a")
            }
        }
    }

    @Test("Listing pages by id cursor, and every acknowledged write survives reopening the file")
    func pagingAndDurability() async throws {
        try await withStore { store, path in
            for index in 0..<250 {
                try await store.write(.rooms, .create(id: String(format: "room-%03d", index), body: body("{}")), actor: "seed")
            }
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await store.list(.rooms, after: cursor, limit: 100)
                seen += page.map(\.id)
                cursor = page.count == 100 ? page.last?.id : nil
            } while cursor != nil
            #expect(seen.count == 250)
            #expect(seen == seen.sorted())
            let reopened = try PortalStore(path: path.path)
            #expect(try await reopened.count(.rooms) == 250)
        }
    }

    @Test("Concurrent writers lose nothing")
    func concurrentWriters() async throws {
        try await withStore { store, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<8 {
                    group.addTask {
                        for index in 0..<50 {
                            try await store.write(.devices, .create(id: "d-\(writer)-\(index)", body: Data("{}".utf8)), actor: "w\(writer)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.count(.devices) == 400)
            #expect(try await store.audit(after: 0, limit: 1000).count == 400)
        }
    }

    @Test("The lease is exclusive until it expires, renewable and releasable only by its holder with its secret")
    func lease() async throws {
        try await withStore { store, _ in
            let start = Date(timeIntervalSince1970: 1_000_000)
            let (first, granted) = try await store.acquireLease("reconciler", holder: "apply-1", secret: "secret-1", duration: 60, now: start)
            #expect(first.holder == "apply-1" && granted)
            let refused = try await store.acquireLease(
                "reconciler", holder: "apply-2", secret: "secret-2", duration: 60, now: start.addingTimeInterval(30))
            #expect(refused.lease == first && !refused.granted)
            // Knowing the holder's name is not enough: renewing needs the secret too.
            let impostor = try await store.acquireLease(
                "reconciler", holder: "apply-1", secret: "guessed", duration: 60, now: start.addingTimeInterval(40))
            #expect(!impostor.granted)
            #expect(try await store.releaseLease("reconciler", holder: "apply-1", secret: "guessed") == false)
            let renewed = try await store.acquireLease(
                "reconciler", holder: "apply-1", secret: "secret-1", duration: 60, now: start.addingTimeInterval(50))
            #expect(renewed.granted && renewed.lease.acquired == start)
            #expect(renewed.lease.expires == start.addingTimeInterval(110))
            let afterExpiry = try await store.acquireLease(
                "reconciler", holder: "apply-2", secret: "secret-2", duration: 60, now: start.addingTimeInterval(111))
            #expect(afterExpiry.granted && afterExpiry.lease.holder == "apply-2")
            #expect(try await store.releaseLease("reconciler", holder: "apply-1", secret: "secret-1") == false)
            #expect(try await store.releaseLease("reconciler", holder: "apply-2", secret: "secret-2") == true)
        }
    }

    @Test("A database from before rooms enrolled is migrated: each room takes its main unit's state, queued operations name the room")
    func roomEnrollmentMigration() async throws {
        let folder = try temporaryFolder("roomkeeper-store")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("portal.sqlite").path
        // The schema and rows an emulator wrote before migration v3, when devices carried enrollment.
        let old = try DatabaseQueue(path: path)
        try await old.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1'), ('v1-operations'), ('v2-lease-secret');
                    CREATE TABLE object (
                        collection TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, version INTEGER NOT NULL,
                        PRIMARY KEY (collection, id)) WITHOUT ROWID;
                    CREATE TABLE audit (
                        sequence INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, actor TEXT NOT NULL,
                        action TEXT NOT NULL, collection TEXT NOT NULL, objectId TEXT NOT NULL, before TEXT, after TEXT);
                    CREATE TABLE idempotency (key TEXT PRIMARY KEY, collection TEXT NOT NULL, objectId TEXT NOT NULL, time REAL NOT NULL);
                    CREATE TABLE lease (
                        name TEXT PRIMARY KEY, holder TEXT NOT NULL, acquired REAL NOT NULL, expires REAL NOT NULL, secret TEXT NOT NULL DEFAULT '');
                    CREATE TABLE setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                    CREATE TABLE operation (
                        id TEXT PRIMARY KEY, deviceId TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL, due REAL NOT NULL);
                    CREATE INDEX operation_queued ON operation (status, due);
                    """)
            let rows: [(String, String, String)] = [
                ("rooms", "a@x.com", #"{"id":"a@x.com","displayName":"A","email":"a@x.com","location":{},"labels":{},"updateRingId":"general"}"#),
                ("rooms", "b@x.com", #"{"id":"b@x.com","displayName":"B","email":"b@x.com","location":{},"labels":{},"updateRingId":"general"}"#),
                (
                    "devices", "d1",
                    #"{"id":"d1","serialNumber":"S1","deviceType":"teamsRoom","roomId":"a@x.com","enrollmentState":"onboarding","connectivity":"connected","health":"healthy"}"#
                ),
                (
                    "devices", "d2",
                    #"{"id":"d2","serialNumber":"T1","deviceType":"touchConsole","roomId":"a@x.com","enrollmentState":"enrolled","connectivity":"connected","health":"healthy"}"#
                ),
            ]
            for (collection, id, body) in rows {
                try db.execute(
                    sql: "INSERT INTO object (collection, id, body, version) VALUES (?, ?, ?, 1)", arguments: [collection, id, Data(body.utf8)])
            }
            try db.execute(sql: "INSERT INTO operation VALUES ('op-1', 'd1', 'enroll', 'queued', 0)")
        }
        try old.close()

        let store = try PortalStore(path: path)
        func room(_ id: String) async throws -> PortalRoom {
            try PortalJSON.decoder.decode(PortalRoom.self, from: try #require(try await store.get(.rooms, id: id)).body)
        }
        #expect(try await room("a@x.com").enrollmentState == "onboarding", "the main unit's state, not the peripheral's")
        #expect(try await room("b@x.com").enrollmentState == nil, "no main unit, no agent")
        #expect(try await store.operation("op-1")?.roomId == "a@x.com")
    }
}
