import Crypto
import Foundation
import GraphAPI
import HTTPTypes
import Hummingbird
import PortalAPI
import PortalModel
import _CryptoExtras

/// The key the emulator signs ID tokens with, published at every tenant's `jwks_uri`; made when
/// the server starts (Entra rolls its keys; a client must fetch them, not keep one).
struct IDTokenSigner: Sendable {
    let key: _RSA.Signing.PrivateKey
    let kid: String

    /// One key for every emulator in the process, made when a sign-in first needs it (a 2048-bit
    /// key takes a while; most emulators never sign a person in). Making one from the system's
    /// randomness does not fail.
    static let shared: IDTokenSigner = try! IDTokenSigner()

    init() throws {
        key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        kid = Base64URL.encode(Data(SHA256.hash(data: key.publicKey.derRepresentation).prefix(15)))
    }

    var keySet: JSONWebKeySet { JSONWebKeySet(keys: [(try? JSONWebKey(kid: kid, publicKey: key.publicKey))].compactMap { $0 }) }

    func sign(_ claims: IDTokenClaims) throws -> String {
        try IDToken.sign(header: JWTHeader(alg: "RS256", typ: "JWT", kid: kid), claims: claims) { input in
            Data(try key.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }
}

/// People signing in to a web app (Roomkeeper's console) through the emulator, as through the
/// Microsoft identity platform: the OpenID Connect discovery document and keys, and the
/// authorization endpoint of the authorization code flow with PKCE
/// (learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow). The emulator asks
/// only for a user name (its people have no passwords); the code it hands back is redeemed at
/// the token endpoint (`TokenIssuer`).
///
/// As Entra: an unknown app or a redirect URI the app does not register is an error page,
/// never a redirect. Stricter than Entra, the emulator's own: a PKCE challenge must be `S256`.
struct WebSignIn: Sendable {
    let stores: [String: GraphDirectoryStore]
    let base: @Sendable () -> String
    let now: @Sendable () -> Date
    /// How long a code may wait to be redeemed: Entra documents about ten minutes.
    static let codeLifetime: TimeInterval = 600

    func configuration(tenant: String) -> OpenIDConfiguration? {
        guard let store = stores[tenant.lowercased()] else { return nil }
        let root = "\(base())/\(store.tenantId)"
        return OpenIDConfiguration(
            issuer: "\(root)/v2.0", authorizationEndpoint: "\(root)/oauth2/v2.0/authorize", tokenEndpoint: "\(root)/oauth2/v2.0/token",
            jwksURI: "\(root)/discovery/v2.0/keys")
    }

    /// A sign-in request's parameters, checked; or the page that says what is wrong.
    private struct AuthorizationRequest {
        var clientId: String
        var redirectURI: String
        var state: String?
        var nonce: String?
        var challenge: String?
        var scope: String
        var loginHint: String?

        /// The hidden fields that carry the request through the sign-in form.
        var fields: [(String, String)] {
            [("client_id", clientId), ("redirect_uri", redirectURI), ("scope", scope), ("response_type", "code")]
                + [("state", state), ("nonce", nonce), ("code_challenge", challenge), ("code_challenge_method", challenge.map { _ in "S256" })]
                .compactMap { name, value in value.map { (name, $0) } }
        }
    }

    private func request(tenant: String, _ parameters: [String: String]) -> Result<(GraphDirectoryStore, AuthorizationRequest), WebSignInError> {
        guard let store = stores[tenant.lowercased()] else {
            return .failure(
                .page(
                    90002, "Tenant '\(tenant)' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."))
        }
        let clientId = parameters["client_id"]?.lowercased() ?? ""
        guard let app = store.state.withLock({ state in state.tenant.apps.first { $0.clientId == clientId } }) else {
            return .failure(.page(700016, "Application with identifier '\(clientId)' was not found in the directory '\(store.tenantId)'."))
        }
        let redirectURI = parameters["redirect_uri"] ?? ""
        guard app.redirectURIs.contains(redirectURI) else {
            return .failure(
                .page(
                    50011,
                    "The redirect URI '\(redirectURI)' specified in the request does not match the redirect URIs configured for the application '\(clientId)'."
                ))
        }
        guard parameters["response_type"] == "code" else {
            return .failure(.page(700054, "response_type 'code' is the only one this emulator serves."))
        }
        // Entra's codes (entra-docs reference-error-codes): 50149 for a method other than S256
        // (this emulator does not take plain), 501491 for a challenge that is not the 43
        // characters of an unpadded base64url SHA-256 (MicrosoftDocs/azure-docs#42906).
        let challenge = parameters["code_challenge"].flatMap { $0.isEmpty ? nil : $0 }
        if let challenge {
            guard parameters["code_challenge_method"] == "S256" else { return .failure(.page(50149, "Invalid Code_Challenge_method parameter.")) }
            guard challenge.utf8.count == 43 else { return .failure(.page(501491, "Invalid size of Code_Challenge parameter.")) }
        }
        return .success(
            (
                store,
                AuthorizationRequest(
                    clientId: clientId, redirectURI: redirectURI, state: parameters["state"], nonce: parameters["nonce"], challenge: challenge,
                    scope: parameters["scope"] ?? "openid", loginHint: parameters["login_hint"])
            ))
    }

    /// `GET /{tenant}/oauth2/v2.0/authorize`: the sign-in form, or what is wrong with the request.
    func authorizePage(tenant: String, query: [String: String]) -> Response {
        switch request(tenant: tenant, query) {
        case .failure(let error): return error.response
        case .success(let (store, request)): return form(store: store, request: request, problem: nil)
        }
    }

    /// `POST /{tenant}/oauth2/v2.0/authorize`: the form sent back with a user name. An enabled
    /// person gets a code, sent to the redirect URI with the request's state.
    func signIn(tenant: String, form fields: [String: String]) -> Response {
        switch request(tenant: tenant, fields) {
        case .failure(let error): return error.response
        case .success(let (store, request)):
            let name = (fields["username"] ?? "").trimmingCharacters(in: .whitespaces).lowercased()
            guard let user = store.user(named: name), user.accountEnabled else {
                return form(
                    store: store, request: request,
                    problem: "AADSTS50034: The user account \(name.isEmpty ? "" : "'\(name)' ")does not exist in the directory, or is disabled.")
            }
            let code = Base64URL.encode(Data((0..<32).map { _ in UInt8.random(in: 0...255) }))
            let issued = now()
            store.state.withLock { state in
                state.authorizationCodes = state.authorizationCodes.filter { $0.value.expires > issued }
                state.authorizationCodes[code] = .init(
                    clientId: request.clientId, redirectURI: request.redirectURI, challenge: request.challenge, nonce: request.nonce, userId: user.id,
                    expires: issued.addingTimeInterval(Self.codeLifetime))
            }
            var components = URLComponents(string: request.redirectURI) ?? URLComponents()
            components.queryItems =
                (components.queryItems ?? []) + [URLQueryItem(name: "code", value: code)]
                + (request.state.map { [URLQueryItem(name: "state", value: $0)] } ?? [])
            var headers = HTTPFields()
            headers[.location] = components.string ?? request.redirectURI
            headers[.cacheControl] = "no-store"
            return Response(status: .found, headers: headers)
        }
    }

    private func form(store: GraphDirectoryStore, request: AuthorizationRequest, problem: String?) -> Response {
        let hidden = request.fields.map { #"<input type="hidden" name="\#($0.htmlEscaped)" value="\#($1.htmlEscaped)">"# }.joined(separator: "\n")
        let page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sign in (Graph emulator)</title></head>
            <body><main>
            <h1>Sign in to \(store.tenantId.htmlEscaped)</h1>
            <p>The Graph emulator's sign-in: a person of the emulated directory, by user name; no password.</p>
            \(problem.map { #"<p role="alert">\#($0.htmlEscaped)</p>"# } ?? "")
            <form method="post">
            \(hidden)
            <label for="username">User name</label>
            <input id="username" name="username" type="text" inputmode="email" autocomplete="username" required value="\((request.loginHint ?? "").htmlEscaped)">
            <button type="submit">Sign in</button>
            </form>
            </main></body></html>
            """
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        // No form-action: the form's answer redirects to the app, on another origin.
        headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'"
        return Response(status: problem == nil ? .ok : .badRequest, headers: headers, body: .init(byteBuffer: ByteBuffer(string: page)))
    }
}

/// A sign-in request the emulator will not serve: shown as a page, as Entra shows it, never
/// sent to a redirect URI it cannot trust.
struct WebSignInError: Error {
    var code: Int
    var message: String

    static func page(_ code: Int, _ message: String) -> WebSignInError { WebSignInError(code: code, message: message) }

    var response: Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; charset=utf-8"
        return Response(status: .badRequest, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "AADSTS\(code): \(message)\n")))
    }
}
