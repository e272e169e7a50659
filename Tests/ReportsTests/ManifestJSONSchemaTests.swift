import Foundation
import Manifests
import Reports
import TestSupport
import Testing

/// Validates documents against the generated JSON Schema with Python's `jsonschema`, the
/// reference implementation editors' validators follow.
@Suite("The JSON Schema for editors")
struct ManifestJSONSchemaTests {
    @Test("Every example manifest is valid against the schema, and typical mistakes are not")
    func schemaAgreesWithTheLoader() async throws {
        let contoso = ManifestLoader.load(from: DirectoryTree(root: examples("contoso")))
        var documents: [JSONValue] = contoso.manifests.all.map { json($0.yamlValue) }
        let valid = documents.count
        let roomGroup = json(contoso.manifests.all[0].yamlValue)
        documents += [
            patch(roomGroup, spec: ["roms": ["a@contoso.com"]]),  // unknown field
            patch(roomGroup, spec: ["displayName": .null]),  // missing required field
            patch(roomGroup, metadata: ["name": "Not_A_Label"]),
            patch(roomGroup, kind: "Device"),  // a RoomGroup spec is not a Device spec
        ]
        let results = try await validate(documents)
        #expect(results.prefix(valid).allSatisfy { $0 }, "example manifests rejected by the schema")
        #expect(results.dropFirst(valid) == [false, false, false, false])
    }

    private func json(_ value: YAMLValue) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .bool(let flag): .bool(flag)
        case .int(let number): .int(number)
        case .list(let items): .array(items.map(json))
        case .mapping(let entries): .object(Dictionary(entries.map { ($0.key, json($0.value)) }, uniquingKeysWith: { $1 }))
        }
    }

    private func patch(
        _ document: JSONValue, kind: String? = nil, metadata: [String: JSONValue] = [:], spec: [String: JSONValue] = [:]
    ) -> JSONValue {
        guard case .object(var top) = document, case .object(var meta) = top["metadata"], case .object(var body) = top["spec"]
        else { return document }
        for (key, value) in metadata { meta[key] = value }
        for (key, value) in spec { body[key] = value == .null ? nil : value }
        top["metadata"] = .object(meta)
        top["spec"] = .object(body)
        if let kind { top["kind"] = .string(kind) }
        return .object(top)
    }

    /// Whether each document is valid, by Python's jsonschema (Draft 7).
    private func validate(_ documents: [JSONValue]) async throws -> [Bool] {
        let folder = try temporaryFolder("roomkeeper-schema")
        defer { try? FileManager.default.removeItem(at: folder) }
        try ManifestJSONSchema.document().rendered().write(to: folder.appendingPathComponent("schema.json"), atomically: true, encoding: .utf8)
        try JSONValue.array(documents).rendered().write(to: folder.appendingPathComponent("documents.json"), atomically: true, encoding: .utf8)
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft7Validator.check_schema(schema)
            validator = jsonschema.Draft7Validator(schema)
            print(json.dumps([validator.is_valid(d) for d in json.load(open(sys.argv[2]))]))
            """
        let result = try await runPython(
            script, [folder.appendingPathComponent("schema.json").path, folder.appendingPathComponent("documents.json").path])
        guard result.status == 0 else {
            Issue.record("python3 with jsonschema failed (install it: pip install jsonschema): \(result.errors)")
            return []
        }
        return try JSONDecoder().decode([Bool].self, from: Data(result.output.utf8))
    }
}
