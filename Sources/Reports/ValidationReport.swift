import Manifests

/// The machine-readable result of `roomkeeper validate --format json`.
///
/// `formatVersion` changes its major number only for breaking changes; fields may be added.
public enum ValidationReport {
    public static let formatVersion = "1.0"

    public static func json(_ result: LoadResult) -> JSONValue {
        var counts: [String: JSONValue] = [:]
        for (kind, count) in result.manifests.counts { counts[kind.collectionName] = .int(count) }
        return [
            "formatVersion": .string(formatVersion),
            "valid": .bool(!result.diagnostics.hasErrors),
            "files": .int(result.fileCount),
            "counts": .object(counts),
            "diagnostics": .array(result.diagnostics.map(json)),
        ]
    }

    static func json(_ diagnostic: Diagnostic) -> JSONValue {
        var object: [String: JSONValue] = [
            "severity": .string(diagnostic.severity.rawValue),
            "message": .string(diagnostic.message),
        ]
        if let location = diagnostic.location {
            object["file"] = .string(location.file)
            object["line"] = .int(location.line)
            object["column"] = .int(location.column)
        }
        if let hint = diagnostic.hint { object["hint"] = .string(hint) }
        if !diagnostic.notes.isEmpty {
            object["notes"] = .array(diagnostic.notes.map {
                [
                    "file": .string($0.location.file), "line": .int($0.location.line),
                    "column": .int($0.location.column), "message": .string($0.message),
                ]
            })
        }
        return .object(object)
    }
}
