import AsyncHTTPClient
import Foundation
import GraphAPI
import GraphClient
import HTTPTransport
import Logging
import NIOCore

/// People's sign-in to the console with Microsoft Entra ID: OpenID Connect, the authorization
/// code flow with PKCE (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow).
///
/// The discovery document and keys come from the configured authority only, and its endpoints
/// must be on that host; the code is redeemed at the configured token endpoint alone, so the
/// app's credential never goes where a document said. Keys are fetched again when a token names
/// one not yet seen (Entra rolls them), at most once a minute.
actor ConsoleSignIn {
    let settings: ConsoleSettings
    private let http: HTTPClient
    private let transport: HTTPTransport
    private let now: @Sendable () -> Date
    private var configuration: OpenIDConfiguration?
    private var keys = JSONWebKeySet(keys: [])
    private var keysFetched: Date?

    init(settings: ConsoleSettings, http: HTTPClient, now: @escaping @Sendable () -> Date = Date.init) {
        self.settings = settings
        self.http = http
        transport = HTTPTransport(peer: "sign-in", http: http, logger: Logger(label: "roomkeeper.console"))
        self.now = now
    }

    /// Where to send a person to sign in, for `pending`.
    func authorizationURL(for pending: PendingSignIn) async throws -> String {
        let document = try await discovery()
        var components = URLComponents(string: document.authorizationEndpoint) ?? URLComponents()
        components.queryItems = [
            URLQueryItem(name: "client_id", value: settings.signIn.clientId), URLQueryItem(name: "response_type", value: "code"),
            URLQueryItem(name: "redirect_uri", value: settings.redirectURI), URLQueryItem(name: "response_mode", value: "query"),
            URLQueryItem(name: "scope", value: "openid profile"), URLQueryItem(name: "state", value: pending.state),
            URLQueryItem(name: "nonce", value: pending.nonce), URLQueryItem(name: "code_challenge", value: ProofKey.challenge(of: pending.verifier)),
            URLQueryItem(name: "code_challenge_method", value: "S256"),
        ]
        // `+` is a space in a query: encode it, as `URLComponents` does not.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.string ?? document.authorizationEndpoint
    }

    /// Redeems the code a person came back with and checks their ID token; their session, or
    /// why they may not have one.
    func finish(code: String, pending: PendingSignIn) async throws -> ConsoleSession {
        let document = try await discovery()
        let answer = try await GraphTokenProvider.redeem(
            code: code, verifier: pending.verifier, redirectURI: settings.redirectURI, signIn: settings.signIn, http: http, now: now)
        guard let text = answer.idToken, let token = IDToken(text) else { throw SignInRefusal("the sign-in answer holds no ID token") }
        if let kid = token.header.kid, !keys.keys.contains(where: { $0.kid == kid }) { try await refreshKeys(from: document) }
        let claims = try IDTokenCheck.claims(
            of: token, keys: keys, issuer: document.issuer, clientId: settings.signIn.clientId, tenantId: settings.signIn.tenantId,
            nonce: pending.nonce, now: now())
        let granted = Set((claims.roles ?? []) + (claims.groups ?? []))
        let role: ConsoleRole
        if granted.contains(settings.operatorRole) {
            role = .operator
        } else if granted.contains(settings.viewerRole) {
            role = .viewer
        } else {
            throw SignInRefusal(
                "\(claims.preferredUsername ?? "this account") signed in, but holds neither \(settings.viewerRole) nor \(settings.operatorRole): an administrator assigns one in Entra ID (Enterprise applications > the app > Users and groups)",
                status: 403)
        }
        return ConsoleSession(
            username: claims.preferredUsername ?? claims.sub, name: claims.name ?? claims.preferredUsername ?? claims.sub, role: role,
            expires: now().addingTimeInterval(settings.sessionLifetime), csrf: randomToken())
    }

    private func discovery() async throws -> OpenIDConfiguration {
        if let configuration { return configuration }
        let document: OpenIDConfiguration = try await get(settings.discoveryURL)
        let authority = settings.signIn.authority.origin
        for endpoint in [document.authorizationEndpoint, document.jwksURI] where !endpoint.hasPrefix(authority + "/") {
            throw SignInRefusal("the discovery document of \(authority) names an endpoint on another host (\(endpoint)); it is not used", status: 502)
        }
        configuration = document
        return document
    }

    private func refreshKeys(from document: OpenIDConfiguration) async throws {
        if let keysFetched, now().timeIntervalSince(keysFetched) < 60 { return }
        keysFetched = now()
        keys = try await get(document.jwksURI)
    }

    private func get<Value: Decodable>(_ url: String) async throws -> Value {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        let answer: HTTPAnswer
        do {
            answer = try await transport.send(request, policy: .once(timeout: .seconds(15), maximumResponseBytes: 256 << 10))
        } catch {
            throw SignInRefusal("Entra ID could not be reached (\(settings.signIn.authority)): \(error)", status: 502)
        }
        guard answer.status == 200, let value = try? JSONDecoder().decode(Value.self, from: Data(answer.body.readableBytesView)) else {
            throw SignInRefusal("Entra ID answered \(answer.status) for \(url)", status: 502)
        }
        return value
    }
}

/// Checks an ID token as Microsoft documents (learn.microsoft.com/entra/identity-platform/
/// id-tokens, "Validate tokens"): signed RS256 by one of the tenant's published keys, issued by
/// the tenant's issuer, for this app, for this sign-in (the nonce), within its lifetime (five
/// minutes of clock skew), and in the configured tenant.
enum IDTokenCheck {
    static let clockSkew = 300

    static func claims(
        of token: IDToken, keys: JSONWebKeySet, issuer: String, clientId: String, tenantId: String, nonce: String, now: Date
    ) throws(SignInRefusal) -> IDTokenClaims {
        let claims = token.claims
        guard let kid = token.header.kid, let key = keys.keys.first(where: { $0.kid == kid })?.publicKey, token.isSigned(by: key) else {
            throw SignInRefusal("the ID token is not signed by a key Entra ID publishes for the tenant")
        }
        guard claims.iss == issuer else { throw SignInRefusal("the ID token was issued by \(claims.iss), not \(issuer)") }
        guard claims.aud.lowercased() == clientId.lowercased() else { throw SignInRefusal("the ID token is for another app (\(claims.aud))") }
        guard claims.nonce == nonce else { throw SignInRefusal("the ID token is not for this sign-in (its nonce differs)") }
        let instant = Int(now.timeIntervalSince1970)
        guard claims.exp > instant - clockSkew, (claims.nbf ?? claims.iat ?? 0) <= instant + clockSkew else {
            throw SignInRefusal("the ID token has expired or is not valid yet")
        }
        // A tenant named by its id must match the token's; one named by a domain was resolved by
        // the tenant's own discovery document, whose issuer the token matched.
        if UUID(uuidString: tenantId) != nil, claims.tid?.lowercased() != tenantId.lowercased() {
            throw SignInRefusal("the ID token is from another tenant (\(claims.tid ?? "none"))")
        }
        return claims
    }
}

/// Why a sign-in did not make a session; shown to the person, never holding a credential.
struct SignInRefusal: Error, CustomStringConvertible {
    let description: String
    /// 401 for a failed sign-in, 403 for a person without a role, 502 when Entra ID fails.
    let status: Int

    init(_ description: String, status: Int = 401) {
        self.description = description
        self.status = status
    }
}
