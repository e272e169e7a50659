import ArgumentParser
import Engine
import Foundation
import GitSource
import Manifests
import PortalAPI
import Reconciler
import Reports
import StateStore

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
        guard let gitURL else { return .folder(folder) }
        return .git(GitOrigin(url: gitURL, ref: ref, path: path))
    }

    @Option(
        help:
            "With --source: seconds the fetch may take in all; it is also stopped when the server sends nothing for a minute (or this long, if shorter)."
    )
    var sourceTimeout = 600

    @Option(help: "With --source: reconcile only revisions signed by a key in this OpenSSH allowed_signers file (else ROOMKEEPER_ALLOWED_SIGNERS).")
    var allowedSigners: String?

    @Option(help: "With --source: reconcile only revisions signed by a key in this OpenPGP keyring (else ROOMKEEPER_GPG_KEYRING).")
    var gpgKeyring: String?

    @Option(
        help:
            "With --allowed-signers or --gpg-keyring: what must be signed: head (the commit), tag (the annotated tag the ref names) or tag-and-head.")
    var verifyMode: SignatureTrust.Mode = .head

    @Flag(help: "With --source and signatures checked: allow plain http:// or git:// to another host.")
    var allowInsecureSource = false

    @Option(
        help: ArgumentHelp(
            "With signatures checked: accept this commit (full id) although it does not descend from the last one verified for the ref.",
            valueName: "commit"))
    var acceptRewrittenHistory: String?

    /// How verified revisions are held to those verified before, in the state folder.
    var lineage: SourceLineage {
        SourceLineage(
            records: VerifiedCommits(folder: StateFolder.forThisMachine().verifiedCommits), acceptedRewrite: acceptRewrittenHistory?.lowercased())
    }

    func validate() throws {
        if sourceTimeout < 1 { throw ValidationError("--source-timeout must be at least 1 second") }
        if gitURL == nil, allowedSigners != nil || gpgKeyring != nil {
            throw ValidationError("--allowed-signers and --gpg-keyring verify revisions read with --source")
        }
        if let acceptRewrittenHistory, !GitSource.isCommitId(acceptRewrittenHistory) {
            throw ValidationError("--accept-rewritten-history takes the full 40-character id of the commit to accept")
        }
    }

    /// The signatures a revision must carry, from the flags or the environment; nil when none are
    /// configured. The files live outside the repository they protect.
    ///
    /// A setting that is given but blank is an error: it would silently turn verification off.
    /// Trust configured for a folder, which has no signatures, is refused where the portal may
    /// change (`forChanges`: apply, the controller) and warned about elsewhere.
    func trust(forChanges: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> SignatureTrust? {
        let allowedSigners = try Self.setting(allowedSigners, flag: "--allowed-signers", variable: "ROOMKEEPER_ALLOWED_SIGNERS", environment)
        let gpgKeyring = try Self.setting(gpgKeyring, flag: "--gpg-keyring", variable: "ROOMKEEPER_GPG_KEYRING", environment)
        guard let configured = allowedSigners.map({ "\($0.source) (\($0.value))" }) ?? gpgKeyring.map({ "\($0.source) (\($0.value))" }) else {
            return nil
        }
        guard gitURL != nil else {
            let problem = "\(configured) asks for signed revisions, but a folder has no signatures, so none can be checked"
            if forChanges { throw CommandFailure(problem + "; read the manifests with --source, or unset it. Nothing was changed") }
            printError("roomkeeper: warning: " + problem + "; the manifests are read unverified")
            return nil
        }
        return SignatureTrust(allowedSigners: allowedSigners?.value, gpgKeyring: gpgKeyring?.value, mode: verifyMode)
    }

    /// A trust file from its flag, else the environment; nil when neither is given.
    private static func setting(
        _ flag: String?, flag name: String, variable: String, _ environment: [String: String]
    ) throws -> (value: String, source: String)? {
        let given = flag.map { ($0, name) } ?? environment[variable].map { ($0, variable) }
        guard let (value, source) = given else { return nil }
        guard !value.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw CommandFailure("\(source) is set but empty, which would turn signature verification off; name the trust file, or leave it out")
        }
        return (value, source)
    }

    var cacheFolder: URL { gitCache.map { URL(fileURLWithPath: $0) } ?? GitSource.defaultCacheFolder() }

    var timeouts: GitTimeouts { GitTimeouts(overall: .seconds(max(1, sourceTimeout))) }
}

extension SignatureTrust.Mode: ExpressibleByArgument {}

/// Loads the manifests a command works from, or prints why it cannot and exits 1.
enum ManifestSource {
    /// How plan and drift begin: the portal must be configured (checked before any work), the
    /// manifests must load without errors, and only then is the portal opened. The last read of
    /// the portal loads from the state folder meanwhile: it touches nothing but local files.
    static func loadThenOpen(
        folder: String, source: SourceOptions, portal: PortalOptions, engine: Engine, style: TerminalStyle, consequence: String
    ) async throws -> (ManifestSnapshot, any Portal) {
        let choice = try portal.choice()
        engine.prefetchReadCache(for: .portal(endpoint: choice.endpointDescription))
        let snapshot = try await load(source.origin(folder: folder), options: source, style: style, consequence: consequence)
        return (snapshot, try await choice.open())
    }

    /// Loads the manifests at `origin`; on any error prints every diagnostic (or why the source
    /// could not be read) to standard error and exits 1, before a portal is opened.
    /// `forChanges`: the portal may change on what is loaded (see `SourceOptions.trust`).
    static func load(
        _ origin: SourceOrigin, options: SourceOptions, style: TerminalStyle, consequence: String, forChanges: Bool = false
    ) async throws -> ManifestSnapshot {
        let snapshot: ManifestSnapshot
        let trust = try options.trust(forChanges: forChanges)
        do {
            snapshot = try await ManifestSnapshot.read(
                origin, cacheFolder: options.cacheFolder, timeouts: options.timeouts, trust: trust, lineage: options.lineage,
                allowsInsecureTransport: options.allowInsecureSource)
        } catch let error as GitSourceError {
            throw CommandFailure("\(error); \(consequence)")
        }
        if snapshot.hasErrors {
            let renderer = DiagnosticRenderer(style: style)
            Console.current.err(renderer.render(snapshot.load.diagnostics, sources: snapshot.load.sources), terminator: "")
            printError("\(snapshot.description): \(DiagnosticRenderer.count(snapshot.load.diagnostics)); \(consequence)")
            throw ExitCode.failure
        }
        return snapshot
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    Console.current.err(text)
}
