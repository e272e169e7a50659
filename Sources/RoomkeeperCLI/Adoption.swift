import ArgumentParser
import Foundation
import Manifests
import PortalAPI
import Reconciler
import Reports

/// Adopting live objects into git: each object's document in the file that declares it is
/// rewritten with the live values (its metadata kept); objects git does not declare are added to
/// `adopted.yaml` at the repository root. Nothing is written when the repository does not load.
enum Adoption {
    static let newObjectsFile = "adopted.yaml"

    static func adopt(_ manifests: [Manifest], into folder: String, from portal: String) throws {
        let root = URL(fileURLWithPath: folder)
        let loaded = ManifestLoader.load(from: DirectoryTree(root: root))
        if loaded.diagnostics.hasErrors {
            let renderer = DiagnosticRenderer(style: TerminalStyle.automatic())
            FileHandle.standardError.write(Data(renderer.render(loaded.diagnostics, sources: loaded.sources).utf8))
            printError("\(folder): \(DiagnosticRenderer.count(loaded.diagnostics)); nothing was adopted")
            throw ExitCode.failure
        }
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
            let url = root.appendingPathComponent(file)
            var text = try String(contentsOf: url, encoding: .utf8)
            // From the bottom up, so the lines above stay where they were.
            for document in documents.sorted(by: { $0.line > $1.line }) {
                text = DocumentRewrite.replacingDocument(in: text, containing: document.line, with: document.text)
            }
            try text.write(to: url, atomically: true, encoding: .utf8)
            changed.append(file)
        }
        if !added.isEmpty {
            let url = root.appendingPathComponent(newObjectsFile)
            var text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            if !text.isEmpty { text += text.hasSuffix("\n") ? "---\n" : "\n---\n" }
            text += try YAMLWriter.write(added.map(\.yamlValue))
            try text.write(to: url, atomically: true, encoding: .utf8)
            changed.append(newObjectsFile)
        }
        print(
            "Adopted \(counted(manifests.count, "object")) from \(PortalEndpoint.phrase(portal)) into \(folder): \(changed.joined(separator: ", ")). "
                + "Rewritten documents keep their metadata but not their comments; review with git diff, then commit.")
    }
}
