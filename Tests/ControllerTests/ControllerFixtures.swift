import Controller
import Engine
import Foundation
import GitSource
import PortalAPI
import PortalClient
import Reconciler
import TestSupport

extension ControllerConfiguration {
    /// A controller under test: its git cache and state folder in `root`, no jitter, self-heal on,
    /// hourly passes, and the portal at `portalURL` as its administrator, unless the test says
    /// otherwise (`openPortal` replaces the portal).
    static func testing(
        _ origin: SourceOrigin, root: URL, portalURL: String = "", interval: Duration = .seconds(3600), retryInterval: Duration = .seconds(30),
        mode: ControllerMode = .selfHeal, trust: SignatureTrust? = nil, directory: (any DirectorySource)? = nil,
        openPortal: (@Sendable () async throws -> any Portal)? = nil
    ) -> ControllerConfiguration {
        ControllerConfiguration(
            origin: origin, cacheFolder: root.appendingPathComponent("cache"), stateFolder: root.appendingPathComponent("state"),
            interval: interval, jitter: 0, retryInterval: retryInterval, mode: mode, trust: trust, directory: directory,
            openPortal: openPortal ?? { HTTPPortalClient(baseURL: portalURL, token: "admin-token", http: RunningPortal.testClient) })
    }
}
