import Foundation
import GraphAPI
import GraphClient
import GraphEmulator
import TestSupport
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Microsoft Graph's v1.0 metadata (CSDL) for the entity types Roomkeeper reads: for each
/// entity and complex type its properties (base types included) and their types, and each
/// enum type's members.
struct GraphMetadata {
    struct Property {
        var type: String
        var collection: Bool
    }

    var types: [String: [String: Property]] = [:]
    var enums: [String: Set<String>] = [:]

    static func load() throws -> GraphMetadata {
        let url = try #require(Bundle.module.url(forResource: "v1.0-subset", withExtension: "xml", subdirectory: "Fixtures"))
        let reader = Reader()
        let parser = XMLParser(data: try Data(contentsOf: url))
        parser.delegate = reader
        #expect(parser.parse())
        var metadata = GraphMetadata()
        for (name, declared) in reader.types {
            var properties: [String: Property] = [:]
            var current: String? = name
            while let type = current, let entry = reader.types[type] {
                properties.merge(entry.properties) { own, _ in own }
                current = entry.base
            }
            _ = declared
            metadata.types[name] = properties
        }
        metadata.enums = reader.enums
        return metadata
    }

    /// Problems with one JSON object served as `type`: properties the type lacks, values of the
    /// wrong kind, enum values the type does not declare.
    func problems(in object: [String: Any], as type: String, path: String = "") -> [String] {
        guard let properties = types[type] else { return ["\(path): unknown type \(type)"] }
        var problems: [String] = []
        for (key, value) in object where !key.contains("@") {
            guard let property = properties[key] else {
                problems.append("\(path)\(key): not a property of \(type)")
                continue
            }
            if value is NSNull { continue }
            if property.collection {
                guard let items = value as? [Any] else {
                    problems.append("\(path)\(key): expected a collection of \(property.type)")
                    continue
                }
                for (index, item) in items.enumerated() { problems += check(item, property.type, "\(path)\(key)[\(index)].") }
            } else {
                problems += check(value, property.type, "\(path)\(key).")
            }
        }
        return problems
    }

    private func check(_ value: Any, _ type: String, _ path: String) -> [String] {
        switch type {
        case "Edm.String", "Edm.Guid", "Edm.DateTimeOffset", "Edm.Binary", "Edm.Date":
            return value is String ? [] : ["\(path) expected \(type)"]
        case "Edm.Boolean":
            return Swift.type(of: value) == Bool.self ? [] : ["\(path) expected \(type)"]
        case "Edm.Int32", "Edm.Int64", "Edm.Double", "Edm.Single":
            return Swift.type(of: value) == Double.self ? [] : ["\(path) expected \(type)"]
        default:
            if let members = enums[type] {
                guard let text = value as? String else { return ["\(path) expected an enum \(type)"] }
                return members.contains(text) ? [] : ["\(path) '\(text)' is not a member of \(type)"]
            }
            guard let object = value as? [String: Any] else { return ["\(path) expected an object of \(type)"] }
            return problems(in: object, as: type, path: path)
        }
    }

    private final class Reader: NSObject, XMLParserDelegate {
        struct Declared {
            var base: String?
            var properties: [String: Property] = [:]
        }

        var types: [String: Declared] = [:]
        var enums: [String: Set<String>] = [:]
        private var currentType: String?
        private var currentEnum: String?

        func parser(
            _ parser: XMLParser, didStartElement element: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]
        ) {
            switch element {
            case "EntityType", "ComplexType":
                let name = "microsoft.graph." + (attributes["Name"] ?? "")
                currentType = name
                types[name] = Declared(base: attributes["BaseType"].map { $0.replacingOccurrences(of: "graph.", with: "microsoft.graph.") })
            case "EnumType":
                currentEnum = "microsoft.graph." + (attributes["Name"] ?? "")
                enums[currentEnum ?? ""] = []
            case "Member":
                if let currentEnum, let name = attributes["Name"] { enums[currentEnum, default: []].insert(name) }
            case "Property":
                guard let currentType, let name = attributes["Name"], var type = attributes["Type"] else { return }
                let collection = type.hasPrefix("Collection(")
                if collection { type = String(type.dropFirst(11).dropLast()) }
                types[currentType]?.properties[name] = Property(
                    type: type.replacingOccurrences(of: "graph.", with: "microsoft.graph."), collection: collection)
            default: break
            }
        }

        func parser(_ parser: XMLParser, didEndElement element: String, namespaceURI: String?, qualifiedName: String?) {
            if element == "EntityType" || element == "ComplexType" { currentType = nil }
            if element == "EnumType" { currentEnum = nil }
        }
    }
}

@Suite("The Graph emulator against Microsoft's v1.0 metadata")
struct GraphMetadataTests {
    @Test("Every object the emulator serves has only declared properties of compatible types and declared enum values")
    func emulatorJSON() async throws {
        let metadata = try GraphMetadata.load()
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(devices: true))
        defer { Task { await graph.stop() } }
        let session = try graph.session(.secret(ClientSecret(TestDirectory.secret)))
        let groupId = try #require(graph.store.group(named: "Room Admins")?.id)
        let reads: [(path: String, type: String, advanced: Bool)] = [
            ("/users", "microsoft.graph.user", false),
            ("/users?$select=\(GraphEndpoints.selectableNames("microsoft.graph.user"))", "microsoft.graph.user", false),
            ("/users/delta", "microsoft.graph.user", false),
            ("/groups", "microsoft.graph.group", false),
            ("/groups?$select=\(GraphEndpoints.selectableNames("microsoft.graph.group"))", "microsoft.graph.group", false),
            ("/groups/delta", "microsoft.graph.group", false),
            ("/groups/\(groupId)/transitiveMembers/microsoft.graph.user?$count=true", "microsoft.graph.user", true),
            ("/places/microsoft.graph.room", "microsoft.graph.room", false),
            ("/places/microsoft.graph.roomlist", "microsoft.graph.roomList", false),
            ("/places/london-rooms@contoso.com/microsoft.graph.roomlist/rooms", "microsoft.graph.room", false),
            ("/subscribedSkus", "microsoft.graph.subscribedSku", false),
            ("/roleManagement/directory/roleAssignments", "microsoft.graph.unifiedRoleAssignment", false),
            ("/deviceManagement/managedDevices", "microsoft.graph.managedDevice", false),
            ("/deviceManagement/windowsAutopilotDeviceIdentities", "microsoft.graph.windowsAutopilotDeviceIdentity", false),
        ]
        for read in reads {
            let (objects, _) = try await session.list(JSONObject.self, from: session.url(read.path), advancedQuery: read.advanced)
            #expect(!objects.isEmpty, "\(read.path) served nothing to check")
            for object in objects {
                let problems = metadata.problems(in: object.value, as: read.type)
                #expect(problems.isEmpty, "\(read.path): \(problems)")
            }
        }
    }

    @Test("The client selects and decodes only properties the metadata declares")
    func clientProperties() throws {
        let metadata = try GraphMetadata.load()
        let selections: [(String, [String])] = [
            (GraphUser.entityType, GraphUser.selected), (GraphGroup.entityType, GraphGroup.selected),
            (GraphMember.entityType, GraphMember.selected), (GraphRoom.entityType, GraphRoom.selected),
            (GraphRoomList.entityType, GraphRoomList.selected), (GraphSubscribedSku.entityType, GraphSubscribedSku.selected),
            (GraphRoleAssignment.entityType, GraphRoleAssignment.selected),
            (GraphManagedDevice.entityType, GraphManagedDevice.selected), (GraphAutopilotDevice.entityType, GraphAutopilotDevice.selected),
        ]
        for (type, selected) in selections {
            let declared = try #require(metadata.types[type])
            for property in selected { #expect(declared[property] != nil, "\(type) has no property \(property)") }
        }
        // Everything the client's types decode, filled in and encoded, is declared too.
        let samples: [(String, any Encodable)] = [
            (
                GraphUser.entityType,
                GraphUser(id: "1", userPrincipalName: "a@b.c", displayName: "A", mail: "a@b.c", assignedLicenses: [.init(skuId: "x")])
            ),
            (GraphGroup.entityType, GraphGroup(id: "1", displayName: "G", mail: "g@b.c")),
            (
                GraphRoom.entityType,
                GraphRoom(
                    id: "1", emailAddress: "r@b.c", displayName: "R",
                    address: GraphPhysicalAddress(street: "s", city: "c", state: "s", postalCode: "p", countryOrRegion: "c"),
                    building: "b", floorLabel: "f", floorNumber: 1, capacity: 2, tags: ["t"])
            ),
            (GraphRoomList.entityType, GraphRoomList(id: "1", emailAddress: "l@b.c", displayName: "L")),
            (GraphSubscribedSku.entityType, GraphSubscribedSku(id: "1", skuId: "s", skuPartNumber: "p")),
            (GraphRoleAssignment.entityType, GraphRoleAssignment(id: "1", principalId: "p", roleDefinitionId: "r")),
            (
                GraphManagedDevice.entityType,
                GraphManagedDevice(
                    id: "1", deviceName: "d", serialNumber: "s", manufacturer: "m", model: "x", osVersion: "10",
                    lastSyncDateTime: "2026-11-30T00:00:00Z",
                    userPrincipalName: "r@b.c")
            ),
            (
                GraphAutopilotDevice.entityType,
                GraphAutopilotDevice(
                    id: "1", serialNumber: "s", manufacturer: "m", model: "x", groupTag: "MTR-x", lastContactedDateTime: "2026-11-30T00:00:00Z",
                    managedDeviceId: "2")
            ),
        ]
        for (type, sample) in samples {
            let object = try JSONDecoder().decode(JSONObject.self, from: JSONEncoder().encode(sample)).value
            #expect(metadata.problems(in: object, as: type).isEmpty, "\(type): \(metadata.problems(in: object, as: type))")
        }
    }
}

/// Any JSON object, for reading what the emulator serves as it is.
struct JSONObject: Codable, @unchecked Sendable {
    // @unchecked: the dictionary is built once by JSONSerialization and only read afterwards.
    let value: [String: Any]

    init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(RawJSON.self)
        value = raw.object ?? [:]
    }

    func encode(to encoder: any Encoder) throws {}
}

/// Decodes any JSON value into Foundation's representation.
private struct RawJSON: Decodable {
    let any: Any
    var object: [String: Any]? { any as? [String: Any] }

    init(from decoder: any Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: AnyKey.self) {
            var object: [String: Any] = [:]
            for key in keyed.allKeys { object[key.stringValue] = try keyed.decode(RawJSON.self, forKey: key).any }
            any = object
        } else if var list = try? decoder.unkeyedContainer() {
            var items: [Any] = []
            while !list.isAtEnd { items.append(try list.decode(RawJSON.self).any) }
            any = items
        } else {
            let single = try decoder.singleValueContainer()
            if single.decodeNil() {
                any = NSNull()
            } else if let bool = try? single.decode(Bool.self) {
                any = bool
            } else if let number = try? single.decode(Double.self) {
                any = number
            } else {
                any = try single.decode(String.self)
            }
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
