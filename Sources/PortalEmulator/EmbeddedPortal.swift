import Foundation
import PortalAPI

/// The emulated portal in process: the emulator's store and rules without HTTP, the portal
/// Roomkeeper uses when none is configured, so a first `plan` works with nothing to start.
///
/// Acts as one directory user, so RBAC applies as it would over HTTP.
public final class EmbeddedPortal: Portal {
    public let service: PortalService
    public let databasePath: String
    public let userPrincipalName: String

    public init(service: PortalService, databasePath: String, actingAs userPrincipalName: String) {
        self.service = service
        self.databasePath = databasePath
        self.userPrincipalName = userPrincipalName
    }

    /// The service account the example tenant gives Roomkeeper.
    public static let exampleServiceAccount = "roomkeeper@contoso.com"

    /// Opens the embedded portal at `path`, creating it from the example tenant on first use.
    public static func open(path: String) async throws -> EmbeddedPortal {
        let store = try PortalStore(path: path)
        let (seed, diagnostics) = try TenantSeed.contoso()
        if let problem = diagnostics.first(where: { $0.severity == .error }) {
            throw PortalError(status: 500, code: "BrokenFixture", message: "the example tenant does not load: \(problem.message)")
        }
        try await seed.seed(into: store)
        return EmbeddedPortal(service: PortalService(store: store), databasePath: path, actingAs: exampleServiceAccount)
    }

    public var endpointDescription: String { Self.endpointDescription(path: databasePath) }

    /// The description the embedded portal at `path` gives, known before it is opened.
    public static func endpointDescription(path: String) -> String { "embedded portal (\(path))" }

    private func principal() async throws -> Principal {
        try await service.principal(userPrincipalName: userPrincipalName)
    }

    public func list<R: PortalResource>(_ type: R.Type) async throws -> [Tagged<R>] {
        let principal = try await principal()
        var items: [Tagged<R>] = []
        var cursor: String?
        while true {
            let page = try await service.list(R.self, as: principal, after: cursor, limit: 1000)
            items += page.items
            guard page.more, let last = page.last else { return items }
            cursor = last
        }
    }

    public func changes<R: PortalResource>(_ type: R.Type, since token: DeltaToken?) async throws -> CollectionChanges<R> {
        let principal = try await principal()
        var changes = CollectionChanges<R>(changed: [], removed: [], token: DeltaToken(""))
        var page: String?
        while true {
            let read = try await service.delta(R.self, as: principal, token: page == nil ? token?.value : nil, page: page, limit: 1000)
            changes.record(read.entries)
            if let next = read.nextPage {
                page = next
            } else {
                changes.token = DeltaToken(read.deltaToken ?? "")
                return changes
            }
        }
    }

    public func get<R: PortalResource>(_ type: R.Type, id: String) async throws -> Tagged<R> {
        try await service.get(R.self, id: id, as: try await principal())
    }

    public func create<R: OwnedResource>(_ resource: R, idempotencyKey: String?) async throws -> Tagged<R> {
        try await service.create(resource, as: try await principal(), idempotencyKey: idempotencyKey)
    }

    public func replace<R: OwnedResource>(_ resource: R, ifMatch: String) async throws -> Tagged<R> {
        try await service.replace(resource, ifMatch: ifMatch, as: try await principal())
    }

    public func delete<R: OwnedResource>(_ type: R.Type, id: String, ifMatch: String) async throws {
        try await service.delete(R.self, id: id, ifMatch: ifMatch, as: try await principal())
    }

    public func moveRoom(_ roomId: String, toRing ringId: String, ifMatch: String) async throws -> Tagged<PortalRoom> {
        try await service.moveRoom(roomId, toRing: ringId, ifMatch: ifMatch, as: try await principal())
    }

    public func queue(_ action: RoomOperation.Action, room: String) async throws -> RoomOperation {
        try await service.queue(action, room: room, as: try await principal())
    }

    public func operation(_ id: String) async throws -> RoomOperation {
        try await service.operation(id, as: try await principal())
    }

    public func tenantSettings() async throws -> TenantSettings {
        try await service.tenantSettings(as: try await principal())
    }

    public func deletions() async throws -> [AuditEntry] {
        let principal = try await principal()
        var entries: [AuditEntry] = []
        var after: Int64 = 0
        while true {
            let page = try await service.audit(after: after, limit: 1000, action: "delete", as: principal)
            entries += page.entries
            guard page.more, let last = page.last else { return entries }
            after = last
        }
    }

    public func me() async throws -> Me {
        service.me(try await principal())
    }

    public func acquireLease(_ name: String, _ request: LeaseRequest) async throws -> Lease {
        try await service.acquireLease(name, request, as: try await principal())
    }

    public func releaseLease(_ name: String, holder: String, secret: String) async throws {
        try await service.releaseLease(name, holder: holder, secret: secret, as: try await principal())
    }
}
