import Manifests

/// The JSON Schema (draft-07) of every manifest kind and of `roomkeeper.yaml`, generated from the
/// same shapes the loader checks, for yaml-language-server and other editors.
public enum ManifestJSONSchema {
    public static func document() -> JSONValue {
        var definitions: [String: JSONValue] = [:]
        var branches: [JSONValue] = []
        let documents = ManifestKind.allCases.map { ($0.rawValue, $0.documentShape) } + [("Policy", ManifestShapes.policyDocument)]
        for (kind, shape) in documents {
            definitions[kind] = schema(for: .object(shape))
            branches.append([
                "if": ["properties": ["kind": ["const": .string(kind)]], "required": ["kind"]],
                "then": ["$ref": .string("#/definitions/\(kind)")],
            ])
        }
        return [
            "$schema": "http://json-schema.org/draft-07/schema#",
            "title": "Roomkeeper manifest (\(ManifestKind.apiVersion))",
            "description": "A Roomkeeper manifest, or the repository policy in roomkeeper.yaml.",
            "type": "object",
            "required": ["apiVersion", "kind"],
            "properties": [
                "apiVersion": ["const": .string(ManifestKind.apiVersion)],
                "kind": ["enum": .array(documents.map { .string($0.0) })],
            ],
            "allOf": .array(branches),
            "definitions": .object(definitions),
        ]
    }

    static func schema(for shape: Shape) -> JSONValue {
        switch shape {
        case .string(let format):
            switch format {
            case .text(let maximumLength): return ["type": "string", "maxLength": .int(maximumLength)]
            case .dnsLabel: return ["type": "string", "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"]
            case .email: return ["type": "string", "format": "email", "pattern": "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"]
            case .url: return ["type": "string", "format": "uri", "pattern": "^https?://"]
            case .date: return ["type": "string", "format": "date", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"]
            case .oneOf(let values): return ["type": "string", "enum": .array(values.map { .string($0) })]
            }
        case .integer(let range):
            return ["type": "integer", "minimum": .int(range.lowerBound), "maximum": .int(range.upperBound)]
        case .boolean:
            return ["type": "boolean"]
        case .list(let item, let minimumCount, let unique):
            var list: [String: JSONValue] = ["type": "array", "items": schema(for: item)]
            if minimumCount > 0 { list["minItems"] = .int(minimumCount) }
            if unique { list["uniqueItems"] = true }
            return .object(list)
        case .stringMap:
            return ["type": "object", "additionalProperties": ["type": "string"]]
        case .object(let object):
            var properties: [String: JSONValue] = [:]
            for field in object.fields {
                guard case .object(var property) = schema(for: field.shape) else { continue }
                property["description"] = .string(field.summary)
                properties[field.name] = .object(property)
            }
            var result: [String: JSONValue] = [
                "type": "object", "additionalProperties": false, "properties": .object(properties),
            ]
            let required = object.fields.filter(\.isRequired).map { JSONValue.string($0.name) }
            if !required.isEmpty { result["required"] = .array(required) }
            if !object.exactlyOneOf.isEmpty {
                result["oneOf"] = .array(object.exactlyOneOf.map { ["required": [.string($0)]] })
            }
            return .object(result)
        }
    }
}
