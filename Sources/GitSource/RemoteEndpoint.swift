import Foundation
import PortalAPI

/// Where a git URL points: scheme, host and port, for deciding where credentials may go.
/// scp-style `user@host:path` is SSH on port 22.
struct RemoteEndpoint: Equatable {
    var scheme: String
    var host: String
    var port: Int?

    init?(_ url: String) {
        if let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(), let host = components.host {
            self.scheme = scheme
            self.host = host.lowercased()
            port = components.port ?? Self.defaultPorts[scheme]
            return
        }
        // scp-style: [user@]host:path, with no scheme.
        guard !url.contains("://"), let colon = url.firstIndex(of: ":") else { return nil }
        let authority = url[..<colon]
        let host = authority.split(separator: "@").last.map(String.init) ?? ""
        guard !host.isEmpty, !host.contains("/") else { return nil }
        scheme = "ssh"
        self.host = host.lowercased()
        port = 22
    }

    private static let defaultPorts = ["https": 443, "http": 80, "ssh": 22, "git": 9418]

    /// Whether the host is this machine, where plain HTTP carries no credential over a network.
    var isLoopback: Bool { PortalEndpoint.isLoopback(host) }

    var description: String { "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "") }
}
