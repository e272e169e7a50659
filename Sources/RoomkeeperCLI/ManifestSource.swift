import ArgumentParser
import Engine
import Foundation
import GitSource
import Manifests
import PortalAPI
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

    @Option(help: "With --source: seconds the fetch may take in all; it is also stopped when the server sends nothing for a minute (or this long, if shorter).")
    var sourceTimeout = 600

    @Option(help: "With --source: reconcile only revisions signed by a key in this OpenSSH allowed_signers file (else ROOMKEEPER_ALLOWED_SIGNERS).")
    var allowedSigners: String?

    @Option(help: "With --source: reconcile only revisions signed by a key in this OpenPGP keyring (else ROOMKEEPER_GPG_KEYRING).")
    var gpgKeyring: String?

    @Option(help: "With --allowed-signers or --gpg-keyring: what must be signed: head (the commit), tag (the annotated tag the ref names) or tag-and-head.")
    var verifyMode: SignatureTrust.Mode = .head

    func validate() throws {
        if sourceTimeout < 1 { throw ValidationError("--source-timeout must be at least 1 second") }
        if gitURL == nil, allowedSigners != nil || gpgKeyring != nil {
            throw ValidationError("--allowed-signers and --gpg-keyring verify revisions read with --source")
        }
    }

    /// The signatures a revision must carry, from the flags or the environment; nil when none are
    /// configured. The files live outside the repository they protect.
    func trust(environment: [String: String] = ProcessInfo.processInfo.environment) -> SignatureTrust? {
        let allowedSigners = allowedSigners ?? environment["ROOMKEEPER_ALLOWED_SIGNERS"].flatMap { $0.isEmpty ? nil : $0 }
        let gpgKeyring = gpgKeyring ?? environment["ROOMKEEPER_GPG_KEYRING"].flatMap { $0.isEmpty ? nil : $0 }
        guard gitURL != nil, allowedSigners != nil || gpgKeyring != nil else { return nil }
        return SignatureTrust(allowedSigners: allowedSigners, gpgKeyring: gpgKeyring, mode: verifyMode)
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
        engine.prefetchReadCache(for: choice.endpointDescription)
        let snapshot = try await load(source.origin(folder: folder), options: source, style: style, consequence: consequence)
        return (snapshot, try await choice.open())
    }

    /// Loads the manifests at `origin`; on any error prints every diagnostic (or why the source
    /// could not be read) to standard error and exits 1, before a portal is opened.
    static func load(
        _ origin: SourceOrigin, options: SourceOptions, style: TerminalStyle, consequence: String
    ) async throws -> ManifestSnapshot {
        let snapshot: ManifestSnapshot
        do {
            snapshot = try await ManifestSnapshot.read(
                origin, cacheFolder: options.cacheFolder, timeouts: options.timeouts, trust: options.trust())
        } catch let error as GitSourceError {
            throw CommandFailure("\(error); \(consequence)")
        }
        if snapshot.hasErrors {
            let renderer = DiagnosticRenderer(style: style)
            FileHandle.standardError.write(Data(renderer.render(snapshot.load.diagnostics, sources: snapshot.load.sources).utf8))
            printError("\(snapshot.description): \(DiagnosticRenderer.count(snapshot.load.diagnostics)); \(consequence)")
            throw ExitCode.failure
        }
        return snapshot
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
