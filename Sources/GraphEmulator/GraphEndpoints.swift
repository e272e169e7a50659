import Foundation
import GraphAPI
import PortalAPI
import PortalModel

/// One Graph v1.0 request as the emulator handles it, whether it came on its own or in a batch.
struct GraphCall {
    var method: String
    /// The path after `/v1.0`, percent-decoded, e.g. `/users/delta`.
    var path: String
    var query: [String: String]
    var consistencyLevelEventual: Bool
    var body: Data?
    /// From `Prefer: odata.maxpagesize=N`.
    var maximumPageSize: Int? = nil
}

/// The emulator's answer: status, headers and a JSON value (`[String: Any]`, arrays, scalars).
///
/// `@unchecked Sendable`: the JSON value is built for one answer under the store's lock, handed
/// out of it once and never changed afterwards; nothing else holds a reference to it.
struct GraphAnswer: @unchecked Sendable {
    var status: Int
    var headers: [String: String] = [:]
    var json: Any?

    static func error(_ status: Int, _ code: String, _ message: String) -> GraphAnswer {
        GraphAnswer(
            status: status,
            json: [
                "error": [
                    "code": code, "message": message,
                    "innerError": ["request-id": UUID().uuidString.lowercased(), "date": GraphEndpoints.timestamp()],
                ]
            ])
    }
}

/// The Graph v1.0 reads Roomkeeper makes, answered from the store with Graph's documented
/// shapes: `$select` (refusing properties the type does not have), `$top` paging with opaque
/// `$skiptoken` links, delta rounds with `@odata.deltaLink` and `@removed`, `$filter` on role
/// assignments, OData casts that need `ConsistencyLevel: eventual`, and Graph's error body.
public struct GraphEndpoints {
    let store: GraphDirectoryStore
    /// `http://host:port`, for the links the emulator hands out.
    let baseURL: String
    /// The most items a Places page holds (`GraphServerConfiguration.placesPageCap`).
    var placesPageCap = 100

    func handle(_ call: GraphCall, permissions: Set<String>) -> GraphAnswer {
        let parts = call.path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        guard let operation = GraphOperation(method: call.method, path: parts) else {
            guard call.method == "GET" else { return .error(405, "Request_BadRequest", "Only GET is supported here.") }
            return .error(400, "BadRequest", "Resource not found for the segment '\(parts.last ?? "")'.")
        }
        guard operation.application.permits(permissions) else {
            return .error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        }
        switch operation {
        case .updateAutopilotDeviceProperties: return updateDeviceProperties(parts[2], call.body)
        case .userDelta: return delta(call, kind: .user)
        case .listUsers: return list(call, kind: .user)
        case .getUser: return singleUser(parts[1], call)
        // Not supported for applications, and every token here is an application's: refused above.
        case .listLicenseDetails: return .error(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.")
        case .listSubscribedSkus: return subscribedSkus(call)
        case .groupDelta: return delta(call, kind: .group)
        case .listGroups: return list(call, kind: .group)
        case .listTransitiveMembers: return transitiveMembers(of: parts[1], cast: parts.count == 4 ? parts[3] : nil, call)
        case .listPlaces: return list(call, kind: parts[1] == "microsoft.graph.room" ? .room : .roomList)
        case .listRoomsOfList: return roomsOfList(parts[1], call)
        case .listRoleAssignments: return roleAssignments(call)
        case .listManagedDevices: return devices(call, kind: .managedDevice)
        case .listAutopilotDevices: return devices(call, kind: .autopilotDevice)
        }
    }

    // MARK: - Collections

    enum Kind {
        case user, group, room, roomList, subscribedSku, member, roleAssignment, managedDevice, autopilotDevice

        var entityType: String {
            switch self {
            case .user, .member: "microsoft.graph.user"
            case .group: "microsoft.graph.group"
            case .room: "microsoft.graph.room"
            case .roomList: "microsoft.graph.roomList"
            case .subscribedSku: "microsoft.graph.subscribedSku"
            case .roleAssignment: "microsoft.graph.unifiedRoleAssignment"
            case .managedDevice: "microsoft.graph.managedDevice"
            case .autopilotDevice: "microsoft.graph.windowsAutopilotDeviceIdentity"
            }
        }

        /// What Graph returns when a read has no `$select`.
        var defaultProperties: [String]? {
            switch self {
            case .user, .member:
                [
                    "businessPhones", "displayName", "givenName", "jobTitle", "mail", "mobilePhone", "officeLocation", "preferredLanguage",
                    "surname", "userPrincipalName", "id",
                ]
            default: nil
            }
        }

        /// The largest page a `$top` may ask for, and the page size without one.
        var pageSizes: (maximum: Int, standard: Int) {
            switch self {
            case .room, .roomList: (100, 100)
            case .managedDevice, .autopilotDevice: (1000, 1000)
            default: (999, 100)
            }
        }
    }

    /// The page of `ids` a request asks for, rendered, with a next link while more remain;
    /// Places pages otherwise (`placesPage`).
    private func page(
        _ call: GraphCall, kind: Kind, ids: [String], render: (String) -> [String: Any]?, extra: [String: Any] = [:],
        finalLink: ((Int) -> String)? = nil
    ) -> GraphAnswer {
        if kind == .room || kind == .roomList { return placesPage(call, kind: kind, ids: ids, render: render) }
        let token = call.query["$skiptoken"].flatMap(PageToken.init)
        let top = token?.top ?? call.query["$top"].flatMap(Int.init) ?? kind.pageSizes.standard
        guard top >= 1, top <= kind.pageSizes.maximum else {
            return .error(
                400, "Request_BadRequest", "Invalid page size specified: '\(top)'. Must be between 1 and \(kind.pageSizes.maximum) inclusive.")
        }
        let select: [String]?
        switch selection(call, kind: kind, token: token) {
        case .success(let value): select = value
        case .failure(let error): return error.answer
        }
        let offset = min(max(token?.offset ?? 0, 0), ids.count)
        let slice = ids[offset..<min(offset + top, ids.count)]
        var body: [String: Any] = ["@odata.context": "\(baseURL)/v1.0/$metadata#\(kind.entityType)"]
        body["value"] = slice.compactMap { render($0).map { project($0, select: select, kind: kind) } }
        for (key, value) in extra { body[key] = value }
        if offset + top < ids.count {
            var next = token ?? PageToken(offset: 0, top: top, select: select)
            next.offset = offset + top
            next.top = top
            next.select = select
            body["@odata.nextLink"] = "\(baseURL)/v1.0\(call.path)?$skiptoken=\(next.encoded)"
        } else if let finalLink {
            body["@odata.deltaLink"] = finalLink(offset + top)
        }
        return GraphAnswer(status: 200, json: body)
    }

    /// A page of Places as the service gives it: `$top` (at most 100; a larger one gets 100, or
    /// `placesPageCap`), `$skip`, and `@odata.count` with `$count=true`, and never an
    /// `@odata.nextLink` (place-list; microsoftgraph/microsoft-graph-docs#18604, #6427, #9923,
    /// #9542; msgraph-sdk-dotnet#2190). That a `$top` over 100 is cut rather than refused is the
    /// emulator's reading: nobody documents it.
    private func placesPage(_ call: GraphCall, kind: Kind, ids: [String], render: (String) -> [String: Any]?) -> GraphAnswer {
        let asked = call.query["$top"].map { Int($0) } ?? kind.pageSizes.standard
        let skip = call.query["$skip"].map { Int($0) } ?? 0
        guard let asked, asked >= 1, let skip, skip >= 0 else {
            return .error(400, "Request_BadRequest", "$top must be a positive number and $skip a number of at least 0.")
        }
        let select: [String]?
        switch selection(call, kind: kind, token: nil) {
        case .success(let value): select = value
        case .failure(let error): return error.answer
        }
        let offset = min(skip, ids.count)
        let slice = ids[offset..<min(offset + min(asked, kind.pageSizes.maximum, placesPageCap), ids.count)]
        var body: [String: Any] = ["@odata.context": "\(baseURL)/v1.0/$metadata#\(kind.entityType)"]
        body["value"] = slice.compactMap { render($0).map { project($0, select: select, kind: kind) } }
        if call.query["$count"]?.lowercased() == "true" { body["@odata.count"] = ids.count }
        return GraphAnswer(status: 200, json: body)
    }

    private func selection(_ call: GraphCall, kind: Kind, token: PageToken?) -> Result<[String]?, AnswerError> {
        if let select = token?.select { return .success(select) }
        guard let text = call.query["$select"] else { return .success(kind.defaultProperties) }
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let known = GraphEndpoints.selectable[kind.entityType] ?? []
        if let unknown = names.first(where: { !known.contains($0) }) {
            return .failure(
                AnswerError(.error(400, "Request_BadRequest", "Could not find a property named '\(unknown)' on type '\(kind.entityType)'.")))
        }
        return .success(names.contains("id") ? names : ["id"] + names)
    }

    struct AnswerError: Error {
        var answer: GraphAnswer
        init(_ answer: GraphAnswer) { self.answer = answer }
    }

    private func project(_ object: [String: Any], select: [String]?, kind: Kind) -> [String: Any] {
        guard let select else { return object }
        var projected: [String: Any] = [:]
        for (key, value) in object where key.hasPrefix("@") || select.contains(key) { projected[key] = value }
        for key in select where projected[key] == nil { projected[key] = NSNull() }
        return projected
    }

    private func list(_ call: GraphCall, kind: Kind) -> GraphAnswer {
        if call.query["$filter"] != nil || call.query["$search"] != nil {
            return .error(400, "Request_UnsupportedQuery", "The emulator does not filter this collection.")
        }
        return store.state.withLock { state in
            switch kind {
            case .user:
                return page(call, kind: kind, ids: sortedUserIds(&state), render: { id in state.users[id].map { render($0.value) } })
            case .group:
                return page(call, kind: kind, ids: sortedGroupIds(&state), render: { id in state.groups[id].map { render($0.value) } })
            case .room:
                let places = state.places
                return page(
                    call, kind: kind, ids: places.rooms.map(\.id),
                    render: { id in places.roomIndex[id].map { render(places.rooms[$0].room, id: id) } })
            case .roomList:
                let places = state.places
                return page(
                    call, kind: kind, ids: places.lists.map(\.id),
                    render: { id in places.listIndex[id].map { render(places.lists[$0].list, id: id) } })
            default:
                return .error(400, "BadRequest", "Unsupported collection.")
            }
        }
    }

    private func sortedUserIds(_ state: inout GraphDirectoryStore.State) -> [String] {
        if let ids = state.sortedUserIds { return ids }
        let ids = state.users.keys.sorted()
        state.sortedUserIds = ids
        return ids
    }

    private func sortedGroupIds(_ state: inout GraphDirectoryStore.State) -> [String] {
        if let ids = state.sortedGroupIds { return ids }
        let ids = state.groups.keys.sorted()
        state.sortedGroupIds = ids
        return ids
    }

    // MARK: - Delta

    /// A delta round (learn.microsoft.com/graph/delta-query-overview): without a token, every
    /// object; with a `$deltatoken`, the objects changed since it, deleted ones as `@removed`.
    /// The last page carries the `@odata.deltaLink` for the next round.
    private func delta(_ call: GraphCall, kind: Kind) -> GraphAnswer {
        store.state.withLock { state in
            let token = call.query["$skiptoken"].flatMap(PageToken.init)
            var since = token?.since
            // A delta link keeps the round's selection, as Graph's do.
            var linkSelection: [String]?
            if let deltaToken = call.query["$deltatoken"] {
                guard let link = PageToken(deltaToken), let value = link.since else {
                    return .error(400, "Request_BadRequest", "The delta token is not valid.")
                }
                since = value
                linkSelection = link.select
            }
            if let since, since < state.deltaFloor {
                return .error(410, "SyncStateNotFound", "The sync state generation in the delta link is not found; start a new round.")
            }
            let until = token?.until ?? state.sequence
            let window = GraphDirectoryStore.DeltaWindow(users: kind == .user, since: since, until: until)
            let ids: [String]
            if let cached = state.deltaRounds[window] {
                ids = cached
            } else {
                ids = deltaRows(&state, kind: kind, since: since, until: until)
                // A round is read page by page; keep the rows of the last few rounds, not of every one.
                if state.deltaRounds.count > 16 { state.deltaRounds = [:] }
                state.deltaRounds[window] = ids
            }
            var pageCall = call
            if token == nil {
                // The first page: its token carries the change window and selection to every later page.
                let chosen =
                    call.query["$select"] == nil && linkSelection != nil
                    ? .success(linkSelection) : selection(call, kind: kind, token: nil)
                switch chosen {
                case .success(let select):
                    let top = min(call.query["$top"].flatMap(Int.init) ?? call.maximumPageSize ?? 100, kind.pageSizes.maximum)
                    pageCall.query["$skiptoken"] = PageToken(offset: 0, top: top, select: select, since: since, until: until).encoded
                case .failure(let error): return error.answer
                }
            }
            return page(
                pageCall, kind: kind, ids: ids,
                render: { id in
                    let current: [String: Any]? = kind == .user ? state.users[id].map { render($0.value) } : state.groups[id].map { render($0.value) }
                    return current ?? ["id": id, "@removed": ["reason": "deleted"]]
                },
                finalLink: { _ in
                    let select = pageCall.query["$skiptoken"].flatMap(PageToken.init)?.select
                    return "\(baseURL)/v1.0\(call.path)?$deltatoken=\(PageToken(offset: 0, top: 0, select: select, since: until).encoded)"
                })
        }
    }

    /// The ids a delta round reports: every object for a first round; else those changed in the
    /// window, then those deleted in it.
    private func deltaRows(_ state: inout GraphDirectoryStore.State, kind: Kind, since: Int?, until: Int) -> [String] {
        let users = kind == .user
        let ids = users ? sortedUserIds(&state) : sortedGroupIds(&state)
        let changed = ids.filter { id in
            guard let changedAt = users ? state.users[id]?.changed : state.groups[id]?.changed else { return false }
            return since.map { changedAt > $0 && changedAt <= until } ?? true
        }
        guard let since else { return changed }
        let removed = users ? state.removedUsers : state.removedGroups
        return changed + removed.filter { $0.value > since && $0.value <= until }.keys.sorted()
    }

    // MARK: - Single objects and relationships

    private func singleUser(_ key: String, _ call: GraphCall) -> GraphAnswer {
        store.state.withLock { state in
            guard let user = (state.users[key] ?? state.userIdsByName[key.lowercased()].flatMap { state.users[$0] })?.value else {
                return .error(
                    404, "Request_ResourceNotFound",
                    "Resource '\(key)' does not exist or one of its queried reference-property objects are not present.")
            }
            switch selection(call, kind: .user, token: nil) {
            case .success(let select): return GraphAnswer(status: 200, json: project(render(user), select: select, kind: .user))
            case .failure(let error): return error.answer
            }
        }
    }

    /// The tenant's subscriptions (`GET /subscribedSkus`): one per SKU some user holds, which is
    /// how an application names a SKU id it does not know.
    private func subscribedSkus(_ call: GraphCall) -> GraphAnswer {
        store.state.withLock { state in
            var consumed: [String: Int] = [:]
            for user in state.users.values {
                for part in user.value.licences { consumed[part, default: 0] += 1 }
            }
            let skus = Dictionary(
                uniqueKeysWithValues: consumed.map { part, count in
                    let sku = TeamsRoomsSKU.id(partNumber: part)
                    let object: [String: Any] = [
                        "id": "\(state.tenant.tenantId)_\(sku)", "skuId": sku, "skuPartNumber": part, "appliesTo": "User",
                        "capabilityStatus": "Enabled", "consumedUnits": count,
                        "prepaidUnits": ["enabled": count, "lockedOut": 0, "suspended": 0, "warning": 0], "servicePlans": [[String: Any]](),
                    ]
                    return (sku, object)
                })
            return page(call, kind: .subscribedSku, ids: skus.keys.sorted(), render: { skus[$0] })
        }
    }

    private func transitiveMembers(of groupId: String, cast: String?, _ call: GraphCall) -> GraphAnswer {
        if let cast {
            guard cast == "microsoft.graph.user" else { return .error(400, "Request_BadRequest", "The type cast '\(cast)' is not supported here.") }
            // OData casts on member lists are advanced queries (learn.microsoft.com/graph/aad-advanced-queries).
            guard call.consistencyLevelEventual, call.query["$count"] == "true" else {
                return .error(
                    400, "Request_UnsupportedQuery",
                    "This query is an advanced query: send 'ConsistencyLevel: eventual' and '$count=true'.")
            }
        }
        return store.state.withLock { state in
            guard state.groups[groupId] != nil else {
                return .error(
                    404, "Request_ResourceNotFound",
                    "Resource '\(groupId)' does not exist or one of its queried reference-property objects are not present.")
            }
            var userIds: Set<String> = []
            var groupIds: Set<String> = []
            var pending = [groupId]
            while let next = pending.popLast() {
                for member in state.groups[next]?.value.members ?? [] {
                    if let group = state.groups[member], !groupIds.contains(member), member != groupId {
                        groupIds.insert(group.value.id)
                        pending.append(member)
                    } else if let id = state.userIdsByName[member.lowercased()] {
                        userIds.insert(id)
                    }
                }
            }
            let ids = userIds.sorted() + (cast == nil ? groupIds.sorted() : [])
            var extra: [String: Any] = [:]
            if call.query["$count"] == "true" { extra["@odata.count"] = ids.count }
            return page(
                call, kind: .member, ids: ids,
                render: { id in
                    if let user = state.users[id]?.value {
                        var object = render(user)
                        object["@odata.type"] = "#microsoft.graph.user"
                        return object
                    }
                    return state.groups[id].map { ["@odata.type": "#microsoft.graph.group", "id": $0.value.id, "displayName": $0.value.displayName] }
                }, extra: extra)
        }
    }

    private func roomsOfList(_ address: String, _ call: GraphCall) -> GraphAnswer {
        store.state.withLock { state in
            guard let rooms = state.places.roomsByList[address.lowercased()] else {
                return .error(404, "ErrorItemNotFound", "The room list '\(address)' was not found.")
            }
            let byId = Dictionary(rooms.map { ($0.id, $0.room) }, uniquingKeysWith: { first, _ in first })
            return page(call, kind: .room, ids: rooms.map(\.id), render: { id in byId[id].map { render($0, id: id) } })
        }
    }

    /// Role assignments, filtered by `roleDefinitionId eq '<id>'` as Roomkeeper asks.
    private func roleAssignments(_ call: GraphCall) -> GraphAnswer {
        var roleFilter: String?
        if let filter = call.query["$filter"] {
            let pattern = /^roleDefinitionId eq '([0-9a-fA-F-]{36})'$/
            guard let match = filter.wholeMatch(of: pattern) else {
                return .error(
                    400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'roleDefinitionId'.")
            }
            roleFilter = String(match.1).lowercased()
        }
        return store.state.withLock { state in
            let assignments = state.tenant.roleHolders.compactMap { holder -> [String: Any]? in
                guard roleFilter == nil || roleFilter == holder.role.templateId else { return nil }
                let principal = state.userIdsByName[holder.principal.lowercased()] ?? holder.principal
                let id = GraphDirectoryStore.objectId("roleAssignment", holder.role.rawValue + principal + holder.directoryScopeId)
                return ["id": id, "principalId": principal, "roleDefinitionId": holder.role.templateId, "directoryScopeId": holder.directoryScopeId]
            }
            let byId = Dictionary(assignments.map { ($0["id"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
            return page(call, kind: .roleAssignment, ids: byId.keys.sorted(), render: { byId[$0] })
        }
    }

    /// Sets an Autopilot registration's group tag; 204 with no body, as Graph answers.
    private func updateDeviceProperties(_ id: String, _ body: Data?) -> GraphAnswer {
        struct Properties: Decodable { var groupTag: String? }
        guard let body, let properties = try? JSONDecoder().decode(Properties.self, from: body) else {
            return .error(400, "BadRequest", "The request body is not valid.")
        }
        return store.state.withLock { state in
            guard let index = state.tenant.autopilotDevices.firstIndex(where: { $0.id == id }) else {
                return .error(404, "ResourceNotFound", "The Autopilot device '\(id)' was not found.")
            }
            if let tag = properties.groupTag { state.tenant.autopilotDevices[index].groupTag = tag }
            return GraphAnswer(status: 204)
        }
    }

    /// Intune's managed devices or Autopilot's registrations, in id order.
    private func devices(_ call: GraphCall, kind: Kind) -> GraphAnswer {
        store.state.withLock { state in
            if kind == .managedDevice {
                let devices = Dictionary(state.tenant.managedDevices.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
                return page(call, kind: kind, ids: devices.keys.sorted(), render: { devices[$0].map(render) })
            }
            let devices = Dictionary(state.tenant.autopilotDevices.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            let managedIds = Dictionary(
                state.tenant.managedDevices.map { ("\($0.manufacturer.lowercased())/\($0.serialNumber.uppercased())", $0.id) },
                uniquingKeysWith: { first, _ in first })
            return page(
                call, kind: kind, ids: devices.keys.sorted(),
                render: { id in
                    devices[id].map { render($0, managedId: managedIds["\($0.manufacturer.lowercased())/\($0.serialNumber.uppercased())"]) }
                })
        }
    }

    // MARK: - Rendering, with only properties the v1.0 metadata declares

    /// Every selectable property of a type, comma-separated, for a `$select` that asks for all.
    public static func selectableNames(_ type: String) -> String { (selectable[type] ?? []).sorted().joined(separator: ",") }

    static let selectable: [String: Set<String>] = [
        "microsoft.graph.user": [
            "id", "userPrincipalName", "displayName", "mail", "accountEnabled", "assignedLicenses", "businessPhones", "givenName", "jobTitle",
            "mobilePhone", "officeLocation", "preferredLanguage", "surname", "userType",
        ],
        "microsoft.graph.group": [
            "id", "displayName", "description", "mail", "mailEnabled", "mailNickname", "securityEnabled", "groupTypes", "createdDateTime",
        ],
        "microsoft.graph.room": [
            "id", "emailAddress", "displayName", "address", "geoCoordinates", "phone", "nickname", "building", "floorNumber", "floorLabel",
            "label", "capacity", "bookingType", "audioDeviceName", "videoDeviceName", "displayDeviceName", "isWheelChairAccessible", "tags",
            "placeId", "teamsEnabledState",
        ],
        "microsoft.graph.roomList": ["id", "emailAddress", "displayName", "address", "geoCoordinates", "phone", "placeId", "tags"],
        "microsoft.graph.subscribedSku": [
            "id", "accountId", "accountName", "appliesTo", "capabilityStatus", "consumedUnits", "prepaidUnits", "servicePlans", "skuId",
            "skuPartNumber", "subscriptionIds",
        ],
        "microsoft.graph.unifiedRoleAssignment": ["id", "principalId", "roleDefinitionId", "directoryScopeId", "appScopeId"],
        "microsoft.graph.managedDevice": [
            "id", "deviceName", "serialNumber", "manufacturer", "model", "operatingSystem", "osVersion", "lastSyncDateTime",
            "complianceState", "userPrincipalName", "enrolledDateTime", "managedDeviceOwnerType",
        ],
        "microsoft.graph.windowsAutopilotDeviceIdentity": [
            "id", "serialNumber", "manufacturer", "model", "groupTag", "lastContactedDateTime", "enrollmentState", "managedDeviceId",
            "displayName", "productKey", "purchaseOrderIdentifier", "skuNumber", "systemFamily", "userPrincipalName",
        ],
    ]

    private func render(_ user: GraphTenant.User) -> [String: Any] {
        let names = user.displayName.split(separator: " ", maxSplits: 1).map(String.init)
        return [
            "id": user.id, "userPrincipalName": user.userPrincipalName, "displayName": user.displayName, "mail": user.mail ?? NSNull(),
            "accountEnabled": user.accountEnabled, "businessPhones": [String](), "givenName": names.first ?? NSNull(),
            "surname": names.count > 1 ? names[1] : NSNull(), "jobTitle": user.jobTitle ?? NSNull(), "mobilePhone": NSNull(),
            "officeLocation": NSNull(), "preferredLanguage": "en-US", "userType": "Member",
            "assignedLicenses": user.licences.map { ["skuId": TeamsRoomsSKU.id(partNumber: $0), "disabledPlans": [String]()] },
        ]
    }

    private func render(_ group: GraphTenant.Group) -> [String: Any] {
        [
            "id": group.id, "displayName": group.displayName, "description": NSNull(), "mail": group.mail ?? NSNull(),
            "mailEnabled": group.mailEnabled, "mailNickname": group.mail.map { String($0.prefix { $0 != "@" }) } ?? group.id.prefix(8).description,
            "securityEnabled": group.securityEnabled, "groupTypes": group.groupTypes, "createdDateTime": "2025-01-06T09:00:00Z",
        ]
    }

    private func render(_ address: GraphPhysicalAddress?) -> Any {
        guard let address else { return NSNull() }
        return [
            "street": address.street ?? "", "city": address.city ?? "", "state": address.state ?? "", "postalCode": address.postalCode ?? "",
            "countryOrRegion": address.countryOrRegion ?? "",
        ]
    }

    private func render(_ room: GraphTenant.Room, id: String) -> [String: Any] {
        [
            "@odata.type": "#microsoft.graph.room", "id": id, "emailAddress": room.email,
            "displayName": room.displayName, "address": render(room.address), "geoCoordinates": NSNull(), "phone": "",
            "nickname": room.displayName, "building": room.building ?? NSNull(), "floorNumber": room.floorNumber ?? NSNull(),
            "floorLabel": room.floorLabel ?? NSNull(), "label": "", "capacity": room.capacity ?? NSNull(), "bookingType": "standard",
            "audioDeviceName": NSNull(), "videoDeviceName": NSNull(), "displayDeviceName": NSNull(), "isWheelChairAccessible": false,
            "tags": room.tags, "teamsEnabledState": "enabled",
        ]
    }

    private func render(_ list: GraphTenant.RoomList, id: String) -> [String: Any] {
        [
            "@odata.type": "#microsoft.graph.roomList", "id": id, "emailAddress": list.email,
            "displayName": list.displayName, "address": render(list.address), "geoCoordinates": NSNull(), "phone": "", "tags": [String](),
        ]
    }

    private func render(_ device: GraphTenant.ManagedDevice) -> [String: Any] {
        let formatter = Self.time
        return [
            "id": device.id, "deviceName": device.name, "serialNumber": device.serialNumber, "manufacturer": device.manufacturer,
            "model": device.model, "operatingSystem": device.operatingSystem, "osVersion": device.osVersion,
            // Intune writes a device that never synced as the year 1.
            "lastSyncDateTime": device.lastSyncHoursAgo.map { formatter.format(store.started.addingTimeInterval(-$0 * 3600)) }
                ?? "0001-01-01T00:00:00Z",
            "complianceState": device.compliance, "userPrincipalName": device.account ?? "",
            "enrolledDateTime": formatter.format(store.started.addingTimeInterval(-90 * 86_400)), "managedDeviceOwnerType": "company",
        ]
    }

    private func render(_ device: GraphTenant.AutopilotDevice, managedId: String?) -> [String: Any] {
        [
            "id": device.id, "serialNumber": device.serialNumber, "manufacturer": device.manufacturer, "model": device.model,
            "groupTag": device.groupTag ?? "", "lastContactedDateTime": Self.time.format(store.started),
            "enrollmentState": managedId == nil ? "notContacted" : "enrolled", "managedDeviceId": managedId ?? "", "displayName": "",
            "productKey": "", "purchaseOrderIdentifier": "", "skuNumber": "", "systemFamily": "", "userPrincipalName": "",
        ]
    }

    static func timestamp() -> String { time.format(Date()) }

    /// Graph's times, made once: a formatter per device cost seconds at 30,000 devices.
    static let time = Date.ISO8601FormatStyle()
}

/// What an opaque `$skiptoken` or `$deltatoken` holds: where the next page starts, its size
/// and selection, and for delta rounds the change window.
struct PageToken: Codable {
    var offset: Int
    var top: Int
    var select: [String]?
    var since: Int?
    var until: Int?

    init(offset: Int, top: Int, select: [String]?, since: Int? = nil, until: Int? = nil) {
        self.offset = offset
        self.top = top
        self.select = select
        self.since = since
        self.until = until
    }

    init?(_ text: String) {
        guard text.utf8.count <= 4096, let data = Base64URL.decode(text), let token = try? JSONDecoder().decode(PageToken.self, from: data) else {
            return nil
        }
        self = token
    }

    var encoded: String { Base64URL.encode((try? JSONEncoder().encode(self)) ?? Data()) }
}
