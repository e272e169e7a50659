import Foundation
import PortalAPI
import Synchronization

/// The portal's reconciler lease, held for the length of one apply (or one controller
/// reconcile): taken before the live state is read, renewed in the background at a third of its
/// duration, released at the end. A holder that crashes stops renewing, and the lease expires.
///
/// If a renewal fails (the portal is unreachable for longer than the lease, or someone took the
/// expired lease), `lostReason` says so and apply stops starting new work.
public final class ReconcilerLease: Sendable {
    public static let name = "reconciler"

    public let holder: String
    private let portal: any Portal
    private let lost = Mutex<String?>(nil)
    private let renewal = Mutex<Task<Void, Never>?>(nil)

    private init(portal: any Portal, holder: String) {
        self.portal = portal
        self.holder = holder
    }

    /// Takes the lease or throws `LeaseHeldError`, which names the holder and since when.
    public static func acquire(on portal: any Portal, holder: String, duration: Int = 120) async throws -> ReconcilerLease {
        _ = try await portal.acquireLease(name, LeaseRequest(holder: holder, durationSeconds: duration))
        let lease = ReconcilerLease(portal: portal, holder: holder)
        let task = Task { [weak lease] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(max(200, duration * 1000 / 3)))
                guard !Task.isCancelled, let lease else { return }
                do {
                    _ = try await portal.acquireLease(name, LeaseRequest(holder: holder, durationSeconds: duration))
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
    public var lostReason: String? { lost.withLock { $0 } }

    /// Stops renewing and gives the lease back. A failure to release is harmless: it expires.
    public func release() async {
        renewal.withLock { task in
            task?.cancel()
            task = nil
        }
        try? await portal.releaseLease(Self.name, holder: holder)
    }

    /// A holder name that tells a person who to ask: user, host, process and what it is doing.
    public static func holderName(doing activity: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let user = environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
        return "\(user)@\(ProcessInfo.processInfo.hostName) pid \(ProcessInfo.processInfo.processIdentifier) (\(activity))"
    }
}
