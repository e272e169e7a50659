import Foundation

/// A portal API base URL the operator configured, checked before any token goes near it:
/// `https://` (plain `http://` only to a loopback address), no user information, query or
/// fragment. Shown in messages as it is, since it can hold nothing secret.
public struct PortalEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// The URL without a trailing slash, e.g. `https://portal.example.net/api`.
    public let url: String

    public init(validating text: String) throws(PortalEndpointError) {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else { throw PortalEndpointError("'\(Self.shown(text))' is not a URL; expected e.g. https://portal.example.net/api") }
        guard components.user == nil, components.password == nil else {
            throw PortalEndpointError("the portal URL may not hold a user name or password; pass the token with --token-file or ROOMKEEPER_TOKEN")
        }
        guard components.query == nil, components.fragment == nil else {
            throw PortalEndpointError("the portal URL may not have a query or fragment; give only scheme, host, port and path")
        }
        switch scheme {
        case "https": break
        case "http" where Self.isLoopback(host): break
        case "http":
            throw PortalEndpointError("the portal at \(scheme)://\(host) must be reached over https:// (plain http:// only to a loopback address)")
        default: throw PortalEndpointError("the portal URL must start with https://")
        }
        url = text.hasSuffix("/") ? String(text.dropLast()) : text
    }

    public var description: String { url }

    /// `scheme://host[:port]` of a URL, for messages: no credentials, path or query.
    public static func origin(of url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else {
            return "an unreadable URL"
        }
        return "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    /// Whether `host` names this machine: `localhost`, 127.0.0.0/8 or `::1`.
    public static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" { return true }
        let octets = bare.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Text from the operator shown back without control characters or anything before `@`
    /// (where a URL keeps a user name and password).
    /// How a sentence names the portal with this endpoint description: "the embedded portal
    /// (PATH)", "the portal at https://...".
    public static func phrase(_ description: String) -> String {
        description.hasPrefix("embedded portal") ? "the \(description)" : "the portal at \(description)"
    }

    public static func shown(_ text: String) -> String {
        let visible = String(text.prefix(200).unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f }.map(Character.init))
        guard let at = visible.lastIndex(of: "@") else { return visible }
        return "…" + visible[visible.index(after: at)...]
    }
}

/// Why a configured portal URL was refused.
public struct PortalEndpointError: Error, Sendable, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
