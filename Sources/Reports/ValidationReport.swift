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
            object["notes"] = .array(
                diagnostic.notes.map {
                    [
                        "file": .string($0.location.file), "line": .int($0.location.line),
                        "column": .int($0.location.column), "message": .string($0.message),
                    ]
                })
        }
        return .object(object)
    }

    // MARK: - GitHub Actions

    /// Workflow commands (`::error file=...,line=...,col=...::message`) that GitHub Actions shows
    /// as annotations on the pull request's files. `folder` is the repository folder as given on
    /// the command line, so the paths are the workspace's.
    public static func github(_ diagnostics: [Diagnostic], folder: String) -> String {
        diagnostics.map { diagnostic in
            var properties: [String] = []
            if let location = diagnostic.location {
                properties += [
                    "file=\(escapeProperty(path(location.file, in: folder)))", "line=\(location.line)", "col=\(location.column)",
                ]
            }
            properties.append("title=\(escapeProperty("Roomkeeper: \(diagnostic.severity.rawValue)"))")
            let text =
                ([diagnostic.message] + (diagnostic.hint.map { ["hint: \($0)"] } ?? [])
                + diagnostic.notes.map { "note: \($0.message) (\(path($0.location.file, in: folder)):\($0.location.line):\($0.location.column))" })
                .joined(separator: "\n")
            return "::\(diagnostic.severity == .error ? "error" : "warning") \(properties.joined(separator: ","))::\(escapeData(text))\n"
        }.joined()
    }

    /// GitHub's escaping of a workflow command's message.
    private static func escapeData(_ text: String) -> String {
        text.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
    }

    /// ... and of a property's value, which also may not hold ':' or ','.
    private static func escapeProperty(_ text: String) -> String {
        escapeData(text).replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    private static func path(_ file: String, in folder: String) -> String {
        folder == "." || folder.isEmpty ? file : (folder.hasSuffix("/") ? folder + file : "\(folder)/\(file)")
    }

    // MARK: - SARIF

    /// A SARIF 2.1.0 log (docs.oasis-open.org/sarif/sarif/v2.1.0), for code scanning: one result
    /// per diagnostic, its notes as related locations, paths relative to the working folder.
    public static func sarif(_ diagnostics: [Diagnostic], folder: String, toolVersion: String) -> JSONValue {
        func location(_ at: SourceLocation, message: String? = nil) -> JSONValue {
            var object: [String: JSONValue] = [
                "physicalLocation": [
                    "artifactLocation": ["uri": .string(path(at.file, in: folder))],
                    "region": ["startLine": .int(at.line), "startColumn": .int(at.column)],
                ]
            ]
            if let message { object["message"] = ["text": .string(message)] }
            return .object(object)
        }
        let results: [JSONValue] = diagnostics.map { diagnostic in
            var result: [String: JSONValue] = [
                "ruleId": "manifest",
                "level": .string(diagnostic.severity == .error ? "error" : "warning"),
                "message": ["text": .string(diagnostic.message + (diagnostic.hint.map { " (\($0))" } ?? ""))],
            ]
            if let at = diagnostic.location { result["locations"] = [location(at)] }
            if !diagnostic.notes.isEmpty { result["relatedLocations"] = .array(diagnostic.notes.map { location($0.location, message: $0.message) }) }
            return .object(result)
        }
        return [
            "version": "2.1.0",
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "runs": [
                [
                    "tool": [
                        "driver": [
                            "name": "roomkeeper",
                            "version": .string(toolVersion),
                            "rules": [
                                [
                                    "id": "manifest",
                                    "shortDescription": ["text": "A manifest Roomkeeper cannot apply as written"],
                                ]
                            ],
                        ]
                    ],
                    "results": .array(results),
                ]
            ],
        ]
    }
}
