import Foundation
import GitSource
import Manifests
import PortalAPI
import Reconciler
import StateStore

/// The manifests at one revision of their source, loaded and checked: a folder as it is on disk,
/// or a git remote at a ref, read without a work tree. What plan, apply, drift and the controller
/// all start from.
public struct ManifestSnapshot: Sendable {
    /// For people: the folder, or `url@ref:path (commit: subject)`.
    public let description: String
    /// Where the manifests came from, with the commit resolved for a git source.
    public let origin: SourceOrigin
    /// A digest of the folder's files, or the commit id.
    public let revision: String
    /// What loading found; `load.diagnostics` may hold errors, and then nothing may be applied.
    public let load: LoadResult

    public init(description: String, origin: SourceOrigin, revision: String, load: LoadResult) {
        self.description = description
        self.origin = origin
        self.revision = revision
        self.load = load
    }

    public var manifests: ManifestSet { load.manifests }
    public var hasErrors: Bool { load.diagnostics.hasErrors }

    /// Reads the source at `origin`. Throws `GitSourceError` when a git source cannot be read;
    /// invalid manifests are not an error here, they are in `load.diagnostics`.
    ///
    /// With `trust`, a git revision whose signature is not trusted is a `GitSourceError.unverified`.
    /// Fetching, hashing and parsing all run on Dispatch threads, never on Swift's cooperative pool.
    ///
    /// With `trust` and `lineage`, a verified revision must also descend from the one verified
    /// last for the same remote and ref (`GitSourceError.rewrittenHistory` otherwise), and becomes
    /// the last verified one.
    ///
    /// `allowsInsecureTransport`: plain `http://` or `git://` to another host, with `trust` only.
    public static func read(
        _ origin: SourceOrigin, cacheFolder: URL, timeouts: GitTimeouts = GitTimeouts(), trust: SignatureTrust? = nil,
        lineage: SourceLineage? = nil, allowsInsecureTransport: Bool = false
    ) async throws -> ManifestSnapshot {
        switch origin {
        case .git(let git):
            let (url, ref) = (git.url, git.ref)
            let lineage = trust == nil ? nil : lineage
            var configured = GitSource(
                url: url, ref: ref, path: git.path, cacheFolder: cacheFolder,
                credentials: try GitCredentials.fromEnvironment(), timeouts: timeouts, trust: trust, acceptedRewrite: lineage?.acceptedRewrite)
            configured.allowsInsecureTransport = allowsInsecureTransport
            let source = configured
            // The watchdog stops a stalled fetch; this bound also covers waiting for the cache lock.
            let snapshot: GitSnapshot
            do {
                snapshot = try await withDeadline(timeouts.overall + .seconds(30)) {
                    try await offCooperativePool {
                        var source = source
                        source.lastVerified = lineage?.records.last(url: url, ref: ref)
                        return try source.read()
                    }
                }
            } catch is DeadlineExceeded {
                throw GitSourceError.timedOut(
                    url: redactedURL(url),
                    reason: "could not be read within \(timeouts.overall.components.seconds + 30) s (is another process holding the cache?)")
            }
            let origin = SourceOrigin.git(
                GitOrigin(
                    url: snapshot.url, ref: snapshot.ref, path: snapshot.path, commit: snapshot.commit, subject: snapshot.subject,
                    author: snapshot.author, verifiedSigners: snapshot.signers.isEmpty ? nil : snapshot.signers.map(\.description)))
            return try await offCooperativePool {
                if let lineage, !snapshot.signers.isEmpty { try lineage.records.record(url: url, ref: ref, commit: snapshot.commit) }
                return ManifestSnapshot(
                    description: snapshot.sourceDescription, origin: origin, revision: snapshot.commit, load: ManifestLoader.load(from: snapshot))
            }
        case .folder(let folder):
            let directory = DirectoryTree(root: URL(fileURLWithPath: folder))
            return try await offCooperativePool {
                // One read of each file serves both the revision digest and the loader.
                let tree = try ReadTree(reading: directory)
                return ManifestSnapshot(
                    description: folder, origin: origin, revision: try SourceRevision.of(tree), load: ManifestLoader.load(from: tree))
            }
        }
    }
}

/// How a verified revision is held to the history verified before it (see `VerifiedCommits`).
public struct SourceLineage: Sendable {
    public var records: VerifiedCommits
    /// A commit the operator accepts as the new base although it does not descend from the last
    /// verified one (`--accept-rewritten-history`).
    public var acceptedRewrite: String?

    public init(records: VerifiedCommits, acceptedRewrite: String? = nil) {
        self.records = records
        self.acceptedRewrite = acceptedRewrite
    }
}
