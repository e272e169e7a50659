import Crypto
import Foundation
import PortalAPI
import SwiftASN1
import X509
import _CryptoExtras

/// A certificate registered on the app registration, with its RSA private key: what signs the
/// client assertions of certificate sign-in.
///
/// Read from one PEM file holding the private key (PKCS #1 or PKCS #8) and the certificate, the
/// form `AZURE_CLIENT_CERTIFICATE_PATH` names for Azure's own SDKs. The key never leaves this
/// value; its description shows only the thumbprint, as the Entra admin center does.
public struct ClientCertificate: Sendable, CustomStringConvertible {
    private let key: _RSA.Signing.PrivateKey
    public let certificate: Certificate
    /// The SHA-1 thumbprint in upper-case hexadecimal, as the Entra admin center lists it.
    public let thumbprint: String
    /// The base64url SHA-1 and SHA-256 thumbprints the assertion's header carries (`x5t`, `x5t#S256`).
    let sha1Thumbprint: String
    let sha256Thumbprint: String

    public init(pemFile path: String, now: Date = Date()) throws(GraphConfigurationError) {
        let text: String
        do {
            try SecretFile.checkPermissions(path)
        } catch {
            throw GraphConfigurationError("the client certificate file \(error) (it holds the private key)")
        }
        do {
            let data = try FileHandle.readBounded(path: path, limit: 256 << 10)
            guard let decoded = String(data: data, encoding: .utf8) else { throw GraphConfigurationError("") }
            text = decoded
        } catch {
            throw GraphConfigurationError("cannot read the client certificate file \(path): it must be a PEM file of at most 256 KiB")
        }
        try self.init(pem: text, source: path, now: now)
    }

    public init(pem text: String, source: String = "the client certificate", now: Date = Date()) throws(GraphConfigurationError) {
        let documents: [PEMDocument]
        do {
            documents = try PEMDocument.parseMultiple(pemString: text)
        } catch {
            throw GraphConfigurationError("\(source) is not a PEM file; expected a PRIVATE KEY block and a CERTIFICATE block")
        }
        guard let certificateDocument = documents.first(where: { $0.discriminator == "CERTIFICATE" }),
            let keyDocument = documents.first(where: { $0.discriminator == "PRIVATE KEY" || $0.discriminator == "RSA PRIVATE KEY" })
        else {
            throw GraphConfigurationError(
                "\(source) must hold both the private key (a PRIVATE KEY or RSA PRIVATE KEY block) and the certificate (a CERTIFICATE block)")
        }
        let certificate: Certificate
        let key: _RSA.Signing.PrivateKey
        do {
            certificate = try Certificate(derEncoded: certificateDocument.derBytes)
            key = try _RSA.Signing.PrivateKey(pemRepresentation: keyDocument.pemString)
        } catch {
            throw GraphConfigurationError("\(source) holds a certificate or key that cannot be read; the key must be RSA (2048 bits or more)")
        }
        guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
            throw GraphConfigurationError("in \(source) the private key does not belong to the certificate")
        }
        guard key.keySizeInBits >= 2048 else {
            throw GraphConfigurationError("\(source) has a \(key.keySizeInBits)-bit key; Microsoft Entra ID requires at least 2048 bits")
        }
        let der = Data(certificateDocument.derBytes)
        let sha1 = Data(Insecure.SHA1.hash(data: der))
        self.key = key
        self.certificate = certificate
        thumbprint = sha1.map { String(format: "%02X", $0) }.joined()
        sha1Thumbprint = Base64URL.encode(sha1)
        sha256Thumbprint = Base64URL.encode(Data(SHA256.hash(data: der)))
        guard certificate.notValidAfter > now else {
            throw GraphConfigurationError(
                "the client certificate \(thumbprint) expired on \(ISO8601DateFormatter().string(from: certificate.notValidAfter)); "
                    + "create a new one and upload it to the app registration")
        }
    }

    public var description: String { "certificate \(thumbprint)" }

    /// A client assertion for `audience` (the token endpoint): a JWT signed RS256, valid from now
    /// for ten minutes, with a fresh id, as learn.microsoft.com/entra/identity-platform/certificate-credentials
    /// lists its header and claims.
    public func assertion(clientId: String, audience: String, now: Date = Date(), id: UUID = UUID()) throws -> String {
        let issued = Int(now.timeIntervalSince1970)
        let header = JWTHeader(alg: "RS256", typ: "JWT", x5t: sha1Thumbprint, x5tS256: sha256Thumbprint)
        let claims = ClientAssertionClaims(
            aud: audience, iss: clientId, sub: clientId, jti: id.uuidString.lowercased(), nbf: issued, iat: issued, exp: issued + 600)
        return try CompactJWT.sign(header: header, claims: claims) { input in
            Data(try key.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }
}

/// A JSON Web Token's header: a client assertion's, or an ID token's (which names its signing
/// key by `kid`).
public struct JWTHeader: Codable, Sendable, Equatable {
    public var alg: String
    public var typ: String?
    public var kid: String?
    public var x5t: String?
    public var x5tS256: String?

    public init(alg: String, typ: String? = nil, kid: String? = nil, x5t: String? = nil, x5tS256: String? = nil) {
        self.alg = alg
        self.typ = typ
        self.kid = kid
        self.x5t = x5t
        self.x5tS256 = x5tS256
    }

    enum CodingKeys: String, CodingKey {
        case alg, typ, kid, x5t
        case x5tS256 = "x5t#S256"
    }
}

/// The claims of a client assertion, and of a federated (workload identity) token.
public struct ClientAssertionClaims: Codable, Sendable, Equatable {
    public var aud: String
    public var iss: String
    public var sub: String
    public var jti: String?
    public var nbf: Int?
    public var iat: Int?
    public var exp: Int

    public init(aud: String, iss: String, sub: String, jti: String? = nil, nbf: Int? = nil, iat: Int? = nil, exp: Int) {
        self.aud = aud
        self.iss = iss
        self.sub = sub
        self.jti = jti
        self.nbf = nbf
        self.iat = iat
        self.exp = exp
    }
}

/// A JSON Web Token in compact form (RFC 7519): `header.claims.signature`, each part base64url.
public struct SignedJWT<Claims: Codable & Sendable>: Sendable {
    public let header: JWTHeader
    public let claims: Claims
    /// The bytes the signature covers: `header.claims` as sent.
    public let signingInput: Data
    public let signature: Data

    /// Splits and decodes a token; nil when it is not a well-formed JWT.
    public init?(_ token: String) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard token.utf8.count <= 16 << 10, parts.count == 3,
            let headerBytes = Base64URL.decode(parts[0]), let claimBytes = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2]),
            let header = try? JSONDecoder().decode(JWTHeader.self, from: headerBytes),
            let claims = try? JSONDecoder().decode(Claims.self, from: claimBytes)
        else { return nil }
        self.header = header
        self.claims = claims
        signingInput = Data("\(parts[0]).\(parts[1])".utf8)
        self.signature = signature
    }

    /// `header.claims.signature`, signed by `sign` over `header.claims`.
    public static func sign(header: JWTHeader, claims: Claims, with sign: (Data) throws -> Data) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let input = Base64URL.encode(try encoder.encode(header)) + "." + Base64URL.encode(try encoder.encode(claims))
        return input + "." + Base64URL.encode(try sign(Data(input.utf8)))
    }

    /// Whether `key` signed this token with RS256, the one algorithm Roomkeeper accepts for
    /// tokens it checks.
    public func isSigned(by key: _RSA.Signing.PublicKey) -> Bool {
        header.alg == "RS256"
            && key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: signingInput, padding: .insecurePKCS1v1_5)
    }
}

/// A client assertion as a token.
public typealias CompactJWT = SignedJWT<ClientAssertionClaims>
