import Foundation
import Synchronization

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

    /// Loads and validates every manifest of `tree`.
    ///
    /// Files are parsed and checked on up to `workers` threads (one per core by default); the
    /// result is the same whatever the number, in file order. Cross-file validation runs after.
    public static func load(
        from tree: some ManifestFileTree, workers: Int = ProcessInfo.processInfo.activeProcessorCount
    ) -> LoadResult {
        var result = LoadResult(manifests: ManifestSet(), diagnostics: [], sources: [:], fileCount: 0, byteCount: 0)
        let paths: [String]
        do {
            paths = try tree.yamlFiles()
        } catch {
            result.diagnostics.append(.error("cannot list the manifest files: \(error)", at: nil))
            return result
        }
        if paths.isEmpty {
            result.diagnostics.append(
                .warning(
                    "no manifest files (*.yaml, *.yml) found", at: nil,
                    hint: "an empty repository declares nothing; check the path"))
        }
        // Outcomes and their manifests are taken from the back and moved, not copied: a copy of
        // each of tens of thousands of manifests, and its release with the outcome, cost more
        // than the reversal that puts them back in file order.
        var outcomes = loadFiles(paths, from: tree, workers: max(1, min(workers, paths.count)))
        var counts: [ManifestKind: Int] = [:]
        for outcome in outcomes {
            for index in outcome.manifests.indices { counts[outcome.manifests[index].kind, default: 0] += 1 }
        }
        result.manifests.reserveCapacity(counts)
        while var outcome = outcomes.popLast() {
            result.diagnostics += outcome.diagnostics
            guard let source = outcome.source else { continue }
            result.fileCount += 1
            result.byteCount += source.bytes.count
            if !outcome.diagnostics.isEmpty { result.sources[source.path] = source }
            while let manifest = outcome.manifests.popLast() { result.manifests.add(manifest) }
            if let policy = outcome.policy { result.manifests.policy = policy }
        }
        result.manifests.reverse()
        result.diagnostics += ManifestValidator.validate(result.manifests)
        result.diagnostics = result.diagnostics.sortedByLocation()
        // Cross-file checks point into files that parsed cleanly; keep their text for the excerpt.
        for file in Set(result.diagnostics.compactMap(\.location?.file)) where result.sources[file] == nil {
            if let bytes = try? tree.contents(of: file) { result.sources[file] = SourceText(path: file, bytes: bytes) }
        }
        return result
    }

    /// What one file contributes.
    struct FileOutcome: Sendable {
        /// The file's text; nil when it could not be read.
        var source: SourceText?
        var manifests: [Manifest] = []
        var policy: RepositoryPolicy?
        var diagnostics: [Diagnostic] = []
    }

    /// Reads, parses and checks files on `workers` threads; outcomes come back in `paths` order.
    private static func loadFiles(_ paths: [String], from tree: some ManifestFileTree, workers: Int) -> [FileOutcome] {
        let collected = Mutex([Int: FileOutcome]())
        // Each worker takes the next file when it is free: a worker slowed by other work on the
        // machine (the read cache loads meanwhile) does not hold the others up at the end.
        let next = Atomic(0)
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let shapes = ShapeCatalog()
            var outcomes: [(Int, FileOutcome)] = []
            while case let index = next.add(1, ordering: .relaxed).oldValue, index < paths.count {
                outcomes.append((index, loadFile(at: paths[index], from: tree, shapes: shapes)))
            }
            collected.withLock { all in
                for (index, outcome) in outcomes { all[index] = outcome }
            }
        }
        return collected.withLock { all in paths.indices.compactMap { all[$0] } }
    }

    private static func loadFile(at path: String, from tree: some ManifestFileTree, shapes: ShapeCatalog) -> FileOutcome {
        let bytes: [UInt8]
        do {
            bytes = try tree.contents(of: path)
        } catch DirectoryTreeError.tooLarge(_, let size) {
            return FileOutcome(diagnostics: [tooLarge(path, size)])
        } catch {
            return FileOutcome(diagnostics: [
                .error("cannot read the file: \(error)", at: SourceLocation(file: path, line: 1, column: 1))
            ])
        }
        return loadFile(SourceText(path: path, bytes: bytes), shapes: shapes)
    }

    /// Parses and checks one file: its manifests, its policy if it is `roomkeeper.yaml`, and its diagnostics.
    static func loadFile(_ source: SourceText, shapes: ShapeCatalog = ShapeCatalog()) -> FileOutcome {
        var outcome = FileOutcome(source: source)
        let start = SourceLocation(file: source.path, line: 1, column: 1)
        if source.bytes.count > maximumFileSize {
            outcome.diagnostics = [tooLarge(source.path, source.bytes.count)]
            return outcome
        }
        if source.bytes.starts(with: [0xFE, 0xFF]) || source.bytes.starts(with: [0xFF, 0xFE])
            || source.bytes.starts(with: [0, 0, 0xFE, 0xFF])
        {
            outcome.diagnostics = [.error("the file is encoded as UTF-16 or UTF-32", at: start, hint: "save it as UTF-8")]
            return outcome
        }
        let (tree, parseDiagnostics) = YAMLParser.parse(source)
        var diagnostics = parseDiagnostics
        let isPolicyFile = source.path == policyFileName
        var sawPolicy = false
        ShapeChecker.withChecker(for: tree, shapes: shapes.table) { checker in
            for document in tree.documents {
                guard document.kind == .mapping else {
                    diagnostics.append(
                        .error(
                            "a manifest must be a mapping with apiVersion, kind, metadata and spec, not \(document.summary)",
                            at: document.location))
                    continue
                }
                guard let kindNode = document["kind"], let kindText = kindNode.text else {
                    diagnostics.append(
                        .error(
                            "missing required field 'kind'", at: document.location,
                            hint: "add 'kind:' (one of \(ManifestKind.allCases.map(\.rawValue).joined(separator: ", ")))"))
                    continue
                }
                if kindText == "Policy" {
                    guard isPolicyFile else {
                        diagnostics.append(
                            .error(
                                "the Policy belongs in \(policyFileName) at the repository root", at: kindNode.location,
                                hint: "move this document there"))
                        continue
                    }
                    guard !sawPolicy else {
                        diagnostics.append(.error("\(policyFileName) holds one Policy document, not several", at: document.location))
                        continue
                    }
                    sawPolicy = true
                    diagnostics += checker.diagnostics(for: document, against: shapes.policy)
                    // Decoded even when the check failed, so the semantic checks of its ignore rules run
                    // too; the errors above already keep anything from being applied.
                    outcome.policy = ManifestDecoder.decodePolicy(document)
                } else if let (kind, shape) = shapes.document(ofKind: kindText) {
                    if isPolicyFile {
                        diagnostics.append(
                            .error(
                                "\(policyFileName) holds only the repository Policy, not a \(kind.rawValue)", at: kindNode.location,
                                hint: "move this document to another file"))
                        continue
                    }
                    let shapeDiagnostics = checker.diagnostics(for: document, against: shape)
                    if !shapeDiagnostics.hasErrors, let manifest = ManifestDecoder.decode(document, kind: kind) {
                        outcome.manifests.append(manifest)
                    }
                    diagnostics += shapeDiagnostics
                } else {
                    let known = ManifestKind.allCases.map(\.rawValue)
                    diagnostics.append(
                        .error(
                            "unknown kind '\(kindText.truncatedForMessage)'", at: kindNode.location,
                            hint: Suggestion.hint(for: kindText, in: known) ?? "known kinds: \(known.joined(separator: ", "))"))
                }
            }
        }
        outcome.diagnostics = diagnostics
        return outcome
    }

    private static func tooLarge(_ path: String, _ size: Int) -> Diagnostic {
        .error(
            "the file is \(size / (1 << 20)) MiB; the limit is \(maximumFileSize >> 20) MiB per file",
            at: SourceLocation(file: path, line: 1, column: 1), hint: "split it into several files")
    }
}
