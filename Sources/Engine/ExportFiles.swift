import Foundation
import Manifests
import Reconciler

/// Writing what export read from the portal into manifests: a new folder (`export --out`), or a
/// repository that adopts the objects (`export --into`). Nothing is written when a check fails.
public enum ExportFiles {
    /// The file each kind is exported to.
    public static func fileName(_ kind: ManifestKind) -> String {
        switch kind {
        case .roomGroup: "room-groups.yaml"
        case .role: "roles.yaml"
        case .roleAssignment: "role-assignments.yaml"
        case .device: "devices.yaml"
        case .updateRing: "update-rings.yaml"
        }
    }

    /// Where adopted objects git does not declare yet are added.
    public static let newObjectsFile = "adopted.yaml"

    /// Writes one file per kind into `folder`, and a policy that adopts the hand-made kinds when
    /// `withPolicy` and the folder has none. Refuses (`ExportError.wouldOverwrite`) to replace a
    /// file unless `force`. Returns the files written.
    public static func write(_ result: Exporter.Result, to folder: URL, withPolicy: Bool, force: Bool) throws -> [String] {
        var files: [(name: String, text: String)] = []
        for kind in ManifestKind.allCases {
            let documents = result.manifests.filter { $0.kind == kind }
            guard !documents.isEmpty else { continue }
            files.append((fileName(kind), try YAMLWriter.write(documents.map(\.yamlValue))))
        }
        let policyFile = folder.appendingPathComponent("roomkeeper.yaml")
        if withPolicy, !FileManager.default.fileExists(atPath: policyFile.path) {
            files.append(("roomkeeper.yaml", try YAMLWriter.write([policy(adopting: result.handMadeKinds)])))
        }
        let existing = files.map { folder.appendingPathComponent($0.name).path }.filter(FileManager.default.fileExists(atPath:))
        if !force, !existing.isEmpty { throw ExportError.wouldOverwrite(existing) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in files {
            try file.text.write(to: folder.appendingPathComponent(file.name), atomically: true, encoding: .utf8)
        }
        return files.map(\.name)
    }

    /// A policy that lets a plan take ownership of the hand-made objects just exported.
    static func policy(adopting kinds: Set<ManifestKind>) -> YAMLValue {
        let adopt = RepositoryPolicy.manageableKinds.filter(kinds.contains).map { (key: $0.collectionName, value: YAMLValue.bool(true)) }
        var spec: [(key: String, value: YAMLValue)] = []
        if !adopt.isEmpty { spec.append(("adopt", .mapping(adopt))) }
        return .mapping([
            ("apiVersion", .string(ManifestKind.apiVersion)), ("kind", .string("Policy")), ("spec", .mapping(spec)),
        ])
    }

    /// Adopts `manifests` into the repository at `folder`: each object's document in the file
    /// that declares it is rewritten with the live values (its metadata kept); objects git does
    /// not declare are added to `adopted.yaml` at its root. A repository that does not load
    /// (`ExportError.repositoryInvalid`) is left as it is. Returns the files changed.
    public static func adopt(_ manifests: [Manifest], into folder: URL) throws -> [String] {
        let loaded = ManifestLoader.load(from: DirectoryTree(root: folder))
        if loaded.diagnostics.hasErrors { throw ExportError.repositoryInvalid(loaded) }
        var declared: [ObjectKey: ManifestMetadata] = [:]
        for manifest in loaded.manifests.all { declared[ObjectKey(manifest)] = manifest.metadata }

        var rewrites: [String: [(line: Int, text: String)]] = [:]
        var added: [Manifest] = []
        for var manifest in manifests {
            guard let metadata = declared[ObjectKey(manifest)], let location = metadata.name.location else {
                added.append(manifest)
                continue
            }
            manifest.metadata = metadata
            rewrites[location.file, default: []].append((location.line, try YAMLWriter.write([manifest.yamlValue])))
        }
        var changed: [String] = []
        for (file, documents) in rewrites.sorted(by: { $0.key < $1.key }) {
            let url = folder.appendingPathComponent(file)
            var text = try String(contentsOf: url, encoding: .utf8)
            // From the bottom up, so the lines above stay where they were.
            for document in documents.sorted(by: { $0.line > $1.line }) {
                text = DocumentRewrite.replacingDocument(in: text, containing: document.line, with: document.text)
            }
            try text.write(to: url, atomically: true, encoding: .utf8)
            changed.append(file)
        }
        if !added.isEmpty {
            let url = folder.appendingPathComponent(newObjectsFile)
            var text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            if !text.isEmpty { text += text.hasSuffix("\n") ? "---\n" : "\n---\n" }
            text += try YAMLWriter.write(added.map(\.yamlValue))
            try text.write(to: url, atomically: true, encoding: .utf8)
            changed.append(newObjectsFile)
        }
        return changed
    }
}

/// Why export wrote nothing.
public enum ExportError: Error {
    /// These files exist, and export does not replace them without `force`.
    case wouldOverwrite([String])
    /// The repository to adopt into does not load: its diagnostics.
    case repositoryInvalid(LoadResult)
}
