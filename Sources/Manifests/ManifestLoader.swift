/// The outcome of loading a manifest tree: what it declares, and every problem found.
public struct LoadResult: Sendable {
    public var manifests: ManifestSet
    /// Every problem, sorted by file, line and column. Any error means nothing may be applied.
    public var diagnostics: [Diagnostic]
    /// The text of each file that has a diagnostic, so a renderer can show the offending line.
    public var sources: [String: SourceText]
    public var fileCount: Int
    public var byteCount: Int
}

/// Loads every manifest under a tree: parses, checks each document's shape, decodes the kinds,
/// then validates the whole set (names, references, portal limits). Never stops at the first
/// problem; a file that fails contributes its diagnostics and nothing else.
public enum ManifestLoader {
    /// Files larger than this are refused before they are parsed.
    public static let maximumFileSize = 16 << 20
    /// The repository policy file, at the root of the tree.
    public static let policyFileName = "roomkeeper.yaml"

    public static func load(from tree: some ManifestFileTree) -> LoadResult {
        var result = LoadResult(manifests: ManifestSet(), diagnostics: [], sources: [:], fileCount: 0, byteCount: 0)
        let paths: [String]
        do {
            paths = try tree.yamlFiles()
        } catch {
            result.diagnostics.append(.error("cannot list the manifest files: \(error)", at: nil))
            return result
        }
        if paths.isEmpty {
            result.diagnostics.append(.warning(
                "no manifest files (*.yaml, *.yml) found", at: nil,
                hint: "an empty repository declares nothing; check the path"))
        }
        for path in paths {
            let bytes: [UInt8]
            do {
                bytes = try tree.contents(of: path)
            } catch DirectoryTreeError.tooLarge(_, let size) {
                result.diagnostics.append(tooLarge(path, size))
                continue
            } catch {
                result.diagnostics.append(.error("cannot read the file: \(error)", at: SourceLocation(file: path, line: 1, column: 1)))
                continue
            }
            result.fileCount += 1
            result.byteCount += bytes.count
            let source = SourceText(path: path, bytes: bytes)
            let diagnostics = loadFile(source, into: &result.manifests)
            if !diagnostics.isEmpty {
                result.diagnostics += diagnostics
                result.sources[path] = source
            }
        }
        result.diagnostics += ManifestValidator.validate(result.manifests)
        result.diagnostics = result.diagnostics.sortedByLocation()
        // Cross-file checks point into files that parsed cleanly; keep their text for the excerpt.
        for file in Set(result.diagnostics.compactMap(\.location?.file)) where result.sources[file] == nil {
            if let bytes = try? tree.contents(of: file) { result.sources[file] = SourceText(path: file, bytes: bytes) }
        }
        return result
    }

    /// Parses one file and adds its manifests to `set`; returns the file's own diagnostics.
    static func loadFile(_ source: SourceText, into set: inout ManifestSet) -> [Diagnostic] {
        let start = SourceLocation(file: source.path, line: 1, column: 1)
        if source.bytes.count > maximumFileSize { return [tooLarge(source.path, source.bytes.count)] }
        if source.bytes.starts(with: [0xFE, 0xFF]) || source.bytes.starts(with: [0xFF, 0xFE])
            || source.bytes.starts(with: [0, 0, 0xFE, 0xFF])
        {
            return [.error("the file is encoded as UTF-16 or UTF-32", at: start, hint: "save it as UTF-8")]
        }
        let (tree, parseDiagnostics) = YAMLParser.parse(source)
        var diagnostics = parseDiagnostics
        let isPolicyFile = source.path == policyFileName
        var sawPolicy = false
        for document in tree.documents {
            guard document.kind == .mapping else {
                diagnostics.append(.error(
                    "a manifest must be a mapping with apiVersion, kind, metadata and spec, not \(document.summary)",
                    at: document.location))
                continue
            }
            guard let kindNode = document["kind"], let kindText = kindNode.text else {
                diagnostics.append(.error(
                    "missing required field 'kind'", at: document.location,
                    hint: "add 'kind:' (one of \(ManifestKind.allCases.map(\.rawValue).joined(separator: ", ")))"))
                continue
            }
            var checker = ShapeChecker()
            if kindText == "Policy" {
                guard isPolicyFile else {
                    diagnostics.append(.error(
                        "the Policy belongs in \(policyFileName) at the repository root", at: kindNode.location,
                        hint: "move this document there"))
                    continue
                }
                guard !sawPolicy else {
                    diagnostics.append(.error("\(policyFileName) holds one Policy document, not several", at: document.location))
                    continue
                }
                sawPolicy = true
                checker.check(document, against: .object(ManifestShapes.policyDocument), path: "")
                // Decoded even when the check failed, so the semantic checks of its ignore rules run
                // too; the errors above already keep anything from being applied.
                set.policy = ManifestDecoder.decodePolicy(document)
            } else if let kind = ManifestKind(rawValue: kindText) {
                if isPolicyFile {
                    diagnostics.append(.error(
                        "\(policyFileName) holds only the repository Policy, not a \(kind.rawValue)", at: kindNode.location,
                        hint: "move this document to another file"))
                    continue
                }
                checker.check(document, against: .object(kind.documentShape), path: "")
                if !checker.diagnostics.hasErrors, let manifest = ManifestDecoder.decode(document, kind: kind) {
                    set.add(manifest)
                }
            } else {
                let known = ManifestKind.allCases.map(\.rawValue)
                diagnostics.append(.error(
                    "unknown kind '\(kindText.truncatedForMessage)'", at: kindNode.location,
                    hint: Suggestion.hint(for: kindText, in: known) ?? "known kinds: \(known.joined(separator: ", "))"))
                continue
            }
            diagnostics += checker.diagnostics
        }
        return diagnostics
    }

    private static func tooLarge(_ path: String, _ size: Int) -> Diagnostic {
        .error(
            "the file is \(size / (1 << 20)) MiB; the limit is \(maximumFileSize >> 20) MiB per file",
            at: SourceLocation(file: path, line: 1, column: 1), hint: "split it into several files")
    }
}
