import Crypto
import Foundation
import PortalAPI

/// What a person may do in the console.
public enum ConsoleRole: String, Codable, Sendable, Comparable {
    /// Sees every page; changes nothing.
    case viewer
    /// Also confirms checklist steps, suspends, resumes and reconciles.
    case `operator`

    public static func < (first: ConsoleRole, second: ConsoleRole) -> Bool { first == .viewer && second == .operator }
}

/// A signed-in person, kept in a sealed cookie (no server state, so replicas sharing the key
/// share sessions): who, with which role, until when, and the token their forms must carry.
struct ConsoleSession: Codable, Sendable, Equatable {
    /// The person's `preferred_username` (their sign-in name) and display name.
    var username: String
    var name: String
    var role: ConsoleRole
    var expires: Date
    /// The anti-forgery token every form of this session sends back.
    var csrf: String
}

/// A sign-in under way, between the redirect to Entra ID and the person's return: the state,
/// nonce and PKCE verifier of this request, and the page to return to.
struct PendingSignIn: Codable, Sendable, Equatable {
    var state: String
    var nonce: String
    var verifier: String
    var returnTo: String
    var expires: Date
}

/// Cookies sealed with the console's key (AES-GCM: a cookie cannot be read, forged or altered
/// without it), named with the `__Host-` prefix (Secure, path `/`, no domain), `HttpOnly`, and
/// `SameSite=Lax`, so that a link pasted into a ticket opens signed in while another site's
/// form posts never carry them.
struct SealedCookies: Sendable {
    static let session = "__Host-roomkeeper-session"
    static let pending = "__Host-roomkeeper-signin"

    let key: SymmetricKey

    func seal(_ value: some Encodable) -> String? {
        guard let data = try? JSONEncoder().encode(value), let box = try? AES.GCM.seal(data, using: key), let combined = box.combined else {
            return nil
        }
        return Base64URL.encode(combined)
    }

    func open<Value: Decodable>(_ text: String?, as type: Value.Type) -> Value? {
        guard let text, text.utf8.count <= 4096, let combined = Base64URL.decode(Substring(text)),
            let box = try? AES.GCM.SealedBox(combined: combined), let data = try? AES.GCM.open(box, using: key)
        else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }

    /// A `Set-Cookie` value that stores `value` for `maxAge` seconds; nil `value` clears it.
    static func header(_ name: String, _ value: String?, maxAge: Int) -> String {
        "\(name)=\(value ?? ""); Path=/; Max-Age=\(value == nil ? 0 : maxAge); Secure; HttpOnly; SameSite=Lax"
    }

    /// The cookies a request carries, by name (the first of a name wins).
    static func parse(_ header: String?) -> [String: String] {
        var cookies: [String: String] = [:]
        for pair in (header ?? "").split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].trimmingCharacters(in: .whitespaces)
            if cookies[name] == nil { cookies[name] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return cookies
    }
}

/// Random text for states, nonces and anti-forgery tokens: 32 bytes, base64url.
func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    return Base64URL.encode(Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }))
}
