import Foundation
import PortalAPI
import Synchronization

/// The portal's reconciler lease, held for the length of one apply (or one controller
/// reconcile): taken before the live state is read, renewed in the background at a third of its
/// duration, released when the work is done. A holder that crashes stops renewing, and the lease
/// expires.
///
/// Only this holder can renew or release it: each lease is taken with a random secret that
/// never leaves this process except to the portal. The lease counts as lost (and apply starts no
/// new write) when a renewal fails, or when no renewal has succeeded for long enough that the
/// portal may already have let it expire, for instance while a renewal hangs.
public final class ReconcilerLease: Sendable {
    public static let name = "reconciler"

    public let holder: String
    private let secret: String
    private let portal: any Portal
    private let clock: any ReconcileClock
    private let lost = Mutex<String?>(nil)
    /// Until when (on `clock`) the lease is surely still ours: the start of the last successful
    /// request plus the duration, less a margin for clocks and transit.
    private let heldUntil: Mutex<Duration>
    private let renewal = Mutex<Task<Void, Never>?>(nil)

    private init(portal: any Portal, holder: String, secret: String, clock: any ReconcileClock, heldUntil: Duration) {
        self.portal = portal
        self.holder = holder
        self.secret = secret
        self.clock = clock
        self.heldUntil = Mutex(heldUntil)
    }

    /// Runs `work` holding the lease, and gives it back however `work` ends. Throws
    /// `LeaseHeldError`, which names the holder and since when, if someone else holds it.
    ///
    /// With `renewUntil` (a time on `clock`), the lease is not renewed past it: work that is
    /// stuck beyond its deadline does not keep other reconcilers out.
    public static func withLease<Result>(
        on portal: any Portal, holder: String, duration: Int = 120, clock: any ReconcileClock = MonotonicClock(),
        renewUntil: Duration? = nil, isolation: isolated (any Actor)? = #isolation, _ work: (ReconcilerLease) async throws -> Result
    ) async throws -> Result {
        let lease = try await acquire(on: portal, holder: holder, duration: duration, clock: clock, renewUntil: renewUntil)
        do {
            let result = try await work(lease)
            await lease.release()
            return result
        } catch {
            await lease.release()
            throw error
        }
    }

    /// Takes the lease or throws `LeaseHeldError`. Prefer `withLease`, which always releases.
    public static func acquire(
        on portal: any Portal, holder: String, duration: Int = 120, clock: any ReconcileClock = MonotonicClock(), renewUntil: Duration? = nil
    ) async throws -> ReconcilerLease {
        let secret = UUID().uuidString + UUID().uuidString
        let request = LeaseRequest(holder: holder, durationSeconds: duration, secret: secret)
        let margin = Duration.milliseconds(duration * 100)
        let started = clock.elapsed
        _ = try await portal.acquireLease(name, request)
        let lease = ReconcilerLease(
            portal: portal, holder: holder, secret: secret, clock: clock, heldUntil: started + .seconds(duration) - margin)
        let task = Task { [weak lease] in
            while !Task.isCancelled {
                try? await clock.sleep(for: .milliseconds(max(200, duration * 1000 / 3)))
                guard !Task.isCancelled, let lease else { return }
                let attempt = clock.elapsed
                if let renewUntil, attempt > renewUntil {
                    lease.lost.withLock { $0 = "the work holding the reconciler lease ran past its deadline; the lease is left to expire" }
                    return
                }
                do {
                    _ = try await portal.acquireLease(name, request)
                    lease.heldUntil.withLock { $0 = attempt + .seconds(duration) - margin }
                } catch {
                    lease.lost.withLock { $0 = "lost the reconciler lease: \(error)" }
                    return
                }
            }
        }
        lease.renewal.withLock { $0 = task }
        return lease
    }

    /// Why the lease can no longer be trusted; nil while it is held.
    public var lostReason: String? {
        if let reason = lost.withLock({ $0 }) { return reason }
        guard clock.elapsed < heldUntil.withLock({ $0 }) else {
            return "lost the reconciler lease: it could not be renewed in time, and the portal may have given it to someone else"
        }
        return nil
    }

    /// Stops renewing and gives the lease back. A failure to release is harmless: it expires.
    public func release() async {
        renewal.withLock { task in
            task?.cancel()
            task = nil
        }
        try? await portal.releaseLease(Self.name, holder: holder, secret: secret)
    }

    /// A holder name that tells a person who to ask: user, host, process, a random instance id
    /// (process ids repeat across containers) and what it is doing.
    public static func holderName(doing activity: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let user = environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        let instance = UUID().uuidString.prefix(8).lowercased()
        return "\(user)@\(ProcessInfo.processInfo.hostName) pid \(ProcessInfo.processInfo.processIdentifier) instance \(instance) (\(activity))"
    }
}
