/// The portal as the reconciler sees it: the embedded portal and the HTTP client both conform,
/// so planning and applying have one code path whichever portal is in use.
///
/// Errors are `PortalError` (and `LeaseHeldError` from `acquireLease`).
public protocol Portal: Sendable {
    /// Which portal this is, for output: "embedded portal at ~/.local/state/..." or the URL.
    /// Never contains a credential.
    var endpointDescription: String { get }

    /// Every object of a collection that the caller may see, following pages to the end.
    func list<R: PortalResource>(_ type: R.Type) async throws -> [Tagged<R>]
    /// What changed in a collection since `token`: with no token, every object the caller may
    /// see. Throws `PortalError` 410 when the portal can no longer honour the token; read again
    /// without one.
    func changes<R: PortalResource>(_ type: R.Type, since token: DeltaToken?) async throws -> CollectionChanges<R>
    func get<R: PortalResource>(_ type: R.Type, id: String) async throws -> Tagged<R>
    /// Creates an object; repeating it with the same `idempotencyKey` creates nothing new.
    func create<R: OwnedResource>(_ resource: R, idempotencyKey: String?) async throws -> Tagged<R>
    func replace<R: OwnedResource>(_ resource: R, ifMatch: String) async throws -> Tagged<R>
    func delete<R: OwnedResource>(_ type: R.Type, id: String, ifMatch: String) async throws
    func moveRoom(_ roomId: String, toRing ringId: String, ifMatch: String) async throws -> Tagged<PortalRoom>
    /// Queues enrolling or unenrolling a room.
    func queue(_ action: RoomOperation.Action, room: String) async throws -> RoomOperation
    func operation(_ id: String) async throws -> RoomOperation
    func tenantSettings() async throws -> TenantSettings
    func me() async throws -> Me
    /// Every deletion the audit log records, oldest first (`GET /v1/auditLog` with
    /// `$filter=action eq 'delete'`); needs serviceSettings.view.
    func deletions() async throws -> [AuditEntry]
    func acquireLease(_ name: String, _ request: LeaseRequest) async throws -> Lease
    func releaseLease(_ name: String, holder: String, secret: String) async throws
    /// What the transport had to do again since the portal was opened; nothing for a portal
    /// with no transport of its own.
    var transportCounts: PortalTransportCounts { get }
}

extension Portal {
    public var transportCounts: PortalTransportCounts { PortalTransportCounts() }
}

/// What a portal's transport did beyond one request per call.
public struct PortalTransportCounts: Sendable, Equatable {
    /// Requests sent again: throttling, server errors, lost connections.
    public var retried = 0
    /// Writes whose answer was lost, then confirmed by reading back that they had landed.
    public var confirmedAfterLostAnswer = 0

    public init(retried: Int = 0, confirmedAfterLostAnswer: Int = 0) {
        self.retried = retried
        self.confirmedAfterLostAnswer = confirmedAfterLostAnswer
    }
}
