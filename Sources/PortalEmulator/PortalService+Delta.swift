import Crypto
import Foundation
import PortalAPI
import PortalModel

/// Delta reads (`GET /v1/{collection}/delta`), after Microsoft Graph's delta query. The audit
/// log is the change log: every write has a sequence number, so a token is the sequence a read
/// was current at, and the next read reports each object written after it, as it is now, or as
/// removed when it is gone or out of the caller's sight.
///
/// A token also records the store it came from, the caller's view of the collection and when
/// it was issued; a token from another store, for another view (the caller's scope changed, so
/// objects may have come into sight unwritten) or older than `deltaTokenLifetime` answers 410.
extension PortalService {
    /// One page of a delta read: its entries, and either the cursor of the next page or, on the
    /// last page, the token to ask from next time. Both are opaque to callers.
    public struct DeltaRead<R: PortalResource>: Sendable {
        public var entries: [DeltaEntry<R>]
        public var nextPage: String?
        public var deltaToken: String?
    }

    /// Where a delta read stands; encoded as the opaque `$skiptoken` and `$deltatoken`.
    struct DeltaPosition: Codable, Equatable {
        /// The store's identity.
        var epoch: String
        /// The caller's view of the collection.
        var view: String
        /// Report writes after this sequence; nil: a full read.
        var since: Int64?
        /// ... up to and including this one, the latest when the read began.
        var through: Int64
        /// The last id of the page before, while paging.
        var after: String?
        /// When the read began, seconds since 1970.
        var issued: Double

        var encoded: String { Base64URL.encode((try? JSONEncoder().encode(self)) ?? Data()) }

        init(epoch: String, view: String, since: Int64?, through: Int64, after: String?, issued: Double) {
            (self.epoch, self.view, self.since, self.through, self.after, self.issued) = (epoch, view, since, through, after, issued)
        }

        init?(encoded: String) {
            guard encoded.utf8.count <= 4096, let data = Base64URL.decode(encoded),
                let position = try? JSONDecoder().decode(Self.self, from: data)
            else { return nil }
            self = position
        }
    }

    /// One page of what changed in a collection since `token` (every object the caller may
    /// see, without one), continuing from `page` when given.
    public func delta<R: PortalResource>(
        _ type: R.Type, as principal: Principal, token: String?, page: String?, limit: Int, now: Date = Date()
    ) async throws -> DeltaRead<R> {
        let permission = Self.viewPermission(R.collection)
        guard principal.holds(permission) else { throw forbidden(permission) }
        let epoch = try await store.setting("deltaEpoch") ?? ""
        let view = Self.view(of: R.collection, for: principal)
        var position: DeltaPosition
        if let page {
            guard let resumed = DeltaPosition(encoded: page), resumed.epoch == epoch, resumed.view == view else {
                throw PortalError.badRequest("$skiptoken is not one this portal issued; follow @odata.nextLink as given", target: "$skiptoken")
            }
            position = resumed
        } else {
            if R.collection == .rooms { try await completeDueOperations(now: now) }
            let since = try token.map { try acceptedSequence(of: $0, epoch: epoch, view: view, now: now) }
            position = DeltaPosition(
                epoch: epoch, view: view, since: since, through: try await store.latestSequence(), after: nil,
                issued: now.timeIntervalSince1970)
        }
        let stored: [StoredObject]
        var removed: [String] = []
        let more: Bool
        if let since = position.since {
            var ids = try await store.writtenIds(R.collection, from: since, through: position.through, after: position.after, limit: limit)
            more = ids.count == limit
            if R.self == PortalUpdateRing.self, !ids.isEmpty, !more, position.after == nil {
                // A ring's deferment derives from the rings before it: one change can change every ring.
                ids = Array(Set(ids).union(try await store.all(.updateRings).map(\.id))).sorted()
            }
            position.after = ids.last
            stored = try await store.objects(R.collection, ids: ids)
            let found = Set(stored.map(\.id))
            removed = ids.filter { !found.contains($0) }
        } else {
            stored = try await store.list(R.collection, after: position.after, limit: limit)
            more = stored.count == limit
            position.after = stored.last?.id
        }
        var present: [Tagged<R>] = []
        for object in try stored.map(decode(R.self)) {
            if isVisible(object.resource, to: principal) { present.append(object) } else { removed.append(object.resource.id) }
        }
        if position.since == nil { removed = [] }
        let entries = try await withDerivedFields(present).map(DeltaEntry.present) + removed.sorted().map { DeltaEntry<R>.removed(id: $0) }
        if more { return DeltaRead(entries: entries, nextPage: position.encoded, deltaToken: nil) }
        let finished = DeltaPosition(
            epoch: epoch, view: view, since: position.through, through: position.through, after: nil, issued: now.timeIntervalSince1970)
        return DeltaRead(entries: entries, nextPage: nil, deltaToken: finished.encoded)
    }

    /// The sequence a delta token was current at, if this portal can still honour it.
    private func acceptedSequence(of token: String, epoch: String, view: String, now: Date) throws -> Int64 {
        guard let position = DeltaPosition(encoded: token), let since = position.since, position.epoch == epoch, position.view == view,
            now.timeIntervalSince1970 - position.issued <= deltaTokenLifetime
        else {
            throw PortalError(
                status: 410, code: "syncStateNotFound",
                message: "the delta token is expired, from another tenant or for another view of the collection; read again without it",
                target: "$deltatoken")
        }
        return since
    }

    /// What the caller can see of a collection, as a short digest: rooms and devices follow the
    /// scope of the caller's view permission; the other collections are seen whole or not at all.
    static func view(of collection: PortalCollection, for principal: Principal) -> String {
        guard collection == .rooms || collection == .devices, let scope = principal.grants[.roomManagementView], !scope.allRooms
        else { return "all" }
        let digest = SHA256.hash(data: Data(scope.rooms.sorted().joined(separator: "\n").utf8))
        return digest.prefix(12).map { String(format: "%02x", $0) }.joined()
    }
}
