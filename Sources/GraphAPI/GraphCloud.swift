import Foundation
import PortalAPI

/// A Microsoft cloud: the sign-in (Microsoft Entra) host and the Graph host that belong together.
///
/// Hosts as learn.microsoft.com/graph/deployments lists them. An app is registered in one cloud
/// and its token is good only for that cloud's Graph, so the two are chosen together, by name,
/// by the operator (never by a file in git).
public enum GraphCloud: String, CaseIterable, Sendable {
    case global
    /// Microsoft Cloud for US Government, L4 (GCC High).
    case usGovernment = "usgov"
    /// Microsoft Cloud for US Government, L5 (DoD).
    case usGovernmentDoD = "usgov-dod"
    /// Microsoft Azure and Microsoft 365 operated by 21Vianet.
    case china

    public var authorityHost: String {
        switch self {
        case .global: "https://login.microsoftonline.com"
        case .usGovernment, .usGovernmentDoD: "https://login.microsoftonline.us"
        case .china: "https://login.chinacloudapi.cn"
        }
    }

    public var graphEndpoint: String {
        switch self {
        case .global: "https://graph.microsoft.com"
        case .usGovernment: "https://graph.microsoft.us"
        case .usGovernmentDoD: "https://dod-graph.microsoft.us"
        case .china: "https://microsoftgraph.chinacloudapi.cn"
        }
    }

    /// What this cloud offers of what Roomkeeper reads and manages. GCC tenants use the global
    /// cloud's hosts and cannot be told apart from commercial ones by them.
    public var offers: CloudOffering {
        CloudOffering(
            name: rawValue,
            // place-list: Places is not available in US Government L4 or L5, nor in China.
            places: self == .global,
            // managed-meeting-rooms-portal: commercial, GCC and GCC High.
            proManagementPortal: self == .global || self == .usGovernment,
            // remotely-access-teams-rooms: not in GCC, GCC High or DoD (GCC shares the global hosts).
            remoteAccess: self == .global || self == .china)
    }
}

/// A host Roomkeeper sends credentials or tokens to, checked first: `https://` (plain `http://`
/// only to a loopback address, for the Graph emulator), no user information, query or fragment.
public struct GraphHost: Sendable, Equatable, CustomStringConvertible {
    /// `scheme://host[:port]`, lower case, without a trailing slash.
    public let origin: String

    public init(validating text: String, purpose: String) throws(GraphConfigurationError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host?.lowercased(), !host.isEmpty
        else {
            throw GraphConfigurationError(
                "the \(purpose) '\(PortalEndpoint.shown(text))' is not a URL; expected e.g. https://login.microsoftonline.com")
        }
        guard components.user == nil, components.password == nil, components.query == nil, components.fragment == nil,
            components.path.isEmpty || components.path == "/"
        else { throw GraphConfigurationError("the \(purpose) must be only scheme, host and port (got \(PortalEndpoint.shown(text)))") }
        switch scheme {
        case "https": break
        case "http" where PortalEndpoint.isLoopback(host): break
        default: throw GraphConfigurationError("the \(purpose) must be an https:// URL (plain http:// only to a loopback address)")
        }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        origin = "\(scheme)://\(bracketed)" + (components.port.map { ":\($0)" } ?? "")
    }

    public var description: String { origin }

    /// Whether the host is on this machine (the Graph emulator), not one of Microsoft's clouds.
    public var isLoopback: Bool {
        PortalEndpoint.isLoopback(URLComponents(string: origin)?.host?.trimmingCharacters(in: CharacterSet(charactersIn: "[]")) ?? "")
    }

    /// Whether `url` is on this host: same scheme, host and port. Tokens go only there.
    public func contains(_ url: String) -> Bool {
        guard let other = try? GraphHost(validating: Self.originPart(of: url), purpose: "link") else { return false }
        return other.origin == origin
    }

    private static func originPart(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host,
            components.user == nil, components.password == nil
        else { return "" }
        return "\(scheme)://\(host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host)" + (components.port.map { ":\($0)" } ?? "")
    }
}

/// Why Graph sign-in settings were refused, before anything was sent.
public struct GraphConfigurationError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
