import Foundation
import Manifests
import TestSupport
import Testing

/// The files under manifests/ that show how to run Roomkeeper: their YAML parses, and every
/// Roomkeeper command line in them names a command and flags that exist.
@Suite("Deployment examples in manifests/")
struct DeploymentFilesTests {
    private static let folder = repositoryRoot.appendingPathComponent("manifests")

    private static func files() throws -> [URL] {
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil)
        var files: [URL] = []
        while let url = enumerator?.nextObject() as? URL {
            let isCronFile = url.deletingLastPathComponent().lastPathComponent == "cron"
            if ["yaml", "service", "timer"].contains(url.pathExtension) || isCronFile { files.append(url) }
        }
        return files.sorted { $0.path < $1.path }
    }

    /// A command line found in a file: the subcommand and the flags given to it.
    struct CommandLine: CustomStringConvertible {
        var file: String
        var subcommand: String
        var flags: [String]
        var description: String { "\(file): roomkeeper \(subcommand) \(flags.joined(separator: " "))" }
    }

    /// Finds `roomkeeper SUBCOMMAND --flag ...` in a piece of text (a line, a YAML scalar, or a
    /// YAML list of words joined). A word counts as a subcommand when flags follow it.
    static func commandLines(in text: String, file: String) -> [CommandLine] {
        let words = text.replacingOccurrences(of: "\"", with: " ").split(whereSeparator: { " \t\n;&|".contains($0) }).map(String.init)
        var found: [CommandLine] = []
        for (index, word) in words.enumerated() where (word == "roomkeeper" || word.hasSuffix("/roomkeeper")) && index + 2 < words.count + 1 {
            guard index + 1 < words.count else { continue }
            let subcommand = words[index + 1]
            guard subcommand.first?.isLetter == true, subcommand.allSatisfy({ $0.isLetter || $0 == "-" }) else { continue }
            let rest = words[(index + 2)...].prefix { $0 != "roomkeeper" && !$0.hasSuffix("/roomkeeper") }
            guard rest.first?.hasPrefix("--") == true || Self.subcommands.contains(subcommand) else { continue }
            found.append(
                CommandLine(
                    file: file, subcommand: subcommand,
                    flags: rest.filter { $0.hasPrefix("--") }.map { String($0.split(separator: "=")[0]) }))
        }
        return found
    }

    static let subcommands = ["validate", "plan", "apply", "drift", "export", "controller", "portal", "schema"]

    /// Every scalar of a YAML tree, and every list of scalars joined with spaces.
    private static func texts(_ node: YAMLNode) -> [String] {
        switch node.kind {
        case .scalar: return [node.text ?? ""]
        case .sequence:
            let words = node.elements.compactMap { $0.kind == .scalar ? $0.text : nil }
            return [words.joined(separator: " ")] + node.elements.flatMap(texts)
        default:
            return node.entries.flatMap { texts($0.value) }
        }
    }

    @Test("Every YAML file parses, and the Kubernetes objects have what their kind needs")
    func yamlParses() throws {
        let yaml = try Self.files().filter { $0.pathExtension == "yaml" }
        #expect(yaml.count >= 3)
        var kinds: [String] = []
        for url in yaml {
            let source = SourceText(path: url.lastPathComponent, bytes: Array(try Data(contentsOf: url)))
            let (tree, diagnostics) = YAMLParser.parse(source)
            #expect(!diagnostics.hasErrors, "\(url.lastPathComponent): \(diagnostics)")
            for document in tree.documents {
                if let kind = document["kind"]?.text, kind != "Kustomization" {
                    kinds.append(kind)
                    #expect(document["apiVersion"]?.text != nil, "\(url.lastPathComponent): \(kind) without apiVersion")
                    #expect(document["metadata"]?["name"]?.text != nil, "\(url.lastPathComponent): \(kind) without a name")
                }
            }
        }
        #expect(Set(kinds).isSuperset(of: ["CronJob", "Deployment", "Service", "PersistentVolumeClaim"]))
    }

    @Test("Every roomkeeper command line in manifests/ uses a real command and real flags")
    func commandLinesExist() async throws {
        var lines: [CommandLine] = []
        for url in try Self.files() {
            let text = try String(contentsOf: url, encoding: .utf8)
            if url.pathExtension == "yaml" {
                let (tree, _) = YAMLParser.parse(SourceText(path: url.lastPathComponent, bytes: Array(text.utf8)))
                for document in tree.documents {
                    for scalar in Self.texts(document) { lines += Self.commandLines(in: scalar, file: url.lastPathComponent) }
                }
            } else {
                for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                    lines += Self.commandLines(in: String(line), file: url.lastPathComponent)
                }
            }
        }
        let subcommands = Set(lines.map(\.subcommand))
        #expect(subcommands.isSuperset(of: ["drift", "controller", "plan", "validate"]), "\(subcommands)")
        var help: [String: String] = [:]
        for line in lines {
            #expect(Self.subcommands.contains(line.subcommand), "\(line): no such command")
            if help[line.subcommand] == nil {
                // `controller` is a group whose default subcommand, `run`, takes the flags.
                let words = line.subcommand == "controller" ? ["controller", "run"] : [line.subcommand]
                help[line.subcommand] = try await runProcess(Roomkeeper.executable, words + ["--help"]).output
            }
            for flag in line.flags {
                #expect(
                    help[line.subcommand]?.contains("\(flag) ") == true || help[line.subcommand]?.contains("\(flag)\n") == true,
                    "\(line): \(flag) is not an option of roomkeeper \(line.subcommand)")
            }
        }
    }

    @Test("One version everywhere: roomkeeper --version, CHANGELOG.md's newest release, the image tags in manifests/")
    func oneVersion() async throws {
        let version = try await runProcess(Roomkeeper.executable, ["--version"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let changelog = try String(contentsOf: repositoryRoot.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let newest = changelog.split(separator: "\n").first { $0.hasPrefix("## [") && $0.dropFirst(4).first?.isNumber == true }
        #expect(newest?.hasPrefix("## [\(version)]") == true, "CHANGELOG.md's newest release is \(newest ?? "missing"), the binary says \(version)")
        var tags: [String] = []
        for url in try Self.files() {
            let text = try String(contentsOf: url, encoding: .utf8)
            for line in text.split(separator: "\n") {
                if let range = line.range(of: "roomkeeper:") { tags.append(String(line[range.upperBound...].prefix { !$0.isWhitespace })) }
                if line.contains("newTag:") { tags.append(line.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "") }
            }
        }
        #expect(!tags.isEmpty && tags.allSatisfy { $0 == version }, "image tags \(tags), version \(version)")
    }

    @Test(
        "The GitHub Actions examples: actions pinned to commits, no stored credentials, no secret where a pull request's code runs, least permissions, the token as a file"
    )
    func workflowsHardened() throws {
        let ci = Self.folder.appendingPathComponent("ci")
        let names = try FileManager.default.contentsOfDirectory(atPath: ci.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(names == ["github-actions-plan-comment.yaml", "github-actions-plan.yaml"])
        for name in names {
            let text = try String(contentsOf: ci.appendingPathComponent(name), encoding: .utf8)
            let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            for line in lines where line.hasPrefix("- uses:") || line.hasPrefix("uses:") {
                let reference = line.split(separator: "@").dropFirst().first.map { String($0.prefix { !$0.isWhitespace }) } ?? ""
                #expect(reference.count == 40 && reference.allSatisfy(\.isHexDigit), "\(name): \(line) is not pinned to a commit")
            }
            if text.contains("actions/checkout@") {
                #expect(text.contains("persist-credentials: false"), "\(name): checkout leaves its token in .git/config")
            }
            let runsPullRequestCode = lines.contains("pull_request:") || lines.contains("pull_request_target:")
            if runsPullRequestCode { #expect(!text.contains("secrets."), "\(name): a pull request can change this workflow and read its secrets") }
            #expect(lines.contains("permissions: {}") || lines.contains("permissions:"), "\(name): permissions are set, not inherited")
            #expect(!text.contains("write-all") && !text.contains("contents: write"), "\(name)")
            if text.contains("secrets.ROOMKEEPER_PORTAL") {
                #expect(!text.contains("ROOMKEEPER_TOKEN:"), "\(name): the token reaches roomkeeper as a file, not a variable")
                #expect(text.contains("--token-file") && text.contains("umask 077"), "\(name)")
            }
        }
    }

    @Test("The command line finder catches a misspelt command and flag")
    func finderCatchesTypos() {
        let found = Self.commandLines(in: "ExecStart=/usr/local/bin/roomkeeper drfit --sorce x", file: "x.service")
        #expect(found.map(\.subcommand) == ["drfit"])
        #expect(found.first?.flags == ["--sorce"])
        #expect(Self.commandLines(in: "{name: roomkeeper, key: portal-token}", file: "x.yaml").isEmpty)
    }
}
