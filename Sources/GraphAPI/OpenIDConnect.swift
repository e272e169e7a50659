import Crypto
import Foundation
import PortalAPI
import _CryptoExtras

/// The Microsoft identity platform's OpenID Connect documents and tokens, as people sign in to
/// a web app with the authorization code flow and PKCE
/// (learn.microsoft.com/entra/identity-platform/v2-protocols-oidc and v2-oauth2-auth-code-flow).

/// The discovery document at `{authority}/{tenant}/v2.0/.well-known/openid-configuration`.
public struct OpenIDConfiguration: Codable, Sendable, Equatable {
    /// For a tenant, `{authority}/{tenant id}/v2.0`: what an ID token's `iss` must say.
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var jwksURI: String
    public var idTokenSigningAlgValuesSupported: [String]
    public var responseTypesSupported: [String]
    public var scopesSupported: [String]

    public init(
        issuer: String, authorizationEndpoint: String, tokenEndpoint: String, jwksURI: String, idTokenSigningAlgValuesSupported: [String] = ["RS256"],
        responseTypesSupported: [String] = ["code", "id_token", "code id_token", "id_token token"],
        scopesSupported: [String] = ["openid", "profile", "email", "offline_access"]
    ) {
        self.issuer = issuer
        self.authorizationEndpoint = authorizationEndpoint
        self.tokenEndpoint = tokenEndpoint
        self.jwksURI = jwksURI
        self.idTokenSigningAlgValuesSupported = idTokenSigningAlgValuesSupported
        self.responseTypesSupported = responseTypesSupported
        self.scopesSupported = scopesSupported
    }

    enum CodingKeys: String, CodingKey {
        case issuer
        case authorizationEndpoint = "authorization_endpoint"
        case tokenEndpoint = "token_endpoint"
        case jwksURI = "jwks_uri"
        case idTokenSigningAlgValuesSupported = "id_token_signing_alg_values_supported"
        case responseTypesSupported = "response_types_supported"
        case scopesSupported = "scopes_supported"
    }
}

/// The signing keys at the discovery document's `jwks_uri` (RFC 7517).
public struct JSONWebKeySet: Codable, Sendable, Equatable {
    public var keys: [JSONWebKey]

    public init(keys: [JSONWebKey]) {
        self.keys = keys
    }
}

/// One RSA signing key: its modulus and exponent, base64url.
public struct JSONWebKey: Codable, Sendable, Equatable {
    public var kty: String
    public var use: String?
    public var kid: String
    public var n: String
    public var e: String

    public init(kid: String, publicKey: _RSA.Signing.PublicKey) throws {
        kty = "RSA"
        use = "sig"
        self.kid = kid
        let primitives = try publicKey.getKeyPrimitives()
        n = Base64URL.encode(primitives.modulus)
        e = Base64URL.encode(primitives.publicExponent)
    }

    /// The key, when it is an RSA key of at least 2048 bits.
    public var publicKey: _RSA.Signing.PublicKey? {
        guard kty == "RSA", use == nil || use == "sig", let modulus = Base64URL.decode(n), let exponent = Base64URL.decode(e) else { return nil }
        return try? _RSA.Signing.PublicKey(n: modulus, e: exponent)
    }
}

/// The claims of a v2.0 ID token that Roomkeeper reads
/// (learn.microsoft.com/entra/identity-platform/id-token-claims-reference).
public struct IDTokenClaims: Codable, Sendable, Equatable {
    public var iss: String
    public var aud: String
    public var exp: Int
    public var iat: Int?
    public var nbf: Int?
    /// The tenant the person signed in to.
    public var tid: String?
    /// The person's object id in that tenant.
    public var oid: String?
    public var sub: String
    public var nonce: String?
    public var name: String?
    public var preferredUsername: String?
    /// The app roles assigned to the person (`roles`), and the groups they are in (`groups`,
    /// object ids) when the app asks for group claims.
    public var roles: [String]?
    public var groups: [String]?
    public var ver: String?

    public init(
        iss: String, aud: String, exp: Int, iat: Int? = nil, nbf: Int? = nil, tid: String? = nil, oid: String? = nil, sub: String,
        nonce: String? = nil, name: String? = nil, preferredUsername: String? = nil, roles: [String]? = nil, groups: [String]? = nil,
        ver: String? = "2.0"
    ) {
        self.iss = iss
        self.aud = aud
        self.exp = exp
        self.iat = iat
        self.nbf = nbf
        self.tid = tid
        self.oid = oid
        self.sub = sub
        self.nonce = nonce
        self.name = name
        self.preferredUsername = preferredUsername
        self.roles = roles
        self.groups = groups
        self.ver = ver
    }

    enum CodingKeys: String, CodingKey {
        case iss, aud, exp, iat, nbf, tid, oid, sub, nonce, name, roles, groups, ver
        case preferredUsername = "preferred_username"
    }
}

/// An ID token as a token.
public typealias IDToken = SignedJWT<IDTokenClaims>

/// PKCE (RFC 7636): the verifier a client keeps, and the challenge it sends, `S256` only.
public enum ProofKey {
    /// A fresh verifier: 32 random bytes, base64url (43 characters).
    public static func verifier() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode(Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }))
    }

    /// The `S256` challenge of `verifier`: base64url of its SHA-256.
    public static func challenge(of verifier: String) -> String {
        Base64URL.encode(Data(SHA256.hash(data: Data(verifier.utf8))))
    }
}
