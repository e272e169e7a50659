import Foundation
import Manifests
import PortalAPI
import PortalModel

/// Tenant fixtures in YAML (`roomkeeper portal serve --seed FILE`), checked as strictly as
/// manifests: unknown fields, wrong types and YAML 1.1 surprises are errors with their position.
extension TenantSeed {
    /// The example tenant the embedded portal starts from: the rooms, people and devices that
    /// `examples/contoso` declares, with a little drift for Roomkeeper to find.
    public static func contoso() throws -> (seed: TenantSeed, diagnostics: [Diagnostic]) {
        guard let url = Bundle.module.url(forResource: "contoso-tenant", withExtension: "yaml", subdirectory: "Fixtures") else {
            return (TenantSeed(administrators: [], users: []), [.error("the built-in tenant fixture is missing from this build", at: nil)])
        }
        return try load(path: url.path, displayPath: "contoso-tenant.yaml")
    }

    /// Reads a fixture; the seed is usable only when no diagnostic is an error.
    public static func load(path: String, displayPath: String? = nil) throws -> (seed: TenantSeed, diagnostics: [Diagnostic]) {
        let source = SourceText(path: displayPath ?? path, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        return parse(source)
    }

    static func parse(_ source: SourceText) -> (seed: TenantSeed, diagnostics: [Diagnostic]) {
        let (document, diagnostics) = ShapeValidation.fixture(source, shape: fixtureShape)
        guard let document else { return (TenantSeed(administrators: [], users: []), diagnostics) }
        func items(_ key: String) -> [YAMLNode] { document[key].map { Array($0.elements) } ?? [] }
        let seed = TenantSeed(
            administrators: items("administrators").compactMap(\.text), users: items("users").map(user),
            groups: items("groups").map { Group(name: $0["name"]?.text ?? "", mail: $0["mail"]?.text) },
            rooms: items("rooms").map(room), devices: items("devices").map(device),
            remoteAccessEnabled: document["settings"]?["remoteAccessEnabled"]?.text == "true")
        return (seed, diagnostics)
    }

    private static func user(_ node: YAMLNode) -> User {
        let groups: [String] = node["groups"].map { $0.elements.compactMap(\.text) } ?? []
        let roles = node["directoryRoles"].map { $0.elements.compactMap { $0.text.flatMap(DirectoryRole.init(rawValue:)) } } ?? []
        return User(
            id: node["id"]?.text, userPrincipalName: node["userPrincipalName"]?.text ?? "", displayName: node["displayName"]?.text ?? "",
            groups: groups, directoryRoles: roles)
    }

    private static func room(_ node: YAMLNode) -> Room {
        let location = node["location"]
        var labels: [String: String] = [:]
        if let labelNode = node["labels"] {
            for (key, value) in labelNode.entries {
                if let key = key.text, let value = value.text { labels[key] = value }
            }
        }
        return Room(
            email: node["email"]?.text ?? "", displayName: node["displayName"]?.text ?? "",
            location: RoomLocation(
                country: location?["country"]?.text, state: location?["state"]?.text, city: location?["city"]?.text,
                campus: location?["campus"]?.text, building: location?["building"]?.text, floor: location?["floor"]?.text),
            labels: labels, enrollmentState: node["enrollmentState"]?.text, licence: node["licence"]?.text ?? "pro",
            roomType: node["roomType"]?.text ?? "teamsRooms", capacity: node["capacity"]?.text.flatMap { Int($0) },
            health: node["health"]?.text ?? "healthy")
    }

    private static func device(_ node: YAMLNode) -> Device {
        Device(
            serialNumber: node["serialNumber"]?.text ?? "", deviceType: node["deviceType"]?.text ?? "",
            manufacturer: node["manufacturer"]?.text, model: node["model"]?.text, room: node["room"]?.text,
            operatingSystem: node["operatingSystem"]?.text)
    }

    /// The fixture format, for strict checking.
    static let fixtureShape = ObjectShape(
        "tenant fixture",
        fields: [
            FieldShape("administrators", .list(.string(.email)), "Users given Teams Rooms Pro Manager over all rooms."),
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
                                FieldShape("groups", .list(.string(.text(maximumLength: 256))), "Security groups the user is in."),
                                FieldShape(
                                    "directoryRoles", .list(.string(.oneOf(DirectoryRole.allCases.map(\.rawValue)))),
                                    "Entra directory roles that reach the portal without an assignment."),
                            ])), unique: false),
                "The directory's users."),
            FieldShape(
                "groups",
                .list(
                    .object(
                        ObjectShape(
                            "group",
                            fields: [
                                FieldShape("name", .string(.text(maximumLength: 256)), required: true, "The group's name."),
                                FieldShape("mail", .string(.email), "The group's address."),
                            ])), unique: false),
                "The directory's security groups."),
            FieldShape(
                "rooms",
                .list(
                    .object(
                        ObjectShape(
                            "room",
                            fields: [
                                FieldShape("email", .string(.email), required: true, "The resource account."),
                                FixtureFields.roomDisplayName,
                                FieldShape(
                                    "location",
                                    .object(
                                        ObjectShape(
                                            "location",
                                            fields: ["country", "state", "city", "campus", "building", "floor"].map {
                                                FieldShape($0, .string(.text(maximumLength: 128)), "Inventory \($0).")
                                            })),
                                    "Where the room is."),
                                FieldShape("labels", .stringMap, "Free-form labels."),
                                FieldShape(
                                    "enrollmentState", .string(.oneOf(EnrollmentState.allCases.map(\.rawValue))),
                                    "onboarding, enrolled or unenrolled; default enrolled when a main unit is listed for the room, else no agent yet."
                                ),
                                FieldShape(
                                    "licence", .string(.oneOf(RoomLicence.allCases.map(\.rawValue))), "The room's Teams Rooms licence. Default pro."),
                                FieldShape(
                                    "roomType", .string(.oneOf(RoomType.allCases.map(\.rawValue))), "teamsRooms (default) or bringYourOwnDevice."),
                                FixtureFields.capacity,
                                FieldShape("health", .string(.oneOf(RoomHealth.allCases.map(\.rawValue))), "The room's health. Default healthy."),
                            ])), unique: false),
                "The inventory's rooms."),
            FieldShape(
                "devices",
                .list(
                    .object(
                        ObjectShape(
                            "device",
                            fields: [
                                FixtureFields.serialNumber,
                                FieldShape("deviceType", .string(.oneOf(DeviceType.allCases.map(\.rawValue))), required: true, "Kind of device."),
                                FieldShape("manufacturer", .string(.text(maximumLength: 128)), "Maker."),
                                FixtureFields.model,
                                FieldShape("room", .string(.email), "The room it serves."),
                                FieldShape(
                                    "operatingSystem", .string(.text(maximumLength: 128)),
                                    "As the main unit reports it, e.g. Windows 11 IoT Enterprise."),
                            ])), unique: false),
                "Main units that have checked in, and the peripherals they report. Rooms enroll, devices do not."),
            FieldShape(
                "settings",
                .object(
                    ObjectShape(
                        "settings",
                        fields: [FieldShape("remoteAccessEnabled", .boolean, "Settings > Remote Access. Default false.")])),
                "Tenant settings."),
        ])
}
