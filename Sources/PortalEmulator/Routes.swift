import Foundation
import HTTPTypes
import Hummingbird
import PortalAPI

/// The contract's routes, grouped by resource; each maps HTTP to a `PortalService` call.
struct Routes {
    let service: PortalService
    let baseURL: AdvertisedURL

    static let defaultPageSize = 100
    static let maximumPageSize = 1000

    func add(to router: Router<PortalRequestContext>) {
        router.get("/healthz") { _, _ in "ok" }
        let api = router.group("v1")
        api.get("me") { _, context in try JSONResponse.make(service.me(try principal(context))) }
        readable(PortalRoom.self, on: api)
        readable(PortalDevice.self, on: api)
        readable(DirectoryUser.self, on: api)
        readable(DirectoryGroup.self, on: api)
        writable(PortalRole.self, on: api)
        writable(PortalRoleAssignment.self, on: api)
        writable(PortalRoomGroup.self, on: api)
        writable(PortalUpdateRing.self, on: api)
        devices(on: api)
        tenant(on: api)
        leases(on: api)
        api.get("auditLog") { request, context in
            let (limit, cursor) = try paging(request)
            let filter = query(request, "$filter")
            let action = try filter.map(auditAction)
            let page = try await service.audit(after: cursor.flatMap { Int64($0) } ?? 0, limit: limit, action: action, as: try principal(context))
            let next = page.more ? page.last.map { nextLink(request, limit: limit, after: String($0), filter: filter) } : nil
            return try JSONResponse.make(Page(value: page.entries, nextLink: next))
        }
    }

    // MARK: - Collections

    private func readable<R: PortalResource>(_ type: R.Type, on api: RouterGroup<PortalRequestContext>) {
        let path = RouterPath(stringLiteral: R.collection.rawValue)
        api.get(path) { request, context in
            let (limit, cursor) = try paging(request)
            let page = try await service.list(R.self, as: try principal(context), after: cursor, limit: limit)
            let next = page.more ? page.last.map { nextLink(request, limit: limit, after: $0) } : nil
            return try JSONResponse.make(Page(value: page.items, nextLink: next))
        }
        api.get("\(R.collection.rawValue)/delta") { request, context in
            let limit = try pageSize(request)
            let read = try await service.delta(
                R.self, as: try principal(context), token: query(request, "$deltatoken"), page: query(request, "$skiptoken"), limit: limit)
            let link = "\(baseURL.url)\(request.uri.path)"
            return try JSONResponse.make(
                DeltaPage(
                    value: read.entries, nextLink: read.nextPage.map { "\(link)?$top=\(limit)&$skiptoken=\($0)" },
                    deltaLink: read.deltaToken.map { "\(link)?$deltatoken=\($0)" }))
        }
        api.get("\(R.collection.rawValue)/:id") { request, context in
            try tagged(try await service.get(R.self, id: try context.parameters.require("id"), as: try principal(context)))
        }
    }

    private func writable<R: OwnedResource>(_ type: R.Type, on api: RouterGroup<PortalRequestContext>) {
        readable(R.self, on: api)
        api.post(RouterPath(stringLiteral: R.collection.rawValue)) { request, context in
            try service.authorize(try principal(context), PortalService.createPermission(R.collection))
            let resource = try await JSONResponse.decode(R.self, from: request, context: context, defaultId: "")
            let created = try await service.create(
                resource, as: try principal(context), idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!])
            var response = try tagged(created, status: .created)
            response.headers[.location] = "/v1/\(R.collection.rawValue)/\(created.resource.id)"
            return response
        }
        api.put("\(R.collection.rawValue)/:id") { request, context in
            let id = try context.parameters.require("id")
            try service.authorize(try principal(context), PortalService.modifyPermission(R.collection))
            var resource = try await JSONResponse.decode(R.self, from: request, context: context, defaultId: id)
            if resource.id.isEmpty { resource.id = id }
            guard resource.id == id else { throw PortalError.badRequest("the body's id is not the URL's", target: "id") }
            return try tagged(try await service.replace(resource, ifMatch: ifMatch(request, context), as: try principal(context)))
        }
        api.delete("\(R.collection.rawValue)/:id") { request, context in
            try await service.delete(
                R.self, id: try context.parameters.require("id"), ifMatch: ifMatch(request, context), as: try principal(context))
            return Response(status: .noContent)
        }
    }

    // MARK: - Devices, tenant, leases

    private func devices(on api: RouterGroup<PortalRequestContext>) {
        api.put("rooms/:id/updateRing") { request, context in
            try service.authorize(try principal(context), .updateManagementModify)
            let move = try await JSONResponse.decode(RingMove.self, from: request, context: context)
            return try tagged(
                try await service.moveRoom(
                    try context.parameters.require("id"), toRing: move.updateRingId, ifMatch: ifMatch(request, context),
                    as: try principal(context)))
        }
        for action in [RoomOperation.Action.enroll, .unenroll] {
            api.post("rooms/:id/\(action.rawValue)") { _, context in
                let operation = try await service.queue(action, room: try context.parameters.require("id"), as: try principal(context))
                return try JSONResponse.make(operation, status: .accepted, headers: [.location: "/v1/operations/\(operation.id)"])
            }
        }
        api.get("operations/:id") { _, context in
            try JSONResponse.make(try await service.operation(try context.parameters.require("id"), as: try principal(context)))
        }
        api.post("agent/checkin") { request, context in
            let key = request.headers[HTTPField.Name("X-Enrollment-Key")!]
            try await service.verifyEnrollmentKey(key)
            let checkin = try await JSONResponse.decode(AgentCheckin.self, from: request, context: context)
            return try JSONResponse.make(try await service.checkin(checkin, enrollmentKey: key))
        }
    }

    private func tenant(on api: RouterGroup<PortalRequestContext>) {
        api.get("tenant/settings") { _, context in
            try JSONResponse.make(try await service.tenantSettings(as: try principal(context)))
        }
        api.put("tenant/settings") { request, context in
            try service.authorize(try principal(context), .serviceSettingsModify)
            let settings = try await JSONResponse.decode(TenantSettings.self, from: request, context: context)
            return try JSONResponse.make(try await service.updateTenantSettings(settings, as: try principal(context)))
        }
        api.get("tenant/enrollmentKey") { _, context in
            try JSONResponse.make(try await service.enrollmentKey(as: try principal(context)))
        }
        api.post("tenant/enrollmentKey/reset") { _, context in
            try JSONResponse.make(try await service.resetEnrollmentKey(as: try principal(context)))
        }
    }

    private func leases(on api: RouterGroup<PortalRequestContext>) {
        api.get("leases/:name") { _, context in
            try JSONResponse.make(try await service.lease(try context.parameters.require("name"), as: try principal(context)))
        }
        api.put("leases/:name") { request, context in
            try service.authorize(try principal(context), PortalService.leasePermission)
            let body = try await JSONResponse.decode(LeaseRequest.self, from: request, context: context)
            return try JSONResponse.make(
                try await service.acquireLease(try context.parameters.require("name"), body, as: try principal(context)))
        }
        api.delete("leases/:name") { request, context in
            try service.authorize(try principal(context), PortalService.leasePermission)
            guard let holder = request.uri.queryParameters.get("holder") else {
                throw PortalError.badRequest("name the holder: ?holder=...", target: "holder")
            }
            guard let secret = request.headers[HTTPField.Name(LeaseRequest.secretHeader)!] else {
                throw PortalError.badRequest("send the secret the lease was taken with in \(LeaseRequest.secretHeader)", target: "holder")
            }
            try await service.releaseLease(
                try context.parameters.require("name"), holder: holder, secret: secret, as: try principal(context))
            return Response(status: .noContent)
        }
    }

    // MARK: - Helpers

    private func principal(_ context: PortalRequestContext) throws -> Principal {
        guard let principal = context.principal else { throw PortalError.unauthorized("this needs a bearer token") }
        return principal
    }

    /// The request's If-Match, or a tag that cannot match when fault injection says so.
    private func ifMatch(_ request: Request, _ context: PortalRequestContext) -> String? {
        guard let tag = request.headers[.ifMatch] else { return nil }
        return context.staleETag ? "\"0\"" : tag
    }

    private func tagged<R: PortalResource>(_ object: Tagged<R>, status: HTTPResponse.Status = .ok) throws -> Response {
        try JSONResponse.make(object, status: status, headers: [.eTag: object.etag])
    }

    /// A query parameter by name, whether the client wrote `$top` or percent-encoded it as `%24top`.
    private func query(_ request: Request, _ name: String) -> String? {
        let parameters = request.uri.queryParameters
        return parameters.get(name) ?? name.addingPercentEncoding(withAllowedCharacters: .alphanumerics).flatMap { parameters.get($0) }
    }

    /// `$top`: 1...1000, default 100.
    private func pageSize(_ request: Request) throws -> Int {
        guard let top = query(request, "$top") else { return Self.defaultPageSize }
        guard let value = Int(top), (1...Self.maximumPageSize).contains(value) else {
            throw PortalError.badRequest("$top must be from 1 to \(Self.maximumPageSize)", target: "$top")
        }
        return value
    }

    /// `$top` and the decoded `$skiptoken` cursor.
    private func paging(_ request: Request) throws -> (limit: Int, cursor: String?) {
        let limit = try pageSize(request)
        let cursor = try query(request, "$skiptoken").map { token -> String in
            guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8) else {
                throw PortalError.badRequest("$skiptoken is not one this portal issued; follow @odata.nextLink as given", target: "$skiptoken")
            }
            return text
        }
        return (limit, cursor)
    }

    /// The absolute link to the page after `after`, for clients to follow verbatim; it keeps the
    /// request's `$filter`.
    private func nextLink(_ request: Request, limit: Int, after: String, filter: String? = nil) -> String {
        let token =
            Data(after.utf8).base64EncodedString()
            .addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let kept = filter.map { "&$filter=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""
        return "\(baseURL.url)\(request.uri.path)?$top=\(limit)&$skiptoken=\(token)\(kept)"
    }

    /// The action an audit log `$filter` names: the contract takes `action eq 'WORD'` only, as
    /// Microsoft Graph's directory audits take `$filter` on their activity.
    private func auditAction(_ filter: String) throws -> String {
        let prefix = "action eq '"
        guard filter.hasPrefix(prefix), filter.hasSuffix("'"), filter.count > prefix.count + 1 else {
            throw PortalError.badRequest(
                "the audit log's $filter takes only action eq 'ACTION', e.g. \(AuditEntry.deletionsFilter)", target: "$filter")
        }
        let action = filter.dropFirst(prefix.count).dropLast()
        guard action.count <= 64, action.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw PortalError.badRequest(
                "the audit log's $filter names an action of letters only, e.g. \(AuditEntry.deletionsFilter)", target: "$filter")
        }
        return String(action)
    }
}

/// The body of a move-to-ring request.
struct RingMove: Codable {
    var updateRingId: String
}
