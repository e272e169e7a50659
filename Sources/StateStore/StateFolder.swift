import Foundation
import PortalAPI
import Reconciler

/// Where Roomkeeper keeps what it writes on this machine, and every path in it: the one place
/// the layout is spelled. The folder is `$ROOMKEEPER_STATE_DIR`, else
/// `$XDG_STATE_HOME/roomkeeper`, else `~/.local/state/roomkeeper`. Files per portal or tenant are
/// named by a digest of its key, so no URL or tenant id becomes a file name.
public struct StateFolder: Sendable, Equatable {
    public let root: URL

    public init(_ root: URL) { self.root = root }

    /// The folder the environment names.
    public static func forThisMachine(environment: [String: String] = ProcessInfo.processInfo.environment) -> StateFolder {
        StateFolder(
            URL(
                fileURLWithPath: environment["ROOMKEEPER_STATE_DIR"]
                    ?? environment["XDG_STATE_HOME"].map { "\($0)/roomkeeper" }
                    ?? "\(NSHomeDirectory())/.local/state/roomkeeper"))
    }

    /// `cache/<digest>/`: what was last read of a portal, by collection, with its delta tokens.
    public func portalReadCache(for portal: PortalIdentity) -> URL { root.appendingPathComponent("cache/\(Self.digest(portal.key))") }

    /// `cache/graph-<digest>`: what was read of a tenant's directory through Graph.
    public func directoryCache(for tenantKey: String) -> URL { root.appendingPathComponent("cache/graph-\(Self.digest(tenantKey))") }

    /// `inventory/<digest>.json`: the counts of the last read of a portal or directory planned
    /// against, for the inventory guard.
    public func inventoryRecord(for source: PortalIdentity) -> URL {
        root.appendingPathComponent("inventory/\(Self.digest(source.key)).json")
    }

    /// `drift/<digest>.jsonl`: a portal's drift checks, newest last.
    public func driftHistory(for portal: PortalIdentity) -> URL { root.appendingPathComponent("drift/\(Self.digest(portal.key)).jsonl") }

    /// `checklist/<digest>.json`: the checklist steps people confirmed for a tenant.
    public func checklistConfirmations(for tenantKey: String) -> URL {
        root.appendingPathComponent("checklist/\(Self.digest(tenantKey)).json")
    }

    /// `journal/`: the write-ahead journals of applies.
    public var journals: URL { root.appendingPathComponent("journal") }

    /// `verified/`: the last verified commit per remote and ref.
    public var verifiedCommits: URL { root.appendingPathComponent("verified") }

    /// `embedded-portal.sqlite`: the embedded portal's tenant.
    public var embeddedPortalDatabase: URL { root.appendingPathComponent("embedded-portal.sqlite") }

    /// `controller/suspended`: present while the controller is suspended.
    public var controllerSuspendMarker: URL { root.appendingPathComponent("controller/suspended") }

    private static func digest(_ key: String) -> String { StableDigest.hex(key, length: 16) }
}
