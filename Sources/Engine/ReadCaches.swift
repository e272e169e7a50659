import Foundation
import PortalAPI
import Reconciler
import StateStore
import Synchronization

/// The last read of each portal, by endpoint: loaded from the state folder once (early, when a
/// front end prefetches it while the manifests load), then kept in memory, so a controller reads
/// its files only at its first pass.
final class ReadCaches: Sendable {
    private let loads = Mutex<[String: Task<PortalReadCache, Never>]>([:])

    /// Starts loading the cache of `endpoint` from `folder`, unless it is loaded or loading.
    func prefetch(_ endpoint: String, from folder: URL) {
        _ = load(endpoint, from: folder)
    }

    /// The cache of `endpoint`: the one kept or being loaded, else loaded from `folder` now.
    func cache(_ endpoint: String, from folder: URL) async -> PortalReadCache {
        await load(endpoint, from: folder).value
    }

    /// Keeps `cache` for the next read of its portal.
    func keep(_ cache: PortalReadCache) {
        loads.withLock { $0[cache.portal] = Task { cache } }
    }

    private func load(_ endpoint: String, from folder: URL) -> Task<PortalReadCache, Never> {
        loads.withLock { loads in
            if let loading = loads[endpoint] { return loading }
            let loading = Task {
                (try? await offCooperativePool { PortalReadCache.load(from: folder, portal: endpoint) }) ?? PortalReadCache(portal: endpoint)
            }
            loads[endpoint] = loading
            return loading
        }
    }
}
