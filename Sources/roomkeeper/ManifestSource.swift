import ArgumentParser
import Foundation
import GitSource
import Manifests
import Reconciler
import Reports

/// Where the manifests come from, the same flags for validate, plan and apply: a folder (as it
/// is on disk, for trying changes before committing), or a git remote at a ref.
struct SourceOptions: ParsableArguments {
    @Option(
        name: .customLong("source"),
        help: "A git remote to read the manifests from (https://, ssh://, user@host:path, git://, file://).")
    var gitURL: String?

    @Option(help: "With --source: the branch, tag or full commit id.")
    var ref = "main"

    @Option(help: "With --source: the folder of the manifests inside the repository.")
    var path = ""

    @Option(help: "With --source: where to keep the bare cache of the remote (default: $XDG_CACHE_HOME/roomkeeper/git).")
    var gitCache: String?

    /// The origin to load: the remote when `--source` is given, else `folder`.
    func origin(folder: String) -> SourceOrigin {
        guard let gitURL else { return SourceOrigin(folder: folder) }
        return SourceOrigin(url: gitURL, ref: ref, path: path)
    }

    var cacheFolder: URL { gitCache.map { URL(fileURLWithPath: $0) } ?? GitSource.defaultCacheFolder() }
}

/// The manifests a command works from, loaded and checked, with the revision a plan records.
struct ManifestSource {
    /// For people: the folder, or `url@ref:path (commit: subject)`.
    let description: String
    let origin: SourceOrigin
    let manifests: ManifestSet
    /// A digest of the folder's files, or the commit id.
    let revision: String

    /// Loads the manifests at `origin`; on any error prints every diagnostic (or why the source
    /// could not be read) to standard error and exits 1, before a portal is opened.
    static func load(
        _ origin: SourceOrigin, cacheFolder: URL, style: TerminalStyle, consequence: String
    ) async throws -> ManifestSource {
        let tree: any ManifestFileTree
        var resolved = origin
        let description: String
        let revision: String
        if let url = origin.url {
            let source = GitSource(
                url: url, ref: origin.ref ?? "main", path: origin.path ?? "", cacheFolder: cacheFolder,
                credentials: try GitCredentials.fromEnvironment())
            let snapshot: GitSnapshot
            do {
                snapshot = try await offCooperativePool { try source.read() }
            } catch let error as GitSourceError {
                printError("roomkeeper: error: \(error); \(consequence)")
                throw ExitCode.failure
            }
            tree = snapshot
            resolved = SourceOrigin(
                url: snapshot.url, ref: snapshot.ref, path: snapshot.path, commit: snapshot.commit, subject: snapshot.subject,
                author: snapshot.author)
            description = snapshot.sourceDescription
            revision = snapshot.commit
        } else {
            let folder = origin.folder ?? "."
            let directory = DirectoryTree(root: URL(fileURLWithPath: folder))
            tree = directory
            description = folder
            revision = try SourceRevision.of(directory)
        }
        let loaded = ManifestLoader.load(from: tree)
        if loaded.diagnostics.hasErrors {
            let renderer = DiagnosticRenderer(style: style)
            FileHandle.standardError.write(Data(renderer.render(loaded.diagnostics, sources: loaded.sources).utf8))
            printError("\(description): \(DiagnosticRenderer.count(loaded.diagnostics)); \(consequence)")
            throw ExitCode.failure
        }
        return ManifestSource(description: description, origin: resolved, manifests: loaded.manifests, revision: revision)
    }
}

/// Runs blocking work (libgit2's network and disk I/O) on a Dispatch thread, so it never holds
/// one of Swift's few cooperative threads.
func offCooperativePool<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Swift.Result { try work() }) }
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
