import Crypto
import Foundation
import GRDB
import PortalAPI

/// An object as the store keeps it: its JSON body and the version of its last write.
public struct StoredObject: Sendable, Equatable {
    public var collection: PortalCollection
    public var id: String
    public var body: Data
    /// The sequence number of the write that produced this version; unique across the tenant,
    /// never reused, so it doubles as the entity tag.
    public var version: Int64

    /// The strong entity tag of this version, quoted as HTTP wants it.
    public var etag: String { "\"\(version)\"" }
}

/// Why the store refused a write.
public enum PortalStoreError: Error, Equatable, Sendable {
    case notFound(PortalCollection, String)
    case alreadyExists(PortalCollection, String)
    /// The idempotency key was used for a create in another collection: a different request.
    case idempotencyKeyReused(String)
    /// `If-Match` named another version; `current` is the object's entity tag now.
    case preconditionFailed(current: String)
}

/// The emulator's storage: SQLite through GRDB, in WAL mode, so concurrent readers never block
/// the writer, with SQLite's default `synchronous = FULL`: every acknowledged write survives the
/// emulator's crash and a power loss. (`NORMAL`, which keeps only the first guarantee, made no
/// measurable difference to the end-to-end benchmark's apply, so durability stays.)
///
/// Every write runs in one transaction with its audit entry; the entry's sequence number is the
/// object's new version. Knows nothing of HTTP or RBAC.
public final class PortalStore: Sendable {
    private let database: DatabasePool

    /// Opens (creating and migrating if needed) the store at `path`.
    public init(path: String) throws {
        // The store holds the tenant's enrollment key: only its owner may read it. SQLite gives
        // the -wal and -shm files the database file's own permissions.
        try PrivateFiles.touch(URL(fileURLWithPath: path))
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        database = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(database)
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE object (
                        collection TEXT NOT NULL, id TEXT NOT NULL, body BLOB NOT NULL, version INTEGER NOT NULL,
                        PRIMARY KEY (collection, id)) WITHOUT ROWID;
                    CREATE TABLE audit (
                        sequence INTEGER PRIMARY KEY AUTOINCREMENT, time REAL NOT NULL, actor TEXT NOT NULL,
                        action TEXT NOT NULL, collection TEXT NOT NULL, objectId TEXT NOT NULL, before TEXT, after TEXT);
                    CREATE TABLE idempotency (
                        key TEXT PRIMARY KEY, collection TEXT NOT NULL, objectId TEXT NOT NULL, time REAL NOT NULL);
                    CREATE TABLE lease (
                        name TEXT PRIMARY KEY, holder TEXT NOT NULL, acquired REAL NOT NULL, expires REAL NOT NULL);
                    CREATE TABLE setting (name TEXT PRIMARY KEY, value TEXT NOT NULL);
                    """)
        }
        migrator.registerMigration("v1-operations") { db in
            try db.execute(
                sql: """
                    CREATE TABLE operation (
                        id TEXT PRIMARY KEY, deviceId TEXT NOT NULL, action TEXT NOT NULL, status TEXT NOT NULL, due REAL NOT NULL);
                    CREATE INDEX operation_queued ON operation (status, due);
                    """)
        }
        migrator.registerMigration("v2-lease-secret") { db in
            // A lease taken before holders had secrets can be renewed by nobody: it just expires.
            try db.execute(sql: "ALTER TABLE lease ADD COLUMN secret TEXT NOT NULL DEFAULT ''")
        }
        migrator.registerMigration("v3-room-enrollment") { db in
            // Enrollment moved from devices to rooms: a room takes its main unit's state, and
            // operations queued for a device now name that device's room. Rooms gained a licence,
            // a type and a health, which older rows get as the defaults the seed gives.
            try db.execute(
                sql: """
                    UPDATE object SET body = CAST(json_set(CAST(body AS TEXT),
                        '$.licence', COALESCE(json_extract(CAST(body AS TEXT), '$.licence'), 'pro'),
                        '$.roomType', COALESCE(json_extract(CAST(body AS TEXT), '$.roomType'), 'teamsRooms'),
                        '$.health', COALESCE(json_extract(CAST(body AS TEXT), '$.health'), 'healthy')) AS BLOB)
                    WHERE collection = 'rooms';
                    UPDATE object SET body = CAST(json_set(CAST(body AS TEXT), '$.enrollmentState', (
                        SELECT json_extract(CAST(unit.body AS TEXT), '$.enrollmentState') FROM object AS unit
                        WHERE unit.collection = 'devices'
                          AND json_extract(CAST(unit.body AS TEXT), '$.roomId') = object.id
                          AND json_extract(CAST(unit.body AS TEXT), '$.deviceType') IN ('teamsRoom', 'collaborationBar', 'surfaceHub')
                        LIMIT 1)) AS BLOB)
                    WHERE collection = 'rooms' AND EXISTS (
                        SELECT 1 FROM object AS unit WHERE unit.collection = 'devices'
                          AND json_extract(CAST(unit.body AS TEXT), '$.roomId') = object.id
                          AND json_extract(CAST(unit.body AS TEXT), '$.deviceType') IN ('teamsRoom', 'collaborationBar', 'surfaceHub'));
                    ALTER TABLE operation RENAME COLUMN deviceId TO roomId;
                    UPDATE operation SET roomId = COALESCE((
                        SELECT json_extract(CAST(unit.body AS TEXT), '$.roomId') FROM object AS unit
                        WHERE unit.collection = 'devices' AND unit.id = operation.roomId), roomId);
                    """)
        }
        migrator.registerMigration("v4-delta-epoch") { db in
            // Delta tokens name the store they came from: a token from another store (a tenant
            // seeded again at the same address) is refused rather than misread.
            try db.execute(sql: "INSERT INTO setting (name, value) VALUES ('deltaEpoch', lower(hex(randomblob(16))))")
        }
        migrator.registerMigration("v5-audit-by-action") { db in
            // The audit log filtered by action (deletions, for drift) reads only those entries.
            try db.execute(sql: "CREATE INDEX audit_by_action ON audit (action, sequence)")
        }
        return migrator
    }

    // MARK: - Reading

    public func get(_ collection: PortalCollection, id: String) async throws -> StoredObject? {
        try await database.read { db in try Self.fetch(db, collection, id) }
    }

    /// Up to `limit` objects in id order, starting after the id `after`: a cursor that stays
    /// correct while others write.
    public func list(_ collection: PortalCollection, after: String?, limit: Int) async throws -> [StoredObject] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT id, body, version FROM object WHERE collection = ? AND id > ? ORDER BY id LIMIT ?",
                arguments: [collection.rawValue, after ?? "", limit]
            ).map { StoredObject(collection: collection, id: $0["id"], body: $0["body"], version: $0["version"]) }
        }
    }

    /// Every object of a collection, for the emulator's own rules (scope checks, ring limits).
    public func all(_ collection: PortalCollection) async throws -> [StoredObject] {
        try await list(collection, after: nil, limit: Int(Int32.max))
    }

    /// Every object of `collections` and the audit sequence they are current at, read in one
    /// transaction: the starting point of a projection that `changes(after:in:)` keeps current.
    public func snapshot(_ collections: [PortalCollection]) async throws -> (sequence: Int64, objects: [StoredObject]) {
        try await database.read { db in
            let sequence = try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM audit") ?? 0
            let objects = try collections.flatMap { collection in
                try Row.fetchAll(db, sql: "SELECT id, body, version FROM object WHERE collection = ?", arguments: [collection.rawValue])
                    .map { StoredObject(collection: collection, id: $0["id"], body: $0["body"], version: $0["version"]) }
            }
            return (sequence, objects)
        }
    }

    /// One write, as the audit log records it: the object's body afterwards, nil once deleted.
    public struct LoggedWrite: Sendable {
        public var sequence: Int64
        public var collection: PortalCollection
        public var id: String
        public var body: Data?
    }

    /// The writes to `collections` after audit sequence `sequence`, oldest first.
    public func changes(after sequence: Int64, in collections: [PortalCollection]) async throws -> [LoggedWrite] {
        let placeholders = collections.map { _ in "?" }.joined(separator: ", ")
        return try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT sequence, collection, objectId, after FROM audit
                    WHERE sequence > ? AND collection IN (\(placeholders)) ORDER BY sequence
                    """,
                arguments: StatementArguments([sequence] + collections.map(\.rawValue))
            ).compactMap { row -> LoggedWrite? in
                guard let collection = PortalCollection(rawValue: row["collection"]) else { return nil }
                let after: String? = row["after"]
                return LoggedWrite(sequence: row["sequence"], collection: collection, id: row["objectId"], body: after.map { Data($0.utf8) })
            }
        }
    }

    /// The sequence number of the latest write; 0 before any.
    public func latestSequence() async throws -> Int64 {
        try await database.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(sequence) FROM audit") ?? 0 }
    }

    /// Up to `limit` ids, in order, after the id `after`, of objects of `collection` written in
    /// the sequence range `(from, through]`: what a delta read reports.
    public func writtenIds(
        _ collection: PortalCollection, from: Int64, through: Int64, after: String?, limit: Int
    ) async throws -> [String] {
        try await database.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT DISTINCT objectId FROM audit
                    WHERE sequence > ? AND sequence <= ? AND collection = ? AND objectId > ? ORDER BY objectId LIMIT ?
                    """,
                arguments: [from, through, collection.rawValue, after ?? "", limit])
        }
    }

    /// Which of these ids name objects of `collection`, without reading the objects.
    public func existingIds(_ collection: PortalCollection, among ids: [String]) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            var found: Set<String> = []
            let statement = try db.cachedStatement(sql: "SELECT 1 FROM object WHERE collection = ? AND id = ?")
            for id in ids where try Bool.fetchOne(statement, arguments: [collection.rawValue, id]) == true { found.insert(id) }
            return found
        }
    }

    /// The objects of `collection` with these ids that exist.
    public func objects(_ collection: PortalCollection, ids: [String]) async throws -> [StoredObject] {
        guard !ids.isEmpty else { return [] }
        return try await database.read { db in
            try ids.compactMap { id in try Self.fetch(db, collection, id) }
        }
    }

    public func count(_ collection: PortalCollection) async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM object WHERE collection = ?", arguments: [collection.rawValue]) ?? 0
        }
    }

    /// Audit entries after `sequence`, oldest first.
    /// Audit entries after `sequence`, oldest first; only those of `action` when given.
    public func audit(after sequence: Int64, limit: Int, action: String? = nil) async throws -> [AuditEntry] {
        try await database.read { db in
            let rows =
                if let action {
                    try Row.fetchAll(
                        db, sql: "SELECT * FROM audit WHERE action = ? AND sequence > ? ORDER BY sequence LIMIT ?",
                        arguments: [action, sequence, limit])
                } else {
                    try Row.fetchAll(db, sql: "SELECT * FROM audit WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [sequence, limit])
                }
            return rows.map { row in
                AuditEntry(
                    sequence: row["sequence"], time: Date(timeIntervalSince1970: row["time"]), actor: row["actor"],
                    action: row["action"], collection: row["collection"], objectId: row["objectId"], before: row["before"],
                    after: row["after"])
            }
        }
    }

    /// The object an earlier create with `idempotencyKey` made, if any.
    public func created(by idempotencyKey: String, in collection: PortalCollection) async throws -> StoredObject? {
        try await database.read { db in
            guard
                let id = try String.fetchOne(
                    db, sql: "SELECT objectId FROM idempotency WHERE key = ? AND collection = ?",
                    arguments: [idempotencyKey, collection.rawValue])
            else { return nil }
            return try Self.fetch(db, collection, id)
        }
    }

    // MARK: - Writing

    /// What a write does to one object, decided inside the transaction from its current state.
    public enum Change: Sendable {
        case create(id: String, body: Data)
        case replace(id: String, body: Data, ifMatch: String?)
        case delete(id: String, ifMatch: String?)
    }

    /// Applies `change` atomically with its audit entry. A create with an `idempotencyKey` that
    /// was seen before returns the object that key created, and writes nothing.
    @discardableResult
    public func write(
        _ collection: PortalCollection, _ change: Change, actor: String, action: String? = nil,
        idempotencyKey: String? = nil, now: Date = Date()
    ) async throws -> StoredObject? {
        try await database.write { db in
            if let idempotencyKey,
                let earlier = try String.fetchOne(
                    db, sql: "SELECT objectId FROM idempotency WHERE key = ? AND collection = ?",
                    arguments: [idempotencyKey, collection.rawValue])
            {
                return try Self.fetch(db, collection, earlier)
            }
            switch change {
            case .create(let id, let body):
                if try Self.fetch(db, collection, id) != nil { throw PortalStoreError.alreadyExists(collection, id) }
                let version = try Self.record(db, now, actor, action ?? "create", collection, id, before: nil, after: body)
                try db.execute(
                    sql: "INSERT INTO object (collection, id, body, version) VALUES (?, ?, ?, ?)",
                    arguments: [collection.rawValue, id, body, version])
                if let idempotencyKey {
                    if try Bool.fetchOne(db, sql: "SELECT 1 FROM idempotency WHERE key = ?", arguments: [idempotencyKey]) == true {
                        throw PortalStoreError.idempotencyKeyReused(idempotencyKey)
                    }
                    try db.execute(
                        sql: "INSERT INTO idempotency (key, collection, objectId, time) VALUES (?, ?, ?, ?)",
                        arguments: [idempotencyKey, collection.rawValue, id, now.timeIntervalSince1970])
                }
                return StoredObject(collection: collection, id: id, body: body, version: version)
            case .replace(let id, let body, let ifMatch):
                let current = try Self.existing(db, collection, id, ifMatch: ifMatch)
                let version = try Self.record(db, now, actor, action ?? "replace", collection, id, before: current.body, after: body)
                try db.execute(
                    sql: "UPDATE object SET body = ?, version = ? WHERE collection = ? AND id = ?",
                    arguments: [body, version, collection.rawValue, id])
                return StoredObject(collection: collection, id: id, body: body, version: version)
            case .delete(let id, let ifMatch):
                let current = try Self.existing(db, collection, id, ifMatch: ifMatch)
                try Self.record(db, now, actor, action ?? "delete", collection, id, before: current.body, after: nil)
                try db.execute(
                    sql: "DELETE FROM object WHERE collection = ? AND id = ?", arguments: [collection.rawValue, id])
                return nil
            }
        }
    }

    /// Creates many objects in one transaction (seeding a tenant), each with its audit entry.
    public func insert(_ objects: [(collection: PortalCollection, id: String, body: Data)], actor: String, now: Date = Date()) async throws {
        try await database.write { db in
            for object in objects {
                let version = try Self.record(db, now, actor, "create", object.collection, object.id, before: nil, after: object.body)
                try db.execute(
                    sql: "INSERT INTO object (collection, id, body, version) VALUES (?, ?, ?, ?)",
                    arguments: [object.collection.rawValue, object.id, object.body, version])
            }
        }
    }

    private static func fetch(_ db: Database, _ collection: PortalCollection, _ id: String) throws -> StoredObject? {
        try Row.fetchOne(
            db, sql: "SELECT body, version FROM object WHERE collection = ? AND id = ?", arguments: [collection.rawValue, id]
        ).map { StoredObject(collection: collection, id: id, body: $0["body"], version: $0["version"]) }
    }

    private static func existing(
        _ db: Database, _ collection: PortalCollection, _ id: String, ifMatch: String?
    ) throws -> StoredObject {
        guard let current = try fetch(db, collection, id) else { throw PortalStoreError.notFound(collection, id) }
        if let ifMatch, ifMatch != "*", ifMatch != current.etag {
            throw PortalStoreError.preconditionFailed(current: current.etag)
        }
        return current
    }

    @discardableResult
    private static func record(
        _ db: Database, _ now: Date, _ actor: String, _ action: String, _ collection: PortalCollection, _ id: String,
        before: Data?, after: Data?
    ) throws -> Int64 {
        try db.execute(
            sql: "INSERT INTO audit (time, actor, action, collection, objectId, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [
                now.timeIntervalSince1970, actor, action, collection.rawValue, id,
                before.map { String(decoding: $0, as: UTF8.self) }, after.map { String(decoding: $0, as: UTF8.self) },
            ])
        return db.lastInsertedRowID
    }

    // MARK: - Lease

    /// Takes the lease named `name` for `holder` until `now + duration`, if it is free, expired or
    /// already held with the same holder and `secret` (which renews it). Returns the lease as it
    /// stands after the attempt, and whether the caller holds it. Only a digest of the secret is kept.
    public func acquireLease(
        _ name: String, holder: String, secret: String, duration: TimeInterval, now: Date = Date()
    ) async throws -> (lease: Lease, granted: Bool) {
        let digest = Self.digest(secret)
        return try await database.write { db in
            let expires = now.addingTimeInterval(duration)
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM lease WHERE name = ?", arguments: [name]) {
                let current = Lease(
                    holder: row["holder"], acquired: Date(timeIntervalSince1970: row["acquired"]),
                    expires: Date(timeIntervalSince1970: row["expires"]))
                let ours = current.holder == holder && row["secret"] == digest
                if !ours && current.expires > now { return (current, false) }
                let acquired = ours ? current.acquired : now
                try db.execute(
                    sql: "UPDATE lease SET holder = ?, acquired = ?, expires = ?, secret = ? WHERE name = ?",
                    arguments: [holder, acquired.timeIntervalSince1970, expires.timeIntervalSince1970, digest, name])
                return (Lease(holder: holder, acquired: acquired, expires: expires), true)
            }
            try db.execute(
                sql: "INSERT INTO lease (name, holder, acquired, expires, secret) VALUES (?, ?, ?, ?, ?)",
                arguments: [name, holder, now.timeIntervalSince1970, expires.timeIntervalSince1970, digest])
            return (Lease(holder: holder, acquired: now, expires: expires), true)
        }
    }

    private static func digest(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// The lease as it stands, if anyone took it (it may have expired).
    public func lease(_ name: String) async throws -> Lease? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM lease WHERE name = ?", arguments: [name]).map { row in
                Lease(
                    holder: row["holder"], acquired: Date(timeIntervalSince1970: row["acquired"]),
                    expires: Date(timeIntervalSince1970: row["expires"]))
            }
        }
    }

    /// Gives the lease up if `holder` holds it with `secret`; returns whether it did.
    @discardableResult
    public func releaseLease(_ name: String, holder: String, secret: String) async throws -> Bool {
        let digest = Self.digest(secret)
        return try await database.write { db in
            try db.execute(sql: "DELETE FROM lease WHERE name = ? AND holder = ? AND secret = ?", arguments: [name, holder, digest])
            return db.changesCount > 0
        }
    }

    // MARK: - Room operations

    /// Queues `action` on a room, due at `due`; refuses while one is queued for the room.
    public func enqueue(_ operation: RoomOperation, due: Date) async throws {
        try await database.write { db in
            let pending =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM operation WHERE roomId = ? AND status = 'queued'", arguments: [operation.roomId]) ?? 0
            guard pending == 0 else {
                throw PortalError.conflict("an action is already queued for room \(operation.roomId)", target: operation.roomId)
            }
            try db.execute(
                sql: "INSERT INTO operation (id, roomId, action, status, due) VALUES (?, ?, ?, 'queued', ?)",
                arguments: [operation.id, operation.roomId, operation.action.rawValue, due.timeIntervalSince1970])
        }
    }

    public func operation(_ id: String) async throws -> RoomOperation? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM operation WHERE id = ?", arguments: [id]).map(Self.operation)
        }
    }

    /// Queued operations due by `now`, oldest first.
    public func dueOperations(now: Date) async throws -> [RoomOperation] {
        try await database.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM operation WHERE status = 'queued' AND due <= ? ORDER BY due, id",
                arguments: [now.timeIntervalSince1970]
            ).map(Self.operation)
        }
    }

    /// Marks an operation done and writes the room's new body in the same transaction.
    public func complete(
        _ operation: RoomOperation, status: RoomOperation.Status, roomBody: Data?, actor: String, now: Date = Date()
    ) async throws {
        try await database.write { db in
            try db.execute(
                sql: "UPDATE operation SET status = ? WHERE id = ? AND status = 'queued'", arguments: [status.rawValue, operation.id])
            guard db.changesCount > 0, let roomBody else { return }
            let id = operation.roomId
            let current = try Self.existing(db, .rooms, id, ifMatch: nil)
            let version = try Self.record(db, now, actor, operation.action.rawValue, .rooms, id, before: current.body, after: roomBody)
            try db.execute(
                sql: "UPDATE object SET body = ?, version = ? WHERE collection = ? AND id = ?",
                arguments: [roomBody, version, PortalCollection.rooms.rawValue, id])
        }
    }

    private static func operation(_ row: Row) -> RoomOperation {
        RoomOperation(
            id: row["id"], roomId: row["roomId"], action: RoomOperation.Action(rawValue: row["action"]) ?? .enroll,
            status: RoomOperation.Status(rawValue: row["status"]) ?? .failed)
    }

    // MARK: - Settings

    public func setting(_ name: String) async throws -> String? {
        try await database.read { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE name = ?", arguments: [name]) }
    }

    public func setSetting(_ name: String, _ value: String) async throws {
        try await database.write { db in
            try db.execute(
                sql: "INSERT INTO setting (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
                arguments: [name, value])
        }
    }
}
