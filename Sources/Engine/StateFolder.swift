import Foundation
import PortalAPI
import Reconciler

/// Where Roomkeeper keeps what it writes on this machine (inventory records, journals, drift
/// history, the embedded portal, the controller's suspension marker): `$ROOMKEEPER_STATE_DIR`,
/// else `$XDG_STATE_HOME/roomkeeper`, else `~/.local/state/roomkeeper`. The engine owns it.
public enum StateFolder {
    public static func url(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        URL(
            fileURLWithPath: environment["ROOMKEEPER_STATE_DIR"]
                ?? environment["XDG_STATE_HOME"].map { "\($0)/roomkeeper" }
                ?? "\(NSHomeDirectory())/.local/state/roomkeeper")
    }

    /// Where what was read of a tenant's directory through Graph is kept between runs.
    public static func directoryCache(in folder: URL, tenantKey: String) -> URL {
        folder.appendingPathComponent("cache/graph-\(StableDigest.hex(tenantKey, length: 16))")
    }
}

extension Engine {
    /// The engine for the state folder the environment names, reading `directory` when given.
    public static func forThisMachine(
        directory: (any DirectorySource)? = nil, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Engine {
        Engine(stateFolder: StateFolder.url(environment: environment), directory: directory)
    }

    /// Where the embedded portal keeps its tenant.
    public var embeddedPortalDatabase: String { stateFolder.appendingPathComponent("embedded-portal.sqlite").path }
}
