import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization

/// What a `CookieBrowser` request got back.
public struct BrowserAnswer: Sendable {
    public var status: Int
    public var body: String
    /// Every header, names in lower case.
    public var headers: [(name: String, value: String)]

    public func header(_ name: String) -> String? { headers.first { $0.name == name.lowercased() }?.value }
    public var location: String? { header("location") }
}

/// A browser as far as HTTP goes, for tests of pages people sign in to: it keeps the cookies
/// servers set (dropping one set with `Max-Age=0`) and sends them back, follows no redirect by
/// itself, and marks a form post as a browser does (`Origin`, `Sec-Fetch-Site`).
public final class CookieBrowser: Sendable {
    private let cookies = Mutex<[String: String]>([:])

    public init() {}

    /// A client that, like this browser, follows redirects only when told.
    private static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.maximumUsesPerConnection = 1
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public func get(_ url: String) async throws -> BrowserAnswer {
        try await send("GET", url, headers: ["Sec-Fetch-Site": "none"], body: nil)
    }

    /// Posts `form`, from a page of `origin` (another site's when it is not the target's).
    public func post(_ url: String, form: [String: String], origin: String) async throws -> BrowserAnswer {
        let target = URLComponents(string: url)
        let sameOrigin = target.map { "\($0.scheme ?? "")://\($0.host ?? "")\($0.port.map { ":\($0)" } ?? "")" } == origin
        let body = form.map { "\(Self.encoded($0.key))=\(Self.encoded($0.value))" }.sorted().joined(separator: "&")
        return try await send(
            "POST", url,
            headers: [
                "Content-Type": "application/x-www-form-urlencoded", "Origin": origin, "Sec-Fetch-Site": sameOrigin ? "same-origin" : "cross-site",
            ], body: body)
    }

    /// Signs in to Roomkeeper's console at `origin` as a person does, from `page`: the console
    /// sends the browser to sign in (here the Graph emulator's form), which sends it back with a
    /// code. Returns where the console sent it to sign in, and the console's answer to the code.
    public func signIn(to origin: String, as username: String, from page: String = "/console") async throws -> (
        authorize: String, callback: BrowserAnswer
    ) {
        let first = try await get(origin + page)
        guard first.status == 303, let start = first.location, start.hasPrefix("/console/signin") else {
            throw FixtureError("\(page) did not send the browser to sign in: \(first.status) \(first.body)")
        }
        let toEntra = try await get(origin + start)
        guard toEntra.status == 303, let authorize = toEntra.location, let query = URLComponents(string: authorize)?.queryItems else {
            throw FixtureError("the console did not send the browser to Entra ID: \(toEntra.status) \(toEntra.body)")
        }
        let form = try await get(authorize)
        guard form.status == 200 else { throw FixtureError("the sign-in page answered \(form.status): \(form.body)") }
        var fields = Dictionary(query.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
        fields["username"] = username
        let provider = URLComponents(string: authorize).map { "\($0.scheme ?? "")://\($0.host ?? "")\($0.port.map { ":\($0)" } ?? "")" } ?? ""
        let back = try await post(authorize, form: fields, origin: provider)
        guard back.status == 302, let callback = back.location, callback.hasPrefix(origin + "/console/callback?") else {
            throw FixtureError("the sign-in page did not send the browser back with a code: \(back.status) \(back.body)")
        }
        return (authorize, try await get(callback))
    }

    /// The value of the cookie `name`, if one is kept.
    public func cookie(_ name: String) -> String? { cookies.withLock { $0[name] } }

    private func send(_ method: String, _ url: String, headers: [String: String], body: String?) async throws -> BrowserAnswer {
        var request = HTTPClientRequest(url: url)
        request.method = .RAW(value: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let jar = cookies.withLock { $0 }
        if !jar.isEmpty {
            request.headers.add(name: "Cookie", value: jar.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await Self.client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        for line in response.headers["Set-Cookie"] {
            let first = line.split(separator: ";").first.map(String.init) ?? ""
            let parts = first.split(separator: "=", maxSplits: 1).map(String.init)
            guard let name = parts.first else { continue }
            let value = parts.count > 1 ? parts[1] : ""
            cookies.withLock { jar in
                if value.isEmpty || line.contains("Max-Age=0") { jar[name] = nil } else { jar[name] = value }
            }
        }
        return BrowserAnswer(
            status: Int(response.status.code), body: String(buffer: bytes), headers: response.headers.map { ($0.name.lowercased(), $0.value) })
    }

    private static func encoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? ""
    }
}
