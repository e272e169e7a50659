import Controller
import Crypto
import Foundation
import GraphAPI
import GraphClient
import GraphEmulator
import Hummingbird
import Logging
import PortalAPI
import PortalModel
import Reconciler
import ServiceLifecycle
import TestSupport
import Testing
import _CryptoExtras

@testable import Console

@Suite("The web console: sign-in with Entra ID, roles, and changes only by operators' own forms")
struct ConsoleTests {
    static let operatorName = "megan.bowen@contoso.com"
    static let viewerName = "person0@contoso.com"
    static let nobodyName = "person1@contoso.com"

    /// A controller (not reconciling) with its console on a free port, signing people in through
    /// a Graph emulator whose app registers the console's redirect URI and assigns the roles.
    struct Running {
        let origin: String
        let graph: RunningGraph
        let controller: Controller
        let services: ServiceGroup
        let server: Task<Void, any Error>
        let folder: URL

        /// `controller` makes the controller the console shows, from the emulator and a folder;
        /// by default one with a portal, never reconciling.
        static func start(controller make: ((RunningGraph, URL) throws -> Controller)? = nil) async throws -> Running {
            let port = try freeLoopbackPort()
            let origin = "http://127.0.0.1:\(port)"
            let app = GraphTenant.App(
                clientId: TestDirectory.clientId, secrets: [.init(value: TestDirectory.secret)], redirectURIs: ["\(origin)/console/callback"],
                appRoles: [operatorName: ["Roomkeeper.Operator"], viewerName: ["Roomkeeper.Viewer"]])
            let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(app: app))
            let folder = try temporaryFolder("roomkeeper-console")
            let controller =
                try make?(graph, folder)
                ?? Controller(configuration: .testing(.folder(folder.path), root: folder, mode: .report), logger: Logger(label: "test"))
            let settings = try ConsoleSettings(
                origin: origin, signIn: try graph.signIn(.secret(ClientSecret(TestDirectory.secret))), sessionKey: SymmetricKey(size: .bits256))
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let application = ControllerServer.makeApplication(
                serving: .one(controller), host: "127.0.0.1", port: port,
                credentials: ControllerCredentials(webhookSecret: nil, adminToken: "admin-token", loopbackOnly: true), logger: Logger(label: "test"),
                more: { router in ConsoleRoutes.add(to: router, serving: .one(controller), settings: settings, logger: Logger(label: "test")) },
                onServerRunning: { continuation.yield($0) })
            let services = ServiceGroup(configuration: .init(services: [application], logger: Logger(label: "test")))
            let server = Task { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            _ = await iterator.next()
            return Running(origin: origin, graph: graph, controller: controller, services: services, server: server, folder: folder)
        }

        func stop() async {
            await services.triggerGracefulShutdown()
            _ = await server.result
            await graph.stop()
            try? FileManager.default.removeItem(at: folder)
        }

        /// Signs `browser` in as `username`, checking the way there: PKCE with `S256`, the
        /// pending sign-in's cookie, the tenant's own authorization endpoint.
        func signIn(_ browser: CookieBrowser, as username: String, to page: String = "/console") async throws -> BrowserAnswer {
            let (authorize, callback) = try await browser.signIn(to: origin, as: username, from: page)
            #expect(authorize.hasPrefix(graph.url + "/\(graph.store.tenantId)/oauth2/v2.0/authorize?"))
            #expect(URLComponents(string: authorize)?.queryItems?.contains { $0.name == "code_challenge_method" && $0.value == "S256" } == true)
            return callback
        }
    }

    /// The anti-forgery token in a page's forms.
    static func csrf(in page: String) -> String? {
        guard let range = page.range(of: #"name="csrf" value=""#) else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test(
        "An operator signs in through Entra ID (code flow with PKCE), sees the tenants, suspends and resumes with the page's own forms; a forged or cross-site post changes nothing"
    )
    func operatorSignsInAndActs() async throws {
        let console = try await Running.start()
        defer { Task { await console.stop() } }
        let browser = CookieBrowser()
        let landed = try await console.signIn(browser, as: Self.operatorName, to: "/console/tenants/default")
        #expect(landed.status == 303 && landed.location == "/console/tenants/default", "back to the page asked for: \(landed.body)")
        #expect(browser.cookie(SealedCookies.session) != nil && browser.cookie(SealedCookies.pending) == nil)
        let setCookie = landed.headers.filter { $0.name == "set-cookie" }.map(\.value).joined(separator: "\n")
        #expect(setCookie.contains("__Host-roomkeeper-session=") && setCookie.contains("Secure; HttpOnly; SameSite=Lax"), "\(setCookie)")

        let overview = try await browser.get(console.origin + "/console")
        #expect(overview.status == 200 && overview.body.contains("Megan Bowen (operator)") && overview.body.contains(">default</a>"))
        #expect(overview.header("content-security-policy")?.contains("default-src 'none'") == true)
        #expect(overview.header("cache-control") == "no-store" && overview.header("x-frame-options") == "DENY")
        let tenant = try await browser.get(console.origin + "/console/tenants/default")
        let token = try #require(Self.csrf(in: tenant.body), "\(tenant.body)")
        #expect(tenant.body.contains(">Suspend</button>"))
        #expect(try await browser.get(console.origin + "/console/tenants/default/plan").body.contains("No plan yet"))
        #expect(try await browser.get(console.origin + "/console/tenants/nobody/plan").status == 404)

        // Without the page's token, or from another site, nothing changes.
        let forged = try await browser.post(console.origin + "/console/tenants/default/suspend", form: ["csrf": "guess"], origin: console.origin)
        #expect(forged.status == 403)
        let crossSite = try await browser.post(
            console.origin + "/console/tenants/default/suspend", form: ["csrf": token], origin: "https://evil.example")
        #expect(crossSite.status == 403)
        #expect(await !console.controller.status.suspended)
        // A GET changes nothing either.
        #expect(try await browser.get(console.origin + "/console/tenants/default/suspend").status == 404)
        #expect(await !console.controller.status.suspended)

        let suspended = try await browser.post(console.origin + "/console/tenants/default/suspend", form: ["csrf": token], origin: console.origin)
        #expect(suspended.status == 303 && suspended.location == "/console/tenants/default")
        #expect(await console.controller.status.suspended)
        #expect(try await browser.get(console.origin + "/console/tenants/default").body.contains(">Resume</button>"))
        _ = try await browser.post(console.origin + "/console/tenants/default/resume", form: ["csrf": token], origin: console.origin)
        #expect(await !console.controller.status.suspended)

        // Signing out ends the session: the next page asks to sign in again.
        let out = try await browser.post(console.origin + "/console/signout", form: ["csrf": token], origin: console.origin)
        #expect(out.status == 200 && browser.cookie(SealedCookies.session) == nil)
        #expect(try await browser.get(console.origin + "/console").status == 303)
        // The scripts' token still works beside the console.
        let status = try await httpRequest("GET", console.origin + "/status", headers: ["Authorization": "Bearer admin-token"])
        #expect(status.status == 200)
    }

    @Test(
        "Through Graph alone, the checklist is on a page: an operator walks through it, Done records the step as apply --walk-through does, and the next pass leaves it out"
    )
    func checklist() async throws {
        /// A Graph-only controller over two room groups: two steps for a person.
        func graphOnly(_ graph: RunningGraph, _ folder: URL) throws -> Controller {
            let manifests = folder.appendingPathComponent("manifests")
            try FileManager.default.createDirectory(at: manifests, withIntermediateDirectories: true)
            try """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: london}
            spec: {displayName: London, rooms: [conf-lon-3a@contoso.com, conf-lon-3b@contoso.com]}
            ---
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: paris}
            spec: {displayName: Paris, rooms: [conf-par-1a@contoso.com]}
            """.write(to: manifests.appendingPathComponent("groups.yaml"), atomically: true, encoding: .utf8)
            var configuration = ControllerConfiguration.testing(
                .folder(manifests.path), root: folder, mode: .report,
                directory: GraphDirectoryReader(session: try graph.session(.secret(ClientSecret(TestDirectory.secret)), priority: .low)))
            configuration.openPortal = nil
            return Controller(configuration: configuration, logger: Logger(label: "test"))
        }
        let console = try await Running.start(controller: graphOnly)
        defer { Task { await console.stop() } }
        await console.controller.reconcile()
        let message = await console.controller.status.message
        let steps = try #require(await console.controller.latestChecklist?.steps, "\(message)")
        #expect(steps.count == 2, "\(steps.map(\.title))")

        let browser = CookieBrowser()
        _ = try await console.signIn(browser, as: Self.operatorName)
        let list = try await browser.get(console.origin + "/console/tenants/default/checklist")
        #expect(list.status == 200 && list.body.contains("2 steps to do in the portal, 0 confirmed"), "\(list.body)")
        #expect(list.body.contains(steps[0].title.htmlEscaped) && list.body.contains(steps[1].title.htmlEscaped))
        let plan = try await browser.get(console.origin + "/console/tenants/default/plan")
        #expect(plan.status == 200 && plan.body.contains("The portal has no API"), "\(plan.body)")
        let access = try await browser.get(console.origin + "/console/tenants/default/access?q=megan")
        #expect(access.status == 200 && access.body.contains("Who can get in"), "\(access.body)")
        let overview = try await browser.get(console.origin + "/console")
        #expect(overview.body.contains("<th scope=\"col\">Drift by cause</th>") && overview.body.contains("<td>not signed</td>"), "\(overview.body)")
        let drift = try await browser.get(console.origin + "/console/tenants/default/drift")
        #expect(drift.status == 200 && drift.body.contains("Roomkeeper drift report") && drift.body.contains("<main id=\"main\">"))
        let walk = try await browser.get(console.origin + "/console/tenants/default/checklist/\(steps[0].id)")
        #expect(walk.body.contains("Skip to step 2") && walk.body.contains("Done in the portal"))
        let token = try #require(Self.csrf(in: walk.body))
        let done = try await browser.post(
            console.origin + "/console/tenants/default/checklist/\(steps[0].id)/done", form: ["csrf": token, "return": "walk"], origin: console.origin
        )
        #expect(done.status == 303 && done.location == "/console/tenants/default/checklist/\(steps[1].id)", "on to the next step")
        let after = try await browser.get(console.origin + "/console/tenants/default/checklist")
        #expect(after.body.contains("1 step to do in the portal, 1 confirmed") && !after.body.contains(steps[0].title.htmlEscaped))
        // Done twice is not done again.
        let again = try await browser.post(
            console.origin + "/console/tenants/default/checklist/\(steps[0].id)/done", form: ["csrf": token], origin: console.origin)
        #expect(again.status == 409)

        // Recorded in the state folder, as the terminal's walk-through records: a new process's pass leaves it out.
        let restarted = Controller(configuration: await console.controller.configuration, logger: Logger(label: "test"))
        await restarted.reconcile()
        #expect(await restarted.latestChecklist?.steps.map(\.id) == [steps[1].id])
    }

    @Test("A viewer sees the pages and is refused every change; a person with neither role is not signed in")
    func viewerAndNobody() async throws {
        let console = try await Running.start()
        defer { Task { await console.stop() } }
        let viewer = CookieBrowser()
        #expect(try await console.signIn(viewer, as: Self.viewerName).status == 303)
        let page = try await viewer.get(console.origin + "/console/tenants/default")
        #expect(page.status == 200 && page.body.contains("(viewer)") && !page.body.contains(">Suspend</button>"))
        let token = try #require(Self.csrf(in: page.body))
        let refused = try await viewer.post(console.origin + "/console/tenants/default/suspend", form: ["csrf": token], origin: console.origin)
        #expect(refused.status == 403 && refused.body.contains("is a viewer"))
        #expect(await !console.controller.status.suspended)

        let nobody = CookieBrowser()
        let answer = try await console.signIn(nobody, as: Self.nobodyName)
        #expect(answer.status == 403 && answer.body.contains("holds neither Roomkeeper.Viewer nor Roomkeeper.Operator"), "\(answer.body)")
        #expect(nobody.cookie(SealedCookies.session) == nil)

        // A callback this browser did not start is refused, whatever code it carries.
        let stranger = CookieBrowser()
        let forgedCallback = try await stranger.get(console.origin + "/console/callback?code=abc&state=xyz")
        #expect(forgedCallback.status == 400 && stranger.cookie(SealedCookies.session) == nil)
    }

    @Test("The emulator's sign-in is Entra's: an unregistered redirect URI is an error page, a code is redeemed once, by its PKCE verifier")
    func emulatorCodeFlow() async throws {
        let redirect = "https://rooms.example.net/console/callback"
        let app = GraphTenant.App(
            clientId: TestDirectory.clientId, secrets: [.init(value: TestDirectory.secret)], redirectURIs: [redirect],
            appRoles: [Self.operatorName: ["Roomkeeper.Operator"]])
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(app: app))
        defer { Task { await graph.stop() } }
        let tenant = graph.store.tenantId
        let discovery = try await httpRequest("GET", "\(graph.url)/\(tenant)/v2.0/.well-known/openid-configuration")
        let document = try JSONDecoder().decode(OpenIDConfiguration.self, from: Data(discovery.body.utf8))
        #expect(document.issuer == "\(graph.url)/\(tenant)/v2.0" && document.jwksURI.hasPrefix(graph.url))
        let keys = try JSONDecoder().decode(
            JSONWebKeySet.self, from: Data(try await httpRequest("GET", document.jwksURI).body.utf8))

        let verifier = ProofKey.verifier()
        var fields = [
            "client_id": TestDirectory.clientId, "response_type": "code", "redirect_uri": redirect, "scope": "openid profile", "state": "s1",
            "nonce": "n1", "code_challenge": ProofKey.challenge(of: verifier), "code_challenge_method": "S256", "username": Self.operatorName,
        ]
        let browser = CookieBrowser()
        var elsewhere = fields
        elsewhere["redirect_uri"] = "https://evil.example/callback"
        let refused = try await browser.post(document.authorizationEndpoint, form: elsewhere, origin: graph.url)
        #expect(refused.status == 400 && refused.body.contains("AADSTS50011") && refused.location == nil)
        // Entra's PKCE refusals: a method other than S256, a challenge that is not 43 characters.
        var plain = fields
        plain["code_challenge_method"] = "plain"
        #expect(try await browser.post(document.authorizationEndpoint, form: plain, origin: graph.url).body.contains("AADSTS50149"))
        var padded = fields
        padded["code_challenge"] = ProofKey.challenge(of: verifier) + "="
        let long = try await browser.post(document.authorizationEndpoint, form: padded, origin: graph.url)
        #expect(long.status == 400 && long.body.contains("AADSTS501491") && long.location == nil)
        fields["username"] = "nobody@contoso.com"
        #expect(try await browser.post(document.authorizationEndpoint, form: fields, origin: graph.url).body.contains("AADSTS50034"))
        fields["username"] = Self.operatorName
        let back = try await browser.post(document.authorizationEndpoint, form: fields, origin: graph.url)
        let code = try #require(URLComponents(string: back.location ?? "")?.queryItems?.first { $0.name == "code" }?.value)
        #expect(URLComponents(string: back.location ?? "")?.queryItems?.first { $0.name == "state" }?.value == "s1")

        func redeem(_ verifier: String) async throws -> HTTPResult {
            let form = [
                "grant_type": "authorization_code", "client_id": TestDirectory.clientId, "client_secret": TestDirectory.secret, "code": code,
                "redirect_uri": redirect, "code_verifier": verifier,
            ]
            let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            return try await httpRequest(
                "POST", document.tokenEndpoint, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: body)
        }
        let wrong = try await redeem(ProofKey.verifier())
        #expect(wrong.status == 400 && wrong.body.contains("AADSTS501481"), "\(wrong.body)")
        // A failed redemption used the code up, as a replayed one is: a new sign-in gets another.
        #expect(try await redeem(verifier).body.contains("AADSTS70008"))
        let again = try await browser.post(document.authorizationEndpoint, form: fields, origin: graph.url)
        let fresh = try #require(URLComponents(string: again.location ?? "")?.queryItems?.first { $0.name == "code" }?.value)
        let form = [
            "grant_type": "authorization_code", "client_id": TestDirectory.clientId, "client_secret": TestDirectory.secret, "code": fresh,
            "redirect_uri": redirect, "code_verifier": verifier,
        ]
        let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        let answer = try await httpRequest("POST", document.tokenEndpoint, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: body)
        let tokens = try JSONDecoder().decode(TokenResponse.self, from: Data(answer.body.utf8))
        let idToken = try #require(tokens.idToken.flatMap { IDToken($0) })
        let claims = try IDTokenCheck.claims(
            of: idToken, keys: keys, issuer: document.issuer, clientId: TestDirectory.clientId, tenantId: tenant, nonce: "n1", now: Date())
        #expect(claims.preferredUsername == Self.operatorName && claims.roles == ["Roomkeeper.Operator"] && claims.tid == tenant)
    }

    @Test("An ID token is checked as Microsoft documents: key, issuer, audience, nonce, lifetime, tenant")
    func idTokenChecks() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let keys = JSONWebKeySet(keys: [try JSONWebKey(kid: "k1", publicKey: key.publicKey)])
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let tenant = TestDirectory.tenantId
        let issuer = "https://login.microsoftonline.com/\(tenant)/v2.0"
        let good = IDTokenClaims(
            iss: issuer, aud: TestDirectory.clientId, exp: 1_800_003_600, iat: 1_800_000_000, nbf: 1_800_000_000, tid: tenant, sub: "s", nonce: "n")
        func token(_ claims: IDTokenClaims, kid: String = "k1", signer: _RSA.Signing.PrivateKey? = nil) throws -> IDToken {
            let text = try IDToken.sign(header: JWTHeader(alg: "RS256", typ: "JWT", kid: kid), claims: claims) { input in
                Data(try (signer ?? key).signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation)
            }
            return try #require(IDToken(text))
        }
        func check(_ candidate: IDToken) throws -> IDTokenClaims {
            try IDTokenCheck.claims(
                of: candidate, keys: keys, issuer: issuer, clientId: TestDirectory.clientId, tenantId: tenant, nonce: "n", now: now)
        }
        #expect(try check(try token(good)).sub == "s")
        var changed = good
        changed.aud = "00000000-0000-0000-0000-000000000000"
        #expect(throws: SignInRefusal.self, "another app's token") { try check(try token(changed)) }
        changed = good
        changed.iss = "https://login.microsoftonline.com/common/v2.0"
        #expect(throws: SignInRefusal.self, "another issuer") { try check(try token(changed)) }
        changed = good
        changed.nonce = "other"
        #expect(throws: SignInRefusal.self, "another sign-in's token") { try check(try token(changed)) }
        changed = good
        changed.exp = 1_800_000_000 - 301
        #expect(throws: SignInRefusal.self, "expired beyond the skew") { try check(try token(changed)) }
        changed = good
        changed.tid = "11111111-2222-3333-4444-555555555555"
        #expect(throws: SignInRefusal.self, "another tenant") { try check(try token(changed)) }
        #expect(throws: SignInRefusal.self, "a key the tenant does not publish") { try check(try token(good, kid: "k2")) }
        let stranger = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        #expect(throws: SignInRefusal.self, "signed by another key under a known kid") { try check(try token(good, signer: stranger)) }
        // `alg: none` with no signature.
        let header = Base64URL.encode(Data(#"{"alg":"none","kid":"k1"}"#.utf8))
        let body = Base64URL.encode(try JSONEncoder().encode(good))
        let unsigned = try #require(IDToken("\(header).\(body)."))
        #expect(throws: SignInRefusal.self, "an unsigned token") { try check(unsigned) }
    }
}
