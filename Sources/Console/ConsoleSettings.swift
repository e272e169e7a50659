import Crypto
import Foundation
import GraphAPI

/// How the console is reached and who may use it: its public address (what people's browsers
/// open, and where Entra ID sends them back), the app registration people sign in through (the
/// same one Roomkeeper reads Graph with, with a web redirect URI added), the app roles that make a
/// person a viewer or an operator, and the key that seals sessions.
public struct ConsoleSettings: Sendable {
    /// `https://host[:port]`, with no path: the console lives under `/console` there.
    public let origin: String
    /// The tenant people sign in to, the app (client) id and its credential.
    public let signIn: GraphSignIn
    /// The app role values (or group object ids) that make a person an operator or a viewer.
    public let operatorRole: String
    public let viewerRole: String
    /// Seals session cookies; replicas behind one address must share it.
    public let sessionKey: SymmetricKey
    /// How long a session lasts before the person signs in again.
    public let sessionLifetime: TimeInterval

    public init(
        origin: String, signIn: GraphSignIn, operatorRole: String = "Roomkeeper.Operator", viewerRole: String = "Roomkeeper.Viewer",
        sessionKey: SymmetricKey, sessionLifetime: TimeInterval = 8 * 3600
    ) throws(ConsoleConfigurationError) {
        guard let components = URLComponents(string: origin), let scheme = components.scheme, let host = components.host, !host.isEmpty,
            components.path.isEmpty || components.path == "/", components.query == nil, components.user == nil
        else { throw ConsoleConfigurationError("the console URL '\(origin)' must be https://HOST[:PORT], with no path") }
        let loopback = host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]"
        guard scheme == "https" || (scheme == "http" && loopback) else {
            throw ConsoleConfigurationError("the console URL '\(origin)' must use https (http only on a loopback address, to try it)")
        }
        guard sessionKey.bitCount >= 256 else { throw ConsoleConfigurationError("the session key must hold at least 32 bytes") }
        self.origin = origin.hasSuffix("/") ? String(origin.dropLast()) : origin
        self.signIn = signIn
        self.operatorRole = operatorRole
        self.viewerRole = viewerRole
        self.sessionKey = sessionKey
        self.sessionLifetime = sessionLifetime
    }

    /// Where Entra ID sends people back: register it as a web redirect URI on the app.
    public var redirectURI: String { origin + "/console/callback" }

    /// The sign-in authority's discovery document for the tenant.
    var discoveryURL: String { "\(signIn.authority.origin)/\(signIn.tenantId)/v2.0/.well-known/openid-configuration" }
}

/// A console setting that cannot work, said so at start.
public struct ConsoleConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
