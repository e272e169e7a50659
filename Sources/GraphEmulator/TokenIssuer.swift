import Crypto
import Foundation
import GraphAPI
import PortalAPI
import SwiftASN1
import X509
import _CryptoExtras

/// The emulator's token endpoint: the client-credentials flow, checked as Microsoft Entra ID
/// checks it, with Entra's error answers (learn.microsoft.com/entra/identity-platform/reference-error-codes).
///
/// - a certificate assertion must be signed RS256 by a certificate registered on the app (found
///   by its `x5t` or `x5t#S256` thumbprint), name the token endpoint as its audience and the app
///   as issuer and subject, be within its validity window, last no longer than ten minutes, and
///   carry a `jti` not seen before (see `maximumAssertionLifetime`);
/// - a secret must match one registered on the app that has not expired;
/// - a federated token must come from a trusted issuer about the registered subject, for the
///   `api://AzureADTokenExchange` audience, signed by the issuer's key.
struct TokenIssuer: Sendable {
    /// The longest a certificate assertion may be valid, from `nbf` (or `iat`) to `exp`, in
    /// seconds. Microsoft asks for "5-10 minutes after nbf at most" and says Entra ID "currently
    /// does not place restrictions on the exp time" (learn.microsoft.com/entra/identity-platform/
    /// certificate-credentials): the emulator holds clients to the advice, so that a long-lived,
    /// replayable assertion fails here first. Roomkeeper's own last ten minutes.
    static let maximumAssertionLifetime = 600

    let store: GraphDirectoryStore
    /// What every token this issuer mints starts with, so that a server of several tenants
    /// knows whose it is.
    let tag: String
    /// The token endpoint's own URL, the audience a certificate assertion must name.
    let endpoint: @Sendable (String) -> String
    let lifetime: TimeInterval
    let now: @Sendable () -> Date
    /// The issuer of people's ID tokens: the tenant's, `{base}/{tenant}/v2.0`.
    let issuer: @Sendable (String) -> String

    struct Refusal: Error {
        var status: Int
        var body: TokenErrorBody
    }

    func issue(tenant: String, form: [String: String]) throws(Refusal) -> TokenResponse {
        let tenantId = store.tenantId
        guard tenant.lowercased() == tenantId else {
            throw refusal(
                400, "invalid_request", 90002,
                "Tenant '\(tenant)' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.")
        }
        let grant = form["grant_type"]
        guard grant == "client_credentials" || grant == "authorization_code" else {
            throw refusal(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        }
        guard let clientId = form["client_id"]?.lowercased(),
            let app = store.state.withLock({ state in
                state.tenant.apps.first { $0.clientId == clientId }
            })
        else {
            throw refusal(
                400, "unauthorized_client", 700016,
                "Application with identifier '\(form["client_id"] ?? "")' was not found in the directory '\(tenantId)'.")
        }
        guard grant == "authorization_code" || form["scope"]?.hasSuffix("/.default") == true else {
            throw refusal(
                400, "invalid_scope", 1_002_012,
                "The provided value for scope is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier."
            )
        }
        if let secret = form["client_secret"] {
            let hash = GraphDirectoryStore.sha256(secret)
            guard let registered = app.secrets.first(where: { $0.sha256 == hash }) else {
                throw refusal(
                    401, "invalid_client", 7_000_215,
                    "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '\(clientId)'."
                )
            }
            if let expires = registered.expires, expires <= now() {
                throw refusal(401, "invalid_client", 7_000_222, "The provided client secret keys for app '\(clientId)' are expired.")
            }
        } else if form["client_assertion_type"] == TokenRequestField.assertionType, let assertion = form["client_assertion"] {
            try check(assertion: assertion, app: app, tenant: tenantId)
        } else {
            throw refusal(
                401, "invalid_client", 7_000_218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
        }
        if grant == "authorization_code" { return try redeem(form, app: app) }
        let token = tag + "." + Base64URL.encode(Data((0..<32).map { _ in UInt8.random(in: 0...255) }))
        let issuedAt = now()
        store.state.withLock { state in
            // Expired tokens and assertion ids are dropped, so that a long run does not grow them without end.
            state.tokens = state.tokens.filter { $0.value.expires > issuedAt }
            let instant = Int(issuedAt.timeIntervalSince1970)
            state.usedAssertionIds = state.usedAssertionIds.filter { $0.value + Self.clockSkew >= instant }
            state.tokens[token] = .init(clientId: clientId, permissions: app.permissions, expires: issuedAt.addingTimeInterval(lifetime))
        }
        return TokenResponse(expiresIn: Int(lifetime), accessToken: token)
    }

    /// A person's authorization code, redeemed by the app it was issued to (which proved its
    /// identity already), for the same redirect URI, with the verifier of its PKCE challenge:
    /// once. The answer holds an ID token about the person, with the app roles assigned to them;
    /// its access token is for nothing here (Roomkeeper asks for none).
    private func redeem(_ form: [String: String], app: GraphTenant.App) throws(Refusal) -> TokenResponse {
        let instant = now()
        let code = store.state.withLock { state in state.authorizationCodes.removeValue(forKey: form["code"] ?? "") }
        guard let code, code.expires > instant, code.clientId == app.clientId else {
            throw refusal(
                400, "invalid_grant", 70008,
                "The provided authorization code or refresh token has expired due to inactivity, was already redeemed, or was issued to another app. Send a new interactive authorization request."
            )
        }
        guard form["redirect_uri"] == code.redirectURI else {
            throw refusal(
                400, "invalid_grant", 500112, "The reply address does not match the reply address provided when requesting the authorization code.")
        }
        if let challenge = code.challenge {
            guard let verifier = form["code_verifier"], ProofKey.challenge(of: verifier) == challenge else {
                throw refusal(
                    400, "invalid_grant", 501481, "The Code_Verifier does not match the code_challenge supplied in the authorization request.")
            }
        }
        guard let user = store.state.withLock({ state in state.users[code.userId]?.value }), user.accountEnabled else {
            throw refusal(400, "invalid_grant", 50034, "The user account does not exist in the directory, or is disabled.")
        }
        let issued = Int(instant.timeIntervalSince1970)
        let roles = app.appRoles[user.userPrincipalName.lowercased()].map { $0.sorted() }
        let claims = IDTokenClaims(
            iss: issuer(store.tenantId), aud: app.clientId, exp: issued + 3600, iat: issued, nbf: issued, tid: store.tenantId, oid: user.id,
            sub: Base64URL.encode(Data(SHA256.hash(data: Data("\(user.id):\(app.clientId)".utf8)).prefix(24))), nonce: code.nonce,
            name: user.displayName, preferredUsername: user.userPrincipalName, roles: roles)
        do {
            return TokenResponse(
                expiresIn: 3600, accessToken: Base64URL.encode(Data((0..<32).map { _ in UInt8.random(in: 0...255) })),
                idToken: try IDTokenSigner.shared.sign(claims))
        } catch {
            throw refusal(500, "server_error", 90000, "The ID token could not be signed.")
        }
    }

    private func check(assertion: String, app: GraphTenant.App, tenant: String) throws(Refusal) {
        guard let jwt = CompactJWT(assertion), jwt.header.alg == "RS256" || jwt.header.alg == "PS256" else {
            throw refusal(401, "invalid_client", 50027, "JWT token is invalid or malformed.")
        }
        let instant = Int(now().timeIntervalSince1970)
        let skew = Self.clockSkew
        if let federated = app.federated.first(where: { $0.issuer == jwt.claims.iss }) {
            guard jwt.claims.sub == federated.subject else {
                throw refusal(
                    400, "invalid_request", 700213, "No matching federated identity record found for presented assertion subject '\(jwt.claims.sub)'."
                )
            }
            guard jwt.claims.aud == TokenRequestField.federatedAudience else {
                throw refusal(
                    400, "invalid_request", 700212,
                    "No matching federated identity record found for presented assertion audience '\(jwt.claims.aud)'.")
            }
            guard verify(jwt, with: federated.signingCertificate) else {
                throw refusal(401, "invalid_client", 700027, "Client assertion failed signature validation.")
            }
        } else if jwt.claims.iss.lowercased() == app.clientId {
            guard jwt.claims.sub.lowercased() == app.clientId else {
                throw refusal(401, "invalid_client", 700023, "Client assertion subject does not match the client id.")
            }
            guard jwt.claims.aud == endpoint(tenant) else {
                throw refusal(401, "invalid_client", 700027, "Client assertion contains an invalid audience '\(jwt.claims.aud)'.")
            }
            guard let certificate = app.certificates.first(where: { matches(jwt.header, $0) }) else {
                throw refusal(
                    401, "invalid_client", 700027,
                    "The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found.]"
                )
            }
            guard verify(jwt, with: certificate) else {
                throw refusal(401, "invalid_client", 700027, "Client assertion failed signature validation.")
            }
            try checkLifetimeAndReplay(jwt.claims, instant: instant)
        } else {
            throw refusal(
                400, "invalid_request", 700211, "No matching federated identity record found for presented assertion issuer '\(jwt.claims.iss)'.")
        }
        guard jwt.claims.exp > instant - skew, (jwt.claims.nbf ?? 0) <= instant + skew else {
            throw refusal(401, "invalid_client", 700024, "Client assertion is not within its valid time range.")
        }
    }

    /// How far the emulator's clock and a client's may disagree, in seconds.
    static let clockSkew = 300

    /// A certificate assertion lasts at most `maximumAssertionLifetime` and is used once: its `jti`
    /// is remembered until its `exp`. (Entra documents `jti` as a unique identifier, not its answer
    /// to a replay; the emulator answers as it does to other bad assertions.) A federated token is
    /// another issuer's and is presented many times over its life, so it is not held to either.
    private func checkLifetimeAndReplay(_ claims: ClientAssertionClaims, instant: Int) throws(Refusal) {
        let start = claims.nbf ?? claims.iat ?? instant
        guard claims.exp - start <= Self.maximumAssertionLifetime else {
            throw refusal(
                401, "invalid_client", 700024,
                "Client assertion is valid for \(claims.exp - start) seconds; this emulator accepts at most \(Self.maximumAssertionLifetime).")
        }
        guard let id = claims.jti, !id.isEmpty, id.utf8.count <= 256 else {
            throw refusal(401, "invalid_client", 50027, "JWT token is invalid or malformed: the client assertion has no 'jti' claim.")
        }
        let replayed = store.state.withLock { state in
            guard state.usedAssertionIds[id] == nil else { return true }
            state.usedAssertionIds[id] = claims.exp
            return false
        }
        guard !replayed else {
            throw refusal(401, "invalid_client", 50027, "JWT token is invalid or malformed: the client assertion with this 'jti' was already used.")
        }
    }

    /// Whether the header's thumbprint names this PEM certificate.
    private func matches(_ header: JWTHeader, _ pem: String) -> Bool {
        guard let der = try? PEMDocument(pemString: pem).derBytes else { return false }
        let sha1 = Base64URL.encode(Data(Insecure.SHA1.hash(data: der)))
        let sha256 = Base64URL.encode(Data(SHA256.hash(data: der)))
        return header.x5t == sha1 || header.x5tS256 == sha256
    }

    private func verify(_ jwt: CompactJWT, with pem: String) -> Bool {
        guard let certificate = try? Certificate(pemEncoded: pem), let key = _RSA.Signing.PublicKey(certificate.publicKey) else { return false }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: jwt.signature)
        let padding: _RSA.Signing.Padding = jwt.header.alg == "PS256" ? .PSS : .insecurePKCS1v1_5
        return key.isValidSignature(signature, for: jwt.signingInput, padding: padding)
    }

    private func refusal(_ status: Int, _ error: String, _ code: Int, _ description: String) -> Refusal {
        Refusal(
            status: status,
            body: TokenErrorBody(
                error: error, errorDescription: "AADSTS\(code): \(description) Trace ID: \(UUID().uuidString.lowercased())",
                errorCodes: [code], traceId: UUID().uuidString.lowercased(), correlationId: UUID().uuidString.lowercased(),
                timestamp: GraphEndpoints.timestamp()))
    }
}
