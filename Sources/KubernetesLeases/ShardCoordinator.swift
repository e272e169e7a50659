import Foundation

/// Spreads a partner's tenants over the controller's replicas with Leases, one round at a time:
///
/// 1. The replica renews its heartbeat Lease (`<prefix>-replica-<identity>`, labelled with the
///    group), and counts the replicas whose heartbeats are held and fresh.
/// 2. Each tenant's owner among them is chosen by rendezvous hashing, so each replica owns about
///    its fair share and a replica that comes or goes moves only its own.
/// 3. The replica takes or renews the Lease of each tenant it owns (`<prefix>-tenant-<name>`),
///    and releases those it holds but no longer owns, so the new owner takes them on its next
///    round.
///
/// The tenant's Lease is the lock: a replica acts on a tenant only while `LeaseLock.holds` says
/// so. Every replica watches every tenant's Lease (one list a round). A replica that dies stops
/// renewing; one lease duration later its heartbeat and its tenants' Leases have expired in the
/// others' eyes, and its tenants' new owners take them on their next round. A graceful stop
/// releases them at once.
public actor ShardCoordinator {
    public nonisolated let lock: LeaseLock
    let client: LeaseClient
    let prefix: String
    /// The labels of the replicas' heartbeats, and of the tenants' Leases.
    let groupLabel: [String: String]
    let tenantLabel: [String: String]

    /// - Parameters:
    ///   - lock: this replica's lock; its identity is the replica's (the pod's name).
    ///   - prefix: the start of every Lease name, e.g. `roomkeeper`.
    public init(lock: LeaseLock, client: LeaseClient, prefix: String) {
        self.lock = lock
        self.client = client
        self.prefix = prefix
        groupLabel = ["roomkeeper.io/replicas-of": prefix]
        tenantLabel = ["roomkeeper.io/tenants-of": prefix]
    }

    public nonisolated func heartbeatName(of replica: String) -> String { "\(prefix)-replica-\(replica)" }
    public nonisolated func leaseName(of tenant: String) -> String { "\(prefix)-tenant-\(tenant)" }

    /// Of `tenants`, those whose Leases this replica still holds: what it keeps acting on while
    /// a round fails (until their renew deadlines pass).
    public nonisolated func stillHeld(_ tenants: [String]) -> Set<String> {
        Set(tenants.filter { lock.view.holds(leaseName(of: $0)) })
    }

    /// One round over `tenants`; returns the tenants this replica may act on now.
    public func round(tenants: [String]) async throws -> Set<String> {
        let identity = lock.identity
        guard try await lock.acquireOrRenew(heartbeatName(of: identity), labels: groupLabel) else {
            // Another process claims this replica's name: act on nothing rather than twice.
            return []
        }
        var replicas: Set<String> = [identity]
        for heartbeat in try await client.list(labelSelector: Self.selector(groupLabel)) {
            guard let holder = heartbeat.holder, heartbeat.metadata.name == heartbeatName(of: holder) else { continue }
            if await lock.isHeldAndFresh(heartbeat) { replicas.insert(holder) }
        }
        // Every tenant's Lease is watched, so that a dead replica's are taken one duration after
        // it stopped; the list is also what each take or renewal starts from, with no read of its own.
        let leases = try await client.list(labelSelector: Self.selector(tenantLabel))
        await lock.note(leases)
        let listed = Dictionary(leases.map { ($0.metadata.name, $0) }, uniquingKeysWith: { first, _ in first })
        var mine: Set<String> = []
        for tenant in tenants {
            let name = leaseName(of: tenant)
            if Rendezvous.owner(of: tenant, among: replicas) == identity {
                if try await lock.acquireOrRenew(name, labels: tenantLabel, listed: .some(listed[name])) { mine.insert(tenant) }
            } else if await lock.holds(name) {
                try await lock.release(name)
            }
        }
        // Tenants gone from the catalog are let go too.
        let wanted = Set(tenants.map(leaseName(of:)))
        for name in await lock.held where name.hasPrefix("\(prefix)-tenant-") && !wanted.contains(name) {
            try await lock.release(name)
        }
        return mine
    }

    private static func selector(_ labels: [String: String]) -> String {
        labels.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ",")
    }

    /// Releases every tenant and the heartbeat: a graceful stop hands them over at once.
    public func releaseAll() async {
        for name in await lock.held { try? await lock.release(name) }
        try? await lock.release(heartbeatName(of: lock.identity))
    }
}
