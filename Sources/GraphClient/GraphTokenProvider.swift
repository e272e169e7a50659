import AsyncHTTPClient
import Foundation
import GraphAPI
import HTTPTransport
import Logging
import NIOCore
import PortalAPI

/// App-only access tokens for Graph from the Microsoft identity platform's token endpoint.
///
/// A token is kept in memory until five minutes before it expires, shared by every request, and
/// fetched by one request at a time however many need it. It is never logged, described or
/// written. The credential goes only to the configured sign-in host.
public actor GraphTokenProvider {
    public nonisolated let signIn: GraphSignIn
    private let transport: HTTPTransport
    private let timeout: Duration
    private let now: @Sendable () -> Date
    private var cached: (token: String, refreshAfter: Date)?
    private var pending: Task<(String, Date), any Error>?
    /// How many tokens were fetched: a test counts the sign-ins a run made.
    public private(set) var signIns = 0

    public init(signIn: GraphSignIn, http: HTTPClient, timeout: Duration = .seconds(30), now: @escaping @Sendable () -> Date = Date.init) {
        self.signIn = signIn
        transport = HTTPTransport(peer: "sign-in", http: http, logger: Logger(label: "roomkeeper.graph"))
        self.timeout = timeout
        self.now = now
    }

    /// A token good for at least five more minutes.
    public func token() async throws -> String {
        if let cached, cached.refreshAfter > now() { return cached.token }
        if let pending { return try await pending.value.0 }
        let (signIn, transport, timeout, now) = (signIn, transport, timeout, now)
        let task = Task { try await Self.fetch(signIn: signIn, transport: transport, timeout: timeout, now: now) }
        pending = task
        defer { pending = nil }
        let (token, refreshAfter) = try await task.value
        signIns += 1
        cached = (token, refreshAfter)
        return token
    }

    /// Drops `token` after Graph refused it (401), so the next `token()` signs in again. A
    /// token that was already replaced is left alone: many requests may report the same one.
    public func refused(_ token: String) {
        if cached?.token == token { cached = nil }
    }

    /// One attempt: a sign-in is not repeated on the caller's behalf, and a refusal is final.
    private static func fetch(
        signIn: GraphSignIn, transport: HTTPTransport, timeout: Duration, now: @Sendable () -> Date
    ) async throws -> (String, Date) {
        // A token's lifetime counts from when it was asked for, not from when the answer came.
        let started = now()
        let answer = try await post(
            signIn: signIn, grant: [("scope", signIn.scope), ("grant_type", "client_credentials")], transport: transport, timeout: timeout, now: now)
        guard answer.tokenType.lowercased() == "bearer", !answer.accessToken.isEmpty, answer.expiresIn > 0 else {
            throw failure(signIn, "the sign-in endpoint's answer holds no bearer token")
        }
        // Refresh five minutes early, or halfway through a token that lives less than ten.
        let lifetime = Double(min(answer.expiresIn, 86_400))
        return (answer.accessToken, started.addingTimeInterval(lifetime > 600 ? lifetime - 300 : lifetime / 2))
    }

    /// A person's authorization code redeemed at the token endpoint by this app (its credential
    /// proving the app, `verifier` the PKCE challenge): the answer, which holds the ID token.
    public static func redeem(
        code: String, verifier: String, redirectURI: String, signIn: GraphSignIn, http: HTTPClient, timeout: Duration = .seconds(30),
        now: @escaping @Sendable () -> Date = Date.init
    ) async throws -> TokenResponse {
        let transport = HTTPTransport(peer: "sign-in", http: http, logger: Logger(label: "roomkeeper.console"))
        let grant = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier),
            ("scope", "openid profile"),
        ]
        return try await post(signIn: signIn, grant: grant, transport: transport, timeout: timeout, now: now)
    }

    /// One request to the token endpoint: `grant` and the app's credential, sent once; its answer,
    /// or an error naming tenant, app and reason, never the credential.
    private static func post(
        signIn: GraphSignIn, grant: [(String, String)], transport: HTTPTransport, timeout: Duration, now: @Sendable () -> Date
    ) async throws -> TokenResponse {
        var form = [("client_id", signIn.clientId)] + grant
        var secret: String?
        switch signIn.credential {
        case .certificate(let certificate):
            form.append(("client_assertion_type", TokenRequestField.assertionType))
            form.append(("client_assertion", try certificate.assertion(clientId: signIn.clientId, audience: signIn.tokenEndpoint, now: now())))
        case .secret(let clientSecret):
            secret = clientSecret.value
            form.append(("client_secret", clientSecret.value))
        case .federatedTokenFile(let path):
            guard let data = try? FileHandle.readBounded(path: path, limit: 64 << 10),
                let token = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !token.isEmpty
            else { throw failure(signIn, "cannot read the federated token file \(path)") }
            secret = token
            form.append(("client_assertion_type", TokenRequestField.assertionType))
            form.append(("client_assertion", token))
        }
        var request = HTTPClientRequest(url: signIn.tokenEndpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(ByteBuffer(string: form.map { "\($0)=\(formEncoded($1))" }.joined(separator: "&")))
        let answer: HTTPAnswer
        do {
            answer = try await transport.send(request, policy: .once(timeout: timeout, maximumResponseBytes: 64 << 10))
        } catch let error as TransportFailure {
            throw failure(signIn, "could not reach \(signIn.authority): \(error)", code: "SignInUnreachable")
        }
        let status = answer.status
        let bytes = Data(answer.body.readableBytesView)
        guard status == 200 else {
            let detail: String
            if let answer = try? JSONDecoder().decode(TokenErrorBody.self, from: bytes) {
                detail =
                    "\(answer.error): \(answer.errorDescription.split(separator: "\r\n").first.map(String.init) ?? answer.errorDescription)"
                    + (answer.traceId.map { " (trace id \($0))" } ?? "")
            } else {
                detail = "the sign-in endpoint answered \(status)"
            }
            throw failure(signIn, redacting: secret, detail)
        }
        guard let answer = try? JSONDecoder().decode(TokenResponse.self, from: bytes) else {
            throw failure(signIn, "the sign-in endpoint's answer is not a token response")
        }
        return answer
    }

    /// The error a failed sign-in throws: which tenant and app, how, and why; never the credential.
    private static func failure(_ signIn: GraphSignIn, redacting secret: String? = nil, _ detail: String, code: String = "SignInFailed") -> GraphError
    {
        var message = "signing in to tenant \(signIn.tenantId) as client \(signIn.clientId) with its \(signIn.credential.kind) failed: \(detail)"
        if let secret, !secret.isEmpty { message = message.replacingOccurrences(of: secret, with: "(hidden)") }
        return GraphError(status: 0, code: code, message: message)
    }

    private static func formEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }
}
