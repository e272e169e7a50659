import AsyncHTTPClient
import Controller
import Crypto
import Foundation
import GraphAPI
import HTTPTransport
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Reports

/// The console's routes on the controller's server, under `/console`: pages for people signed in
/// with Entra ID, beside the token-protected endpoints scripts use (which stay as they are).
///
/// Every page needs a session; a request without one is sent to sign in. Changes are `POST`s
/// only (no state changes on `GET`), by operators, with the session's anti-forgery token, from
/// the console's own origin. Every answer forbids framing, sniffing and caching, sends referrers to the console alone, and
/// carries a Content-Security-Policy that allows the console's own stylesheet and nothing else.
public enum ConsoleRoutes {
    /// The name the one-tenant controller's tenant goes by in the console's addresses.
    public static let singleTenantName = "default"

    public static func add(
        to router: Router<BasicRequestContext>, serving served: ControllerServer.Served, settings: ConsoleSettings, http: HTTPClient = .roomkeeper,
        logger: Logger, now: @escaping @Sendable () -> Date = Date.init
    ) {
        let signIn = ConsoleSignIn(settings: settings, http: http, now: now)
        let cookies = SealedCookies(key: settings.sessionKey)
        let tenants = Tenants(served: served)

        /// The session a request carries, if it is sealed by this console and not expired.
        @Sendable func session(_ request: Request) -> ConsoleSession? {
            let carried = SealedCookies.parse(request.headers[.cookie])[SealedCookies.session]
            guard let session = cookies.open(carried, as: ConsoleSession.self), session.expires > now() else { return nil }
            return session
        }
        /// Sends a person without a session to sign in, back to this page afterwards.
        @Sendable func signInFirst(_ request: Request) -> Response {
            let back = request.uri.path.hasPrefix("/console") ? request.uri.path : "/console"
            return redirect("/console/signin?return=\(back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")")
        }
        /// Why a change is refused: no session, a viewer, a missing or wrong anti-forgery token,
        /// or another site. Nil lets it through.
        @Sendable func changeRefusal(_ request: Request, form: [String: String], needs role: ConsoleRole) -> (ConsoleSession?, Response?) {
            if let origin = request.headers[.origin], origin != settings.origin {
                return (nil, page(.forbidden, ConsolePages.problem("Refused", "This request came from another site (\(origin)).", session: nil)))
            }
            if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], !["same-origin", "none"].contains(site) {
                return (nil, page(.forbidden, ConsolePages.problem("Refused", "This request came from another site.", session: nil)))
            }
            guard let current = session(request) else { return (nil, signInFirst(request)) }
            guard let token = form["csrf"], token.utf8.elementsEqual(current.csrf.utf8) else {
                return (
                    current,
                    page(
                        .forbidden,
                        ConsolePages.problem("Refused", "The form was not this session's; reload the page and try again.", session: current))
                )
            }
            guard current.role >= role else {
                return (
                    current,
                    page(
                        .forbidden,
                        ConsolePages.problem(
                            "Not allowed", "\(current.username) is a viewer; an operator (\(settings.operatorRole)) may do this.", session: current))
                )
            }
            return (current, nil)
        }

        router.get("/console/console.css") { _, _ -> Response in
            var headers = securityHeaders()
            headers[.contentType] = "text/css; charset=utf-8"
            return Response(
                status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: ConsolePages.stylesheet + DriftRenderer.reportStyles)))
        }

        router.get("/console/signin") { request, _ -> Response in
            let wanted = request.uri.queryParameters.get("return") ?? "/console"
            // Only a page of the console: never another site, nor `//host`.
            let back = wanted.hasPrefix("/console") && !wanted.hasPrefix("//") ? wanted : "/console"
            let pending = PendingSignIn(
                state: randomToken(), nonce: randomToken(), verifier: ProofKey.verifier(), returnTo: back, expires: now().addingTimeInterval(600))
            do {
                let url = try await signIn.authorizationURL(for: pending)
                var response = redirect(url)
                response.headers[values: .setCookie] = [SealedCookies.header(SealedCookies.pending, cookies.seal(pending), maxAge: 600)]
                return response
            } catch let refusal as SignInRefusal {
                logger.error("Console sign-in could not start", metadata: ["reason": "\(refusal)"])
                return page(.badGateway, ConsolePages.problem("Sign-in unavailable", refusal.description, session: nil))
            }
        }

        router.get("/console/callback") { request, _ -> Response in
            let query = request.uri.queryParameters
            let carried = SealedCookies.parse(request.headers[.cookie])[SealedCookies.pending]
            guard let pending = cookies.open(carried, as: PendingSignIn.self), pending.expires > now(),
                let state = query.get("state"), state.utf8.elementsEqual(pending.state.utf8)
            else {
                return page(
                    .badRequest,
                    ConsolePages.problem("Sign-in not recognised", "This sign-in was not started here, or took too long. Start again.", session: nil))
            }
            if let error = query.get("error") {
                let detail = query.get("error_description").map { String($0.prefix(300)) } ?? error
                return page(.unauthorized, ConsolePages.problem("Not signed in", "Entra ID said: \(detail)", session: nil))
            }
            guard let code = query.get("code"), !code.isEmpty else {
                return page(.badRequest, ConsolePages.problem("Not signed in", "Entra ID sent no code.", session: nil))
            }
            do {
                let session = try await signIn.finish(code: String(code), pending: pending)
                logger.info("Console sign-in", metadata: ["user": "\(session.username)", "role": "\(session.role.rawValue)"])
                var response = redirect(pending.returnTo)
                response.headers[values: .setCookie] = [
                    SealedCookies.header(SealedCookies.session, cookies.seal(session), maxAge: Int(settings.sessionLifetime)),
                    SealedCookies.header(SealedCookies.pending, nil, maxAge: 0),
                ]
                return response
            } catch let refusal as SignInRefusal {
                logger.warning("Console sign-in refused", metadata: ["reason": "\(refusal)"])
                return page(HTTPResponse.Status(code: refusal.status), ConsolePages.problem("Not signed in", refusal.description, session: nil))
            } catch {
                logger.warning("Console sign-in failed", metadata: ["error": "\(error)"])
                return page(.unauthorized, ConsolePages.problem("Not signed in", "\(error)", session: nil))
            }
        }

        router.post("/console/signout") { request, _ -> Response in
            let form = try await formFields(request)
            let (_, refused) = changeRefusal(request, form: form, needs: .viewer)
            if let refused { return refused }
            var response = page(.ok, ConsolePages.signedOut())
            response.headers[values: .setCookie] = [SealedCookies.header(SealedCookies.session, nil, maxAge: 0)]
            return response
        }

        @Sendable func noSuchTenant(_ session: ConsoleSession?) -> Response {
            page(.notFound, ConsolePages.problem("No such tenant", "There is no tenant of that name.", session: session))
        }
        /// A page of one of the tenants: signed in first, then the tenant the address names.
        func tenantPage(
            _ path: RouterPath,
            _ make: @escaping @Sendable (Request, BasicRequestContext, ConsoleSession, _ name: String, Controller) async throws -> Response
        ) {
            router.get(path) { request, context -> Response in
                guard let session = session(request) else { return signInFirst(request) }
                guard let name = context.parameters.get("tenant"), let controller = await tenants.controller(named: name) else {
                    return noSuchTenant(session)
                }
                return try await make(request, context, session, name, controller)
            }
        }

        router.get("/console") { request, _ -> Response in
            guard let session = session(request) else { return signInFirst(request) }
            let lines = await tenants.lines()
            return page(.ok, ConsolePages.overview(lines, notStarted: await tenants.notStarted(), session: session))
        }

        router.get("/console/tenants/:tenant") { request, context -> Response in
            guard let session = session(request) else { return signInFirst(request) }
            guard let name = context.parameters.get("tenant"), let line = await tenants.line(named: name) else { return noSuchTenant(session) }
            return page(.ok, ConsolePages.tenant(line, session: session))
        }

        tenantPage("/console/tenants/:tenant/drift") { request, _, session, name, controller in
            let query = request.uri.queryParameters
            return page(
                .ok,
                ConsolePages.drift(
                    name, await controller.latestReport, chart: await controller.driftChart, group: query.get("group").map { String($0) },
                    page: query.get("page").flatMap { Int($0) } ?? 1, session: session))
        }

        tenantPage("/console/tenants/:tenant/plan") { request, _, session, name, controller in
            let number = request.uri.queryParameters.get("page").flatMap { Int($0) } ?? 1
            let graphAlone = await controller.latestChecklist != nil
            return page(.ok, ConsolePages.plan(name, await controller.latestPlan, graphAlone: graphAlone, page: number, session: session))
        }

        tenantPage("/console/tenants/:tenant/access") { request, _, session, name, controller in
            let query = request.uri.queryParameters
            let filter = String((query.get("q") ?? "").prefix(200))
            let number = query.get("page").flatMap { Int($0) } ?? 1
            return page(.ok, ConsolePages.access(name, await controller.latestAccess, filter: filter, page: number, session: session))
        }

        tenantPage("/console/tenants/:tenant/checklist") { request, _, session, name, controller in
            let number = request.uri.queryParameters.get("page").flatMap { Int($0) } ?? 1
            return page(.ok, ConsolePages.checklist(name, await controller.latestChecklist, page: number, session: session))
        }

        tenantPage("/console/tenants/:tenant/checklist/:step") { _, context, session, name, controller in
            let id = context.parameters.get("step") ?? ""
            guard let checklist = await controller.latestChecklist, let index = checklist.steps.firstIndex(where: { $0.id == id }) else {
                return page(
                    .notFound,
                    ConsolePages.problem(
                        "Step not open", "This step is done already, or git changed what it asks. See the checklist.", session: session))
            }
            let next = checklist.steps.indices.contains(index + 1) ? checklist.steps[index + 1] : nil
            return page(.ok, ConsolePages.walkThrough(name, step: checklist.steps[index], next: next, checklist: checklist, session: session))
        }

        router.post("/console/tenants/:tenant/checklist/:step/done") { request, context -> Response in
            let form = try await formFields(request)
            let (current, refused) = changeRefusal(request, form: form, needs: .operator)
            if let refused { return refused }
            guard let current, let name = context.parameters.get("tenant"), let controller = await tenants.controller(named: name) else {
                return noSuchTenant(nil)
            }
            let id = context.parameters.get("step") ?? ""
            // The step after this one, before it leaves the list: where a walk-through goes next.
            let steps = await controller.latestChecklist?.steps ?? []
            let next = steps.firstIndex { $0.id == id }.flatMap { steps.indices.contains($0 + 1) ? steps[$0 + 1] : nil }
            guard try await controller.confirm(step: id, by: current.username) else {
                return page(
                    .conflict,
                    ConsolePages.problem(
                        "Step not open", "This step is done already, or git changed what it asks. See the checklist.", session: current))
            }
            logger.notice("Checklist step confirmed", metadata: ["tenant": "\(name)", "step": "\(id)", "user": "\(current.username)"])
            let base = "/console/tenants/\(name)/checklist"
            let back = form["return"] ?? ""
            if back == "walk" { return redirect(next.map { "\(base)/\($0.id)" } ?? base) }
            let listPage = back.hasPrefix("list-") ? Int(back.dropFirst(5)) ?? 1 : 1
            return redirect("\(base)?page=\(listPage)")
        }

        router.post("/console/tenants/:tenant/:action") { request, context -> Response in
            let form = try await formFields(request)
            let (current, refused) = changeRefusal(request, form: form, needs: .operator)
            if let refused { return refused }
            guard let name = context.parameters.get("tenant"), let controller = await tenants.controller(named: name) else {
                return noSuchTenant(current)
            }
            let action = context.parameters.get("action") ?? ""
            switch action {
            case "reconcile":
                guard await !controller.status.suspended else {
                    return page(.conflict, ConsolePages.problem("Suspended", "Resume the tenant to reconcile it.", session: current))
                }
                await controller.trigger(because: "console")
            case "suspend": try await controller.suspend()
            case "resume": try await controller.resume()
            default: return page(.notFound, ConsolePages.problem("No such action", "The console does not do '\(action)'.", session: current))
            }
            logger.notice("Console request", metadata: ["tenant": "\(name)", "action": "\(action)", "user": "\(current?.username ?? "")"])
            return redirect("/console/tenants/\(name)")
        }
    }

    /// The tenants of what the controller serves.
    struct Tenants: Sendable {
        let served: ControllerServer.Served

        func controller(named name: String) async -> Controller? {
            switch served {
            case .one(let controller): name == singleTenantName ? controller : nil
            case .fleet(let fleet): await fleet.controller(named: name)
            }
        }

        func line(named name: String) async -> ConsolePages.TenantLine? {
            guard let controller = await controller(named: name) else { return nil }
            let report = await controller.latestReport
            var signers: [String]?
            if case .git(let git) = await controller.latestPlan?.origin { signers = git.verifiedSigners }
            return ConsolePages.TenantLine(
                name: name, status: await controller.status,
                driftByCause: Dictionary(grouping: report?.items ?? [], by: \.cause).mapValues(\.count), signers: signers,
                chart: await controller.driftChart)
        }

        func lines() async -> [ConsolePages.TenantLine] {
            let names: [String]
            switch served {
            case .one: names = [singleTenantName]
            case .fleet(let fleet): names = await fleet.names
            }
            var lines: [ConsolePages.TenantLine] = []
            for name in names { if let line = await line(named: name) { lines.append(line) } }
            return lines
        }

        func notStarted() async -> [String: String] {
            if case .fleet(let fleet) = served { return await fleet.problems }
            return [:]
        }
    }

    /// The fields of a form post (`application/x-www-form-urlencoded`), at most 16 KB.
    private static func formFields(_ request: Request) async throws -> [String: String] {
        let body = try await request.body.collect(upTo: 16 << 10)
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if parts.count == 2, fields[parts[0]] == nil { fields[parts[0]] = parts[1] }
        }
        return fields
    }

    private static func securityHeaders() -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentSecurityPolicy] =
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        headers[.xContentTypeOptions] = "nosniff"
        // same-origin, not no-referrer: with no-referrer a browser sends `Origin: null` even on the console's own form posts.
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[.cacheControl] = "no-store"
        return headers
    }

    private static func page(_ status: HTTPResponse.Status, _ html: String) -> Response {
        var headers = securityHeaders()
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A `303 See Other`: after a post, the browser gets the page.
    private static func redirect(_ location: String) -> Response {
        var headers = securityHeaders()
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }
}
