import Foundation
import GraphAPI
import Manifests
import PortalModel

/// Directory fixtures in YAML (`roomkeeper graph serve --seed FILE`), checked as strictly as
/// manifests: unknown fields and wrong types are errors with their position. Certificate paths
/// are relative to the fixture's folder.
extension GraphTenant {
    /// The directory of the example tenant: the people, groups and rooms `examples/contoso`
    /// refers to, with room lists, licences and directory roles.
    public static func contoso() throws -> (tenant: GraphTenant, diagnostics: [Diagnostic]) {
        guard let url = Bundle.module.url(forResource: "contoso-directory", withExtension: "yaml", subdirectory: "Fixtures") else {
            return (GraphTenant(tenantId: ""), [.error("the built-in directory fixture is missing from this build", at: nil)])
        }
        return try load(path: url.path, displayPath: "contoso-directory.yaml")
    }

    /// Reads a fixture; the tenant is usable only when no diagnostic is an error.
    public static func load(path: String, displayPath: String? = nil) throws -> (tenant: GraphTenant, diagnostics: [Diagnostic]) {
        let source = SourceText(path: displayPath ?? path, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        return parse(source, folder: URL(fileURLWithPath: path).deletingLastPathComponent())
    }

    static func parse(_ source: SourceText, folder: URL) -> (tenant: GraphTenant, diagnostics: [Diagnostic]) {
        let fixture = ShapeValidation.fixture(source, shape: fixtureShape)
        var diagnostics = fixture.diagnostics
        guard let document = fixture.document, !diagnostics.hasErrors else { return (GraphTenant(tenantId: ""), diagnostics) }
        func items(_ key: String) -> [YAMLNode] { document[key].map { Array($0.elements) } ?? [] }
        func strings(_ node: YAMLNode?, _ key: String) -> [String] { node?[key].map { $0.elements.compactMap(\.text) } ?? [] }
        func pem(_ node: YAMLNode) -> String? {
            guard let path = node.text else { return nil }
            let url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path)
            guard let data = try? FileHandle.readBounded(path: url.path, limit: 256 << 10), let text = String(data: data, encoding: .utf8) else {
                diagnostics.append(.error("cannot read the certificate file \(path)", at: node.location))
                return nil
            }
            return text
        }
        let apps = items("apps").map { app in
            App(
                clientId: app["clientId"]?.text ?? "",
                certificates: app["certificates"].map { $0.elements.compactMap(pem) } ?? [],
                secrets: app["secrets"].map { $0.elements.map { Secret(sha256: $0.text ?? "") } } ?? [],
                federated: app["federated"].map { list in
                    list.elements.compactMap { entry in
                        guard let certificate = entry["signingCertificate"].flatMap(pem) else { return nil }
                        return FederatedCredential(
                            issuer: entry["issuer"]?.text ?? "", subject: entry["subject"]?.text ?? "", signingCertificate: certificate)
                    }
                } ?? [],
                permissions: app["permissions"].map { Set($0.elements.compactMap(\.text)) } ?? GraphPermission.leastPrivileged)
        }
        let users = items("users").map { user in
            User(
                id: user["id"]?.text, userPrincipalName: user["userPrincipalName"]?.text ?? "", displayName: user["displayName"]?.text ?? "",
                mail: user["mail"]?.text, accountEnabled: user["accountEnabled"]?.text != "false", licences: strings(user, "licences"),
                jobTitle: user["jobTitle"]?.text)
        }
        var groups = items("groups").map { group in
            Group(
                id: group["id"]?.text, displayName: group["displayName"]?.text ?? "", mail: group["mail"]?.text,
                securityEnabled: group["securityEnabled"]?.text != "false", mailEnabled: group["mailEnabled"]?.text == "true",
                groupTypes: strings(group, "groupTypes"), members: strings(group, "members"))
        }
        // A member that names a group (by mail or display name) is stored by the group's id.
        let groupIds = Dictionary(
            groups.flatMap { group in [group.mail, group.displayName].compactMap { $0?.lowercased() }.map { ($0, group.id) } },
            uniquingKeysWith: { first, _ in first })
        for index in groups.indices {
            groups[index].members = groups[index].members.map { groupIds[$0.lowercased()] ?? $0 }
        }
        let rooms = items("rooms").map { room in
            Room(
                email: room["email"]?.text ?? "", displayName: room["displayName"]?.text ?? "",
                address: GraphPhysicalAddress(
                    street: room["street"]?.text, city: room["city"]?.text, state: room["state"]?.text, postalCode: room["postalCode"]?.text,
                    countryOrRegion: room["country"]?.text),
                building: room["building"]?.text, floorLabel: room["floor"]?.text, floorNumber: room["floorNumber"]?.text.flatMap { Int($0) },
                capacity: room["capacity"]?.text.flatMap { Int($0) }, tags: strings(room, "tags"),
                licence: room["licence"]?.text.flatMap(RoomLicence.init(rawValue:)) ?? .pro, hidden: room["hidden"]?.text == "true")
        }
        let roomLists = items("roomLists").map { list in
            RoomList(email: list["email"]?.text ?? "", displayName: list["displayName"]?.text ?? "", rooms: strings(list, "rooms"))
        }
        let holders = items("directoryRoles").compactMap { entry -> RoleHolder? in
            guard let role = entry["role"]?.text.flatMap(DirectoryRole.init(rawValue:)), let principal = entry["principal"]?.text else { return nil }
            return RoleHolder(role: role, principal: groupIds[principal.lowercased()] ?? principal, directoryScopeId: entry["scope"]?.text ?? "/")
        }
        let managedDevices = items("managedDevices").map { device in
            ManagedDevice(
                serialNumber: device["serialNumber"]?.text ?? "", manufacturer: device["manufacturer"]?.text ?? "",
                model: device["model"]?.text ?? "", name: device["name"]?.text ?? "", operatingSystem: device["operatingSystem"]?.text ?? "Windows",
                osVersion: device["osVersion"]?.text ?? "10.0.22631",
                lastSyncHoursAgo: device["lastSyncHoursAgo"].map { $0.text.flatMap(Double.init) } ?? 1,
                compliance: device["compliance"]?.text ?? "compliant", account: device["account"]?.text)
        }
        let autopilotDevices = items("autopilotDevices").map { device in
            AutopilotDevice(
                serialNumber: device["serialNumber"]?.text ?? "", manufacturer: device["manufacturer"]?.text ?? "",
                model: device["model"]?.text ?? "", groupTag: device["groupTag"]?.text)
        }
        return (
            GraphTenant(
                tenantId: document["tenantId"]?.text ?? "", apps: apps, users: users, groups: groups, rooms: rooms, roomLists: roomLists,
                roleHolders: holders, managedDevices: managedDevices, autopilotDevices: autopilotDevices),
            diagnostics
        )
    }

    /// The fixture format, for strict checking.
    static let fixtureShape = ObjectShape(
        "directory fixture",
        fields: [
            FieldShape("tenantId", .string(.text(maximumLength: 64)), required: true, "The directory (tenant) id, a GUID."),
            FieldShape(
                "apps",
                .list(
                    .object(
                        ObjectShape(
                            "app registration",
                            fields: [
                                FieldShape("clientId", .string(.text(maximumLength: 64)), required: true, "The application (client) id."),
                                FieldShape("certificates", .list(.string(.text(maximumLength: 1024))), "PEM files of registered certificates."),
                                FieldShape("secrets", .list(.string(.text(maximumLength: 64))), "SHA-256 (hex) of each registered client secret."),
                                FieldShape(
                                    "federated",
                                    .list(
                                        .object(
                                            ObjectShape(
                                                "federated credential",
                                                fields: [
                                                    FieldShape("issuer", .string(.text(maximumLength: 1024)), required: true, "The token issuer."),
                                                    FieldShape(
                                                        "subject", .string(.text(maximumLength: 1024)), required: true, "The subject it vouches for."),
                                                    FieldShape(
                                                        "signingCertificate", .string(.text(maximumLength: 1024)), required: true,
                                                        "A PEM certificate of the issuer's signing key."),
                                                ])), unique: false),
                                    "Workload identities the app trusts."),
                                FieldShape("permissions", .list(.string(.text(maximumLength: 128))), "Application permissions consented to."),
                            ])), unique: false),
                "App registrations that may sign in."),
            FieldShape(
                "users",
                .list(
                    .object(
                        ObjectShape(
                            "user",
                            fields: [
                                FixtureFields.userPrincipalName,
                                FixtureFields.userDisplayName,
                                FixtureFields.objectId,
                                FieldShape("mail", .string(.email), "The user's address."),
                                FieldShape("accountEnabled", .boolean, "False for a disabled account. Default true."),
                                FieldShape("licences", .list(.string(.text(maximumLength: 128))), "SKU part numbers assigned."),
                                FieldShape("jobTitle", .string(.text(maximumLength: 128)), "Job title."),
                            ])), unique: false),
                "People (room resource accounts are added from rooms)."),
            FieldShape(
                "groups",
                .list(
                    .object(
                        ObjectShape(
                            "group",
                            fields: [
                                FieldShape("displayName", .string(.text(maximumLength: 256)), required: true, "The group's name (not unique)."),
                                FieldShape("id", .string(.text(maximumLength: 64)), "The object id; derived from mail or name when absent."),
                                FieldShape("mail", .string(.email), "The group's address."),
                                FieldShape("securityEnabled", .boolean, "Default true."),
                                FieldShape("mailEnabled", .boolean, "Default false."),
                                FieldShape("groupTypes", .list(.string(.text(maximumLength: 32))), "Unified for a Microsoft 365 group."),
                                FieldShape("members", .list(.string(.text(maximumLength: 256))), "Users by UPN, groups by mail or name."),
                            ])), unique: false),
                "Groups."),
            FieldShape(
                "rooms",
                .list(
                    .object(
                        ObjectShape(
                            "room",
                            fields: [
                                FieldShape("email", .string(.email), required: true, "The room mailbox."),
                                FixtureFields.roomDisplayName,
                                FieldShape("street", .string(.text(maximumLength: 256)), "Street."),
                                FieldShape("city", .string(.text(maximumLength: 128)), "City."),
                                FieldShape("state", .string(.text(maximumLength: 128)), "State."),
                                FieldShape("postalCode", .string(.text(maximumLength: 32)), "Postal code."),
                                FieldShape("country", .string(.text(maximumLength: 128)), "Country or region, as Exchange gives it."),
                                FieldShape("building", .string(.text(maximumLength: 128)), "Building."),
                                FieldShape("floor", .string(.text(maximumLength: 64)), "Floor label."),
                                FieldShape("floorNumber", .integer(-100...500), "Floor number."),
                                FixtureFields.capacity,
                                FieldShape("tags", .list(.string(.text(maximumLength: 64))), "Places tags."),
                                FieldShape(
                                    "licence", .string(.oneOf(RoomLicence.allCases.map(\.rawValue))),
                                    "The resource account's Teams Rooms licence. Default pro."),
                                FieldShape("hidden", .boolean, "Hidden from the address list: Places does not list it."),
                            ])), unique: false),
                "Room mailboxes."),
            FieldShape(
                "roomLists",
                .list(
                    .object(
                        ObjectShape(
                            "room list",
                            fields: [
                                FieldShape("email", .string(.email), required: true, "The list's address."),
                                FieldShape("displayName", .string(.text(maximumLength: 256)), required: true, "The list's name."),
                                FieldShape("rooms", .list(.string(.email)), "Its rooms."),
                            ])), unique: false),
                "Room lists."),
            FieldShape(
                "directoryRoles",
                .list(
                    .object(
                        ObjectShape(
                            "directory role assignment",
                            fields: [
                                FieldShape("role", .string(.oneOf(DirectoryRole.allCases.map(\.rawValue))), required: true, "The role."),
                                FieldShape(
                                    "principal", .string(.text(maximumLength: 256)), required: true, "A user's UPN or a group's mail or name."),
                                FieldShape("scope", .string(.text(maximumLength: 256)), "/ (default) or /administrativeUnits/{id}."),
                            ])), unique: false),
                "Holders of the Entra roles that reach the portal."),
            FieldShape(
                "managedDevices",
                .list(
                    .object(
                        ObjectShape(
                            "managed device",
                            fields: [
                                FixtureFields.serialNumber,
                                FieldShape("manufacturer", .string(.text(maximumLength: 128)), required: true, "Maker, as Intune reports it."),
                                FieldShape("model", .string(.text(maximumLength: 128)), required: true, "Model."),
                                FieldShape("name", .string(.text(maximumLength: 128)), required: true, "Device name."),
                                FieldShape("operatingSystem", .string(.text(maximumLength: 64)), "Windows (default) or Android."),
                                FieldShape("osVersion", .string(.text(maximumLength: 64)), "Version."),
                                FieldShape(
                                    "lastSyncHoursAgo", .integer(0...100_000), "Hours before the emulator started that it last synced; default 1."),
                                FieldShape(
                                    "compliance",
                                    .string(.oneOf(["unknown", "compliant", "noncompliant", "conflict", "error", "inGracePeriod", "configManager"])),
                                    "Graph's complianceState; default compliant."),
                                FieldShape("account", .string(.email), "The account it signs in with (a room's resource account)."),
                            ])), unique: false),
                "Devices Intune manages."),
            FieldShape(
                "autopilotDevices",
                .list(
                    .object(
                        ObjectShape(
                            "Autopilot device",
                            fields: [
                                FixtureFields.serialNumber,
                                FieldShape("manufacturer", .string(.text(maximumLength: 128)), required: true, "Maker."),
                                FieldShape("model", .string(.text(maximumLength: 128)), required: true, "Model."),
                                FieldShape("groupTag", .string(.text(maximumLength: 128)), "The group tag; Teams Rooms need one starting with MTR-."),
                            ])), unique: false),
                "Devices registered in Windows Autopilot."),
        ])
}
