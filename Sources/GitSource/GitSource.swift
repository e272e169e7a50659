import CGit2
import Crypto
import Foundation
import Manifests

/// A manifests repository on a git server: a URL (`https://`, `ssh://`, scp-style, `git://`,
/// `file://`), a ref (branch, tag or full commit id) and a folder inside the repository.
///
/// Each remote has a bare cache under `cacheFolder`: the first read clones it, later reads fetch
/// only what is new (force-pushes included), and manifests are read straight from the object
/// database at the resolved commit, with no work tree. A cache is built in a scratch folder and
/// moved into place only when complete; one that cannot be opened is rebuilt. A lock file keeps
/// two processes from updating one cache at once.
public struct GitSource: Sendable {
    public var url: String
    public var ref: String
    /// The folder inside the repository; empty for its root.
    public var path: String
    public var cacheFolder: URL
    public var credentials: GitCredentials
    public var timeouts: GitTimeouts
    /// Whose signatures the revision must carry; nil to read any revision.
    public var trust: SignatureTrust?
    /// The commit verified last time for this remote and ref: a verified revision must be it or
    /// descend from it, or an older signed commit could be pushed back as the tip. Nil when none
    /// was recorded, or when the operator accepted a rewritten history.
    public var lastVerified: String?
    /// A commit the operator accepted as the new base although it does not descend from `lastVerified`.
    public var acceptedRewrite: String?
    /// Whether `http://` or `git://` to another host is allowed: anyone on the path can change
    /// what is read, so only with signatures checked.
    public var allowsInsecureTransport = false

    public init(
        url: String, ref: String, path: String = "", cacheFolder: URL, credentials: GitCredentials = GitCredentials(),
        timeouts: GitTimeouts = GitTimeouts(), trust: SignatureTrust? = nil, lastVerified: String? = nil,
        acceptedRewrite: String? = nil
    ) {
        self.acceptedRewrite = acceptedRewrite
        self.timeouts = timeouts
        self.trust = trust
        self.lastVerified = lastVerified
        self.url = url
        self.ref = ref
        self.path = path.split(separator: "/").joined(separator: "/")
        self.cacheFolder = cacheFolder
        self.credentials = credentials
    }

    /// Whether `ref` is a full commit id (40 hexadecimal digits), which names one commit and never moves.
    public static func isCommitId(_ ref: String) -> Bool { ref.count == 40 && ref.allSatisfy(\.isHexDigit) }

    /// The default cache folder: `$XDG_CACHE_HOME/roomkeeper/git`, else `~/.cache/roomkeeper/git`.
    public static func defaultCacheFolder(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        let base = environment["XDG_CACHE_HOME"] ?? "\(NSHomeDirectory())/.cache"
        return URL(fileURLWithPath: base).appendingPathComponent("roomkeeper/git")
    }

    /// Fetches the remote into its cache and reads the manifests at the resolved commit. Blocking;
    /// run it off Swift's cooperative threads.
    public func read() throws -> GitSnapshot {
        try checkTransport()
        try Libgit2.ready.get()
        let repository = cacheFolder.appendingPathComponent(Self.cacheName(for: url))
        // The cache may hold private repositories: only this user may read it.
        try FileManager.default.createDirectory(at: cacheFolder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(cacheFolder.path, 0o700)
        let lock = try CacheLock(path: repository.path + ".lock")
        defer { lock.release() }
        let (handle, movedTags) = try openOrClone(repository)
        defer { git_repository_free(handle) }
        return try snapshot(handle, movedTags: movedTags)
    }

    /// Refuses a remote whose transport anyone on the network path can read and change (`http://`,
    /// `git://` to another host) unless the operator allowed it and signatures are checked.
    func checkTransport() throws {
        guard let endpoint = RemoteEndpoint(url), ["http", "git"].contains(endpoint.scheme), !endpoint.isLoopback else { return }
        guard allowsInsecureTransport else {
            throw GitSourceError.insecureTransport(
                url: redactedURL(url),
                reason: "anyone on the network path can read and change what is fetched; use https:// or ssh://, "
                    + "or pass --allow-insecure-source with --allowed-signers or --gpg-keyring so that what is read is still verified")
        }
        guard trust != nil else {
            throw GitSourceError.insecureTransport(
                url: redactedURL(url),
                reason: "--allow-insecure-source needs signatures checked (--allowed-signers or --gpg-keyring): "
                    + "without them nothing tells a changed revision from a true one")
        }
    }

    /// One cache folder per remote, named by a digest of its redacted URL.
    static func cacheName(for url: String) -> String {
        SHA256.hash(data: Data(redactedURL(url).utf8)).prefix(12).map { String(format: "%02x", $0) }.joined() + ".git"
    }

    // MARK: - Cache

    private static let completeMarker = "roomkeeper-complete"

    /// The cache, fetched; and the tags the remote moved since they were first fetched (which the
    /// cache keeps where they were).
    private func openOrClone(_ folder: URL) throws -> (OpaquePointer, [String: MovedTag]) {
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent(Self.completeMarker).path) {
            var handle: OpaquePointer?
            if git_repository_open_bare(&handle, folder.path) == 0, let handle {
                do {
                    let before = tags(handle)
                    try fetch(into: handle)
                    return (handle, try keepMovedTags(handle, before: before))
                } catch let error as GitSourceError {
                    git_repository_free(handle)
                    guard case .other = error else { throw error }
                    // A cache the fetch cannot update (damaged objects or refs) is rebuilt below.
                }
            }
        }
        try? FileManager.default.removeItem(at: folder)
        let scratch = folder.deletingLastPathComponent().appendingPathComponent(".\(folder.lastPathComponent).partial-\(getpid())")
        try? FileManager.default.removeItem(at: scratch)
        var handle: OpaquePointer?
        try Libgit2.check(git_repository_init(&handle, scratch.path, 1), "cannot create the cache at \(scratch.path)")
        guard let created = handle else { throw GitSourceError.other("cannot create the cache at \(scratch.path)") }
        do {
            try fetch(into: created)
        } catch {
            git_repository_free(created)
            try? FileManager.default.removeItem(at: scratch)
            throw error
        }
        git_repository_free(created)
        try Data().write(to: scratch.appendingPathComponent(Self.completeMarker))
        try FileManager.default.moveItem(at: scratch, to: folder)
        var reopened: OpaquePointer?
        try Libgit2.check(git_repository_open_bare(&reopened, folder.path), "cannot open the cache at \(folder.path)")
        guard let reopened else { throw GitSourceError.other("cannot open the cache at \(folder.path)") }
        return (reopened, [:])
    }

    /// Verifies what `trust.mode` asks for; the signers, tag first.
    private func verify(
        _ commit: OpaquePointer, tag: (name: String, target: git_oid)?, repository: OpaquePointer, trust: SignatureTrust
    ) throws -> [VerifiedSigner] {
        let verifier = SignatureVerifier(trust: trust)
        var signers: [VerifiedSigner] = []
        if trust.mode != .head {
            guard let tag else {
                throw GitSourceError.unverified(
                    UnverifiedRevision(
                        object: "ref '\(ref)'", problem: "is not a tag, but --verify-mode \(trust.mode.rawValue) verifies a tag's signature"))
            }
            do {
                signers.append(try verifier.verifyTag(repository, tag.target, name: tag.name))
            } catch let unverified as UnverifiedRevision {
                throw GitSourceError.unverified(unverified)
            }
        }
        if trust.mode != .tag {
            do {
                signers.append(try verifier.verifyCommit(repository, git_commit_id(commit).pointee))
            } catch let unverified as UnverifiedRevision {
                throw GitSourceError.unverified(unverified)
            }
        }
        return signers
    }

    /// A tag the remote now points elsewhere: `from` is where it pointed when first fetched.
    struct MovedTag {
        var from: String
        var to: String
    }

    /// Every tag in the cache and the object it points to.
    private func tags(_ repository: OpaquePointer) -> [String: git_oid] {
        var names = git_strarray()
        guard git_reference_list(&names, repository) == 0 else { return [:] }
        defer { git_strarray_dispose(&names) }
        var tags: [String: git_oid] = [:]
        for index in 0..<names.count {
            guard let raw = names.strings[index] else { continue }
            let name = String(cString: raw)
            guard name.hasPrefix("refs/tags/") else { continue }
            var oid = git_oid()
            if git_reference_name_to_id(&oid, repository, name) == 0 { tags[name] = oid }
        }
        return tags
    }

    /// Puts back every tag the fetch moved, so a moved tag is never silently followed; returns
    /// them by name. (A fetch forces tags, or a deleted and re-created tag would never update.)
    private func keepMovedTags(_ repository: OpaquePointer, before: [String: git_oid]) throws -> [String: MovedTag] {
        var moved: [String: MovedTag] = [:]
        for (name, now) in tags(repository) {
            guard var first = before[name] else { continue }
            var current = now
            guard git_oid_equal(&first, &current) == 0 else { continue }
            moved[name] = MovedTag(from: String(cString: git_oid_tostr_s(&first)), to: String(cString: git_oid_tostr_s(&current)))
            var reference: OpaquePointer?
            try Libgit2.check(
                git_reference_create(&reference, repository, name, &first, 1, "roomkeeper: keep the tag where it was first fetched"),
                "cannot keep tag \(name)")
            git_reference_free(reference)
        }
        return moved
    }

    /// The refspecs that fetch what `ref` can name and nothing else: a branch to
    /// `refs/remotes/origin/`, a tag to `refs/tags/`, a bare name as either (so that one that is
    /// both is still refused as ambiguous). A commit id may be on any branch: every branch, no tags.
    var refspecs: [String] {
        if Self.isCommitId(ref) { return ["+refs/heads/*:refs/remotes/origin/*"] }
        if ref.hasPrefix("refs/heads/") { return ["+\(ref):refs/remotes/origin/\(ref.dropFirst("refs/heads/".count))"] }
        if ref.hasPrefix("refs/") { return ["+\(ref):\(ref)"] }
        return ["+refs/heads/\(ref):refs/remotes/origin/\(ref)", "+refs/tags/\(ref):refs/tags/\(ref)"]
    }

    /// Fetches what `ref` names (`refspecs`), bounded in bytes, pruning what the remote deleted.
    private func fetch(into repository: OpaquePointer) throws {
        var remote: OpaquePointer?
        try Libgit2.check(git_remote_create_anonymous(&remote, repository, url), "'\(redactedURL(url))' is not a git URL")
        defer { git_remote_free(remote) }
        let proxy =
            ProcessInfo.processInfo.environment["https_proxy"] ?? ProcessInfo.processInfo.environment["HTTPS_PROXY"]
            ?? ProcessInfo.processInfo.environment["http_proxy"] ?? ProcessInfo.processInfo.environment["HTTP_PROXY"]
        let peers = [RemoteEndpoint(url), proxy.flatMap(RemoteEndpoint.init)].compactMap { $0 }.compactMap { endpoint in
            endpoint.port.map { (host: endpoint.host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: $0) }
        }
        let watchdog = FetchWatchdog(timeouts: timeouts, peers: peers)
        watchdog.start()
        defer { watchdog.finish() }
        let session = FetchSession(credentials: credentials, url: url, watchdog: watchdog)
        var options = git_fetch_options()
        git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION))
        session.install(into: &options.callbacks)
        options.prune = GIT_FETCH_PRUNE
        // Only the refspecs' own tags: following every tag would fetch the whole history.
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE
        let code: Int32 = withExtendedLifetime(session) {
            proxy.withOptionalCString { proxyURL in
                if let proxyURL {
                    options.proxy_opts.type = GIT_PROXY_SPECIFIED
                    options.proxy_opts.url = proxyURL
                }
                return withStrarray(refspecs) { refspecs in
                    git_remote_fetch(remote, &refspecs, &options, "roomkeeper fetch")
                }
            }
        }
        guard code < 0 else { return }
        if let reason = watchdog.timedOut {
            throw GitSourceError.timedOut(
                url: redactedURL(url), reason: reason + "; the fetch was stopped (raise --source-timeout if the server is just slow)")
        }
        if session.exceededBytes {
            throw GitSourceError.other(
                "fetching \(redactedURL(url)) brought more than \(timeouts.maximumBytes >> 20) MiB, more than a manifest repository needs; "
                    + "the fetch was stopped. Point --source at a smaller repository, or read the manifests from a folder")
        }
        if let problem = session.hostKeyProblem { throw problem }
        if let withheld = session.credentialsWithheld { throw withheld }
        if session.authenticationFailed { throw GitSourceError.authentication(url: redactedURL(url)) }
        let message = Libgit2.lastError()
        switch Libgit2.lastErrorClass() {
        case GIT_ERROR_NET, GIT_ERROR_SSH, GIT_ERROR_SSL, GIT_ERROR_HTTP, GIT_ERROR_OS:
            if message.contains("401") || message.lowercased().contains("authentication") {
                throw GitSourceError.authentication(url: redactedURL(url))
            }
            throw GitSourceError.unreachable(url: redactedURL(url), reason: message)
        default:
            if message.contains("not found") || message.contains("does not appear") || message.contains("could not find repository") {
                throw GitSourceError.unreachable(url: redactedURL(url), reason: message)
            }
            throw GitSourceError.other("fetching \(redactedURL(url)) failed: \(message)")
        }
    }

    // MARK: - Reading a commit

    private func snapshot(_ repository: OpaquePointer, movedTags: [String: MovedTag]) throws -> GitSnapshot {
        let (commit, tag) = try resolve(repository, movedTags: movedTags)
        defer { git_commit_free(commit) }
        let id = String(cString: git_oid_tostr_s(git_commit_id(commit)))
        let signers = try trust.map { try verify(commit, tag: tag, repository: repository, trust: $0) } ?? []
        if trust != nil, let lastVerified, lastVerified != id, acceptedRewrite != id, !descends(commit, from: lastVerified, in: repository) {
            throw GitSourceError.rewrittenHistory(ref: ref, commit: id, lastVerified: lastVerified)
        }
        var root: OpaquePointer?
        try Libgit2.check(git_commit_tree(&root, commit), "cannot read the tree of commit \(id)")
        defer { git_tree_free(root) }
        var tree = root
        var subtree: OpaquePointer?
        defer { if subtree != nil { git_tree_free(subtree) } }
        if !path.isEmpty {
            var entry: OpaquePointer?
            guard git_tree_entry_bypath(&entry, root, path) == 0, let entry else { throw GitSourceError.pathNotFound(path: path, commit: id) }
            defer { git_tree_entry_free(entry) }
            guard git_tree_entry_type(entry) == GIT_OBJECT_TREE,
                git_tree_lookup(&subtree, repository, git_tree_entry_id(entry)) == 0
            else { throw GitSourceError.pathNotFound(path: path, commit: id) }
            tree = subtree
        }
        var reading = TreeReading()
        try collect(tree, prefix: "", depth: 0, repository: repository, into: &reading)
        let author = git_commit_author(commit).pointee
        return GitSnapshot(
            url: redactedURL(url), ref: ref, path: path, commit: id,
            subject: git_commit_summary(commit).map { String(cString: $0) } ?? "",
            author: "\(author.name.map { String(cString: $0) } ?? "") <\(author.email.map { String(cString: $0) } ?? "")>",
            signers: signers, files: reading.files, oversized: reading.oversized)
    }

    /// Whether `commit` descends from the commit `ancestor` names; false when that commit is not
    /// in the cache at all (it cannot then be an ancestor).
    private func descends(_ commit: OpaquePointer, from ancestor: String, in repository: OpaquePointer) -> Bool {
        var base = git_oid()
        guard git_oid_fromstr(&base, ancestor) == 0 else { return false }
        return git_graph_descendant_of(repository, git_commit_id(commit), &base) == 1
    }

    /// The commit `ref` names: a full commit id, a branch (as fetched), a tag, or a full ref name
    /// (`refs/heads/X`, `refs/tags/X`). A bare name that is both a branch and a tag is refused, and
    /// so is a tag the remote moved.
    ///
    /// Returns the commit (to free with `git_commit_free`) and, when `ref` names a tag, the tag's
    /// name and the object its ref points to (an annotated tag object, or the commit itself).
    private func resolve(
        _ repository: OpaquePointer, movedTags: [String: MovedTag]
    ) throws -> (commit: OpaquePointer, tag: (name: String, target: git_oid)?) {
        var object: OpaquePointer?
        if Self.isCommitId(ref) {
            var oid = git_oid()
            if git_oid_fromstr(&oid, ref) == 0, git_object_lookup(&object, repository, &oid, GIT_OBJECT_COMMIT) == 0, let object {
                return (object, nil)
            }
            throw GitSourceError.refNotFound(ref: ref, url: redactedURL(url), available: [])
        }
        let name: String
        if ref.hasPrefix("refs/heads/") {
            name = "refs/remotes/origin/" + ref.dropFirst("refs/heads/".count)
        } else if ref.hasPrefix("refs/") {
            name = ref
        } else {
            let found = ["refs/remotes/origin/\(ref)", "refs/tags/\(ref)"].filter { candidate in
                var reference: OpaquePointer?
                defer { git_reference_free(reference) }
                return git_reference_lookup(&reference, repository, candidate) == 0
            }
            guard found.count < 2 else { throw GitSourceError.ambiguousRef(ref: ref) }
            name = found.first ?? "refs/remotes/origin/\(ref)"
        }
        if let moved = movedTags[name] {
            throw GitSourceError.tagMoved(tag: String(name.dropFirst("refs/tags/".count)), from: moved.from, to: moved.to)
        }
        var reference: OpaquePointer?
        if git_reference_lookup(&reference, repository, name) == 0 {
            defer { git_reference_free(reference) }
            if git_reference_peel(&object, reference, GIT_OBJECT_COMMIT) == 0, let object {
                guard name.hasPrefix("refs/tags/"), let target = git_reference_target(reference) else { return (object, nil) }
                return (object, (String(name.dropFirst("refs/tags/".count)), target.pointee))
            }
        }
        throw GitSourceError.refNotFound(ref: ref, url: redactedURL(url), available: branches(repository))
    }

    private func branches(_ repository: OpaquePointer) -> [String] {
        var names = git_strarray()
        guard git_reference_list(&names, repository) == 0 else { return [] }
        defer { git_strarray_dispose(&names) }
        let prefix = "refs/remotes/origin/"
        return (0..<names.count).compactMap { names.strings[$0].map { String(cString: $0) } }
            .filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
    }

    /// The files read so far from one commit, within `RepositoryLimits`; each blob is read once
    /// however many paths name it.
    private struct TreeReading {
        var files: [String: [UInt8]] = [:]
        var oversized: Set<String> = []
        var blobs: [String: [UInt8]] = [:]
        var oversizedBlobs: Set<String> = []
        var totalBytes = 0

        mutating func add(_ path: String, size: Int) throws {
            totalBytes += size
            guard files.count < RepositoryLimits.maximumFiles, totalBytes <= RepositoryLimits.maximumTotalBytes else {
                throw GitSourceError.other(RepositoryLimits.exceeded("over \(files.count) files or \(totalBytes >> 20) MiB"))
            }
        }
    }

    /// Every `*.yaml` and `*.yml` blob below `tree`, skipping hidden entries and symbolic links,
    /// as `DirectoryTree` does on disk.
    private func collect(_ tree: OpaquePointer?, prefix: String, depth: Int, repository: OpaquePointer, into reading: inout TreeReading) throws {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index), let rawName = git_tree_entry_name(entry) else { continue }
            let name = String(cString: rawName)
            guard !name.hasPrefix(".") else { continue }
            let path = prefix.isEmpty ? name : "\(prefix)/\(name)"
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_TREE:
                guard depth < RepositoryLimits.maximumFolderDepth else {
                    throw GitSourceError.other(RepositoryLimits.exceeded("folders nested deeper than \(depth) ('\(path)')"))
                }
                var child: OpaquePointer?
                try Libgit2.check(git_tree_lookup(&child, repository, git_tree_entry_id(entry)), "cannot read folder \(path)")
                defer { git_tree_free(child) }
                try collect(child, prefix: path, depth: depth + 1, repository: repository, into: &reading)
            case GIT_OBJECT_BLOB
            where git_tree_entry_filemode(entry) != GIT_FILEMODE_LINK
                && (name.hasSuffix(".yaml") || name.hasSuffix(".yml")):
                let id = String(cString: git_oid_tostr_s(git_tree_entry_id(entry)))
                if reading.oversizedBlobs.contains(id) {
                    try reading.add(path, size: 0)
                    reading.oversized.insert(path)
                    reading.files[path] = []
                    continue
                }
                if let known = reading.blobs[id] {
                    try reading.add(path, size: known.count)
                    reading.files[path] = known
                    continue
                }
                var blob: OpaquePointer?
                try Libgit2.check(git_blob_lookup(&blob, repository, git_tree_entry_id(entry)), "cannot read \(path)")
                defer { git_blob_free(blob) }
                let size = Int(git_blob_rawsize(blob))
                if size > ManifestLoader.maximumFileSize {
                    try reading.add(path, size: 0)
                    reading.oversizedBlobs.insert(id)
                    reading.oversized.insert(path)
                    reading.files[path] = []
                    continue
                }
                try reading.add(path, size: size)
                let bytes = git_blob_rawcontent(blob).map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
                reading.blobs[id] = bytes
                reading.files[path] = bytes
            default:
                continue
            }
        }
    }
}

extension Optional where Wrapped == String {
    fileprivate func withOptionalCString<Result>(_ body: (UnsafePointer<CChar>?) -> Result) -> Result {
        switch self {
        case .some(let text): text.withCString { body($0) }
        case .none: body(nil)
        }
    }
}

/// An exclusive lock on a cache, held by this process until released (or until it exits).
struct CacheLock {
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw GitSourceError.other("cannot create the cache lock \(path)") }
        guard flock(descriptor, LOCK_EX) == 0 else {
            close(descriptor)
            throw GitSourceError.other("cannot lock the cache \(path)")
        }
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
