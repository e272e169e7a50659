import Foundation

/// Where Roomkeeper keeps what it writes on this machine (the embedded portal, apply journals):
/// `$ROOMKEEPER_STATE_DIR`, else `$XDG_STATE_HOME/roomkeeper`, else `~/.local/state/roomkeeper`.
public enum StateFolder {
    public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["ROOMKEEPER_STATE_DIR"]
            ?? environment["XDG_STATE_HOME"].map { "\($0)/roomkeeper" }
            ?? "\(NSHomeDirectory())/.local/state/roomkeeper"
    }
}
