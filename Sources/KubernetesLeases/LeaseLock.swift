import Foundation
import Synchronization

/// Takes, renews and releases Leases as client-go's leader election does, one lock per Lease
/// name (a tenant's, or a replica's heartbeat):
///
/// - A Lease nobody holds (absent, or its holder empty) is taken at once.
/// - A Lease another holds is taken only once it has not changed for its `leaseDurationSeconds`
///   *as this process saw it*: expiry is measured from when this replica last saw the Lease
///   change (its `resourceVersion`), never from the `renewTime` another machine's clock wrote.
/// - Every write names the `resourceVersion` it read, so of two replicas racing for one Lease
///   the API lets one win (409 Conflict for the other), and a create that loses is 409
///   AlreadyExists.
/// - A holder counts itself the holder only until `renewDeadline` after its last renewal. The
///   deadline is shorter than the lease duration, so a replica that cannot reach the API stops
///   acting before any other may take the Lease.
/// - Releasing empties the holder (with a one-second duration), so another replica takes the
///   Lease on its next try instead of waiting out the duration.
public actor LeaseLock {
    public let identity: String
    public let leaseDurationSeconds: Int
    public let renewDeadlineSeconds: Double
    let client: LeaseClient
    let now: @Sendable () -> Date

    /// Per Lease: the version last seen and when this process saw it change.
    private var observed: [String: (resourceVersion: String?, at: Date)] = [:]
    /// Per Lease held: when this process last wrote it.
    private var renewed: [String: Date] = [:] {
        didSet { view.publish(renewed) }
    }
    /// What this replica holds, readable without waiting on the actor: what an apply checks
    /// between its writes.
    public nonisolated let view: HeldLeases

    public init(
        client: LeaseClient, identity: String, leaseDurationSeconds: Int = 15, renewDeadlineSeconds: Double = 10,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        precondition(renewDeadlineSeconds < Double(leaseDurationSeconds), "the renew deadline must end before the lease can be taken")
        self.client = client
        self.identity = identity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.renewDeadlineSeconds = renewDeadlineSeconds
        self.now = now
        view = HeldLeases(renewDeadlineSeconds: renewDeadlineSeconds, now: now)
    }

    /// Takes the Lease `name`, or renews it when this replica holds it; false when another
    /// holds it and it has not expired, or another won the race. A failed call leaves what this
    /// replica holds to `holds(_:)`'s deadline. `labels` go on a Lease this call creates.
    /// `listed` is the Lease as a list just read it (`.some(nil)`: absent), so that it is not read
    /// again; by default it is read.
    public func acquireOrRenew(_ name: String, labels: [String: String]? = nil, listed: Lease?? = nil) async throws -> Bool {
        let time = now()
        let read: Lease? = if let listed { listed } else { try await client.get(name) }
        guard let current = read else {
            let lease = Lease(
                metadata: .init(name: name, labels: labels),
                spec: .init(
                    holderIdentity: identity, leaseDurationSeconds: leaseDurationSeconds, acquireTime: MicroTime.text(time),
                    renewTime: MicroTime.text(time), leaseTransitions: 0))
            return try await write(name, at: time) { try await client.create(lease) }
        }
        observe(current, at: time)
        if let holder = current.holder, holder != identity, let seen = observed[name] {
            let duration = Double(current.spec.leaseDurationSeconds ?? leaseDurationSeconds)
            if time.timeIntervalSince(seen.at) < duration {
                renewed[name] = nil
                return false
            }
        }
        var next = current
        if current.holder != identity {
            next.spec.acquireTime = MicroTime.text(time)
            next.spec.leaseTransitions = (current.spec.leaseTransitions ?? 0) + 1
        }
        next.spec.holderIdentity = identity
        next.spec.renewTime = MicroTime.text(time)
        next.spec.leaseDurationSeconds = leaseDurationSeconds
        return try await write(name, at: time) { try await client.update(next) }
    }

    /// Writes the Lease as its holder; false when another replica wrote first (409).
    private func write(_ name: String, at time: Date, _ send: () async throws -> Lease) async throws -> Bool {
        do {
            observe(try await send(), at: time)
            renewed[name] = time
            return true
        } catch LeaseError.alreadyExists, LeaseError.conflict {
            renewed[name] = nil
            return false
        }
    }

    /// Whether this replica may act as the holder of `name` now: it renewed the Lease within
    /// the renew deadline.
    public func holds(_ name: String) -> Bool {
        guard let last = renewed[name] else { return false }
        return now().timeIntervalSince(last) < renewDeadlineSeconds
    }

    /// The Leases this replica may act on now.
    public var held: Set<String> { Set(renewed.keys.filter { holds($0) }) }

    /// Gives up `name` at once, if this replica holds it: the holder is emptied, so another
    /// takes it on its next try. Stops acting on it first, whatever the API answers.
    public func release(_ name: String) async throws {
        renewed[name] = nil
        guard var current = try await client.get(name), current.holder == identity else { return }
        let time = MicroTime.text(now())
        current.spec.holderIdentity = ""
        current.spec.leaseDurationSeconds = 1
        current.spec.acquireTime = time
        current.spec.renewTime = time
        _ = try? await client.update(current)
    }

    /// Notes Leases read by a list: watching the Leases it may one day take starts their expiry
    /// clocks early, so that a dead holder's Lease is taken one duration after it stopped, not
    /// one duration after this replica first looked.
    public func note(_ leases: [Lease]) {
        let time = now()
        for lease in leases { observe(lease, at: time) }
    }

    /// Whether another replica's Lease, just read, is held and has changed within its duration
    /// as this replica saw it: how a replica's heartbeat tells that it is alive.
    public func isHeldAndFresh(_ lease: Lease) -> Bool {
        note([lease])
        let time = now()
        guard lease.holder != nil, let seen = observed[lease.metadata.name] else { return false }
        return time.timeIntervalSince(seen.at) < Double(lease.spec.leaseDurationSeconds ?? leaseDurationSeconds)
    }

    /// Notes a read or write of the Lease: the clock of its expiry restarts when it changed.
    private func observe(_ lease: Lease, at time: Date) {
        let name = lease.metadata.name
        if observed[name]?.resourceVersion != lease.metadata.resourceVersion || observed[name] == nil {
            observed[name] = (lease.metadata.resourceVersion, time)
        }
    }
}

/// The Leases a `LeaseLock` holds, as of its last write, for code that cannot wait on the actor.
public final class HeldLeases: Sendable {
    private let renewed = Mutex<[String: Date]>([:])
    let renewDeadlineSeconds: Double
    let now: @Sendable () -> Date

    init(renewDeadlineSeconds: Double, now: @escaping @Sendable () -> Date) {
        self.renewDeadlineSeconds = renewDeadlineSeconds
        self.now = now
    }

    func publish(_ renewed: [String: Date]) { self.renewed.withLock { $0 = renewed } }

    /// Whether the Lease `name` was renewed within the renew deadline: as `LeaseLock.holds`.
    public func holds(_ name: String) -> Bool {
        guard let last = renewed.withLock({ $0[name] }) else { return false }
        return now().timeIntervalSince(last) < renewDeadlineSeconds
    }
}

/// Which replica serves which tenant: rendezvous (highest random weight) hashing, so that each
/// tenant has one owner among the live replicas, the tenants spread evenly, and a replica that
/// comes or goes moves only its own share. The Leases stay the lock: the owner still takes the
/// tenant's Lease before it acts, and waits while another replica holds it.
public enum Rendezvous {
    /// The replica of `replicas` that owns `tenant`; nil when there are none.
    public static func owner(of tenant: String, among replicas: some Collection<String>) -> String? {
        replicas.max { weight(tenant, $0) < weight(tenant, $1) || (weight(tenant, $0) == weight(tenant, $1) && $0 < $1) }
    }

    /// A stable 64-bit weight of the pair (FNV-1a, then a finalizer that spreads its bits).
    static func weight(_ tenant: String, _ replica: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in tenant.utf8 + [0] + replica.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash = hash &* 0xc4ce_b9fe_1a85_ec53
        return hash ^ (hash >> 33)
    }
}
