import Foundation

/// Keys for signing commits in tests, made with the system's `ssh-keygen` and `gpg` in a
/// temporary folder, and the trust files a team would keep outside its repository:
/// - SSH: `alice` (trusted), `bob` (trusted until 2020, so expired now), `mallory` (unknown);
/// - OpenPGP: `carol@contoso.com` (trusted) and `dave@contoso.com` (trusted, but his key expired in 2020).
public final class SigningKeys: Sendable {
    public let folder: URL
    public var allowedSigners: URL { folder.appendingPathComponent("allowed_signers") }
    public var keyring: URL { folder.appendingPathComponent("trusted.gpg") }

    public enum Signer: Sendable {
        case ssh(String)
        case openpgp(String)
        /// An OpenPGP signature made with the clock set to 2020, while the key was still valid.
        case openpgpIn2020(String)
    }

    private init(folder: URL) {
        self.folder = folder
    }

    public static func make() async throws -> SigningKeys {
        let keys = SigningKeys(folder: try temporaryFolder("roomkeeper-keys"))
        let folder = keys.folder
        for name in ["alice", "bob", "mallory"] {
            try await keys.run("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", folder.appendingPathComponent(name).path])
        }
        func publicKey(_ name: String) throws -> String {
            try String(contentsOf: folder.appendingPathComponent("\(name).pub"), encoding: .utf8).split(separator: " ").prefix(2).joined(
                separator: " ")
        }
        try """
        alice@contoso.com namespaces="git" \(try publicKey("alice"))
        bob@contoso.com namespaces="git",valid-before="20200101" \(try publicKey("bob"))

        """.write(to: keys.allowedSigners, atomically: true, encoding: .utf8)

        let home = folder.appendingPathComponent("gnupg")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        for (program, faked) in [("gpg-now", ""), ("gpg-2020", " --faked-system-time 20200101T120000!")] {
            try writeExecutable(
                "#!/bin/sh\nexec /usr/bin/gpg --homedir '\(home.path)' --batch --pinentry-mode loopback --passphrase ''\(faked) \"$@\"\n",
                to: folder.appendingPathComponent(program))
        }
        try await keys.run(folder.appendingPathComponent("gpg-now").path, ["--quick-gen-key", "Carol <carol@contoso.com>", "ed25519", "sign", "1y"])
        try await keys.run(folder.appendingPathComponent("gpg-2020").path, ["--quick-gen-key", "Dave <dave@contoso.com>", "ed25519", "sign", "1d"])
        try await keys.run(
            "/bin/sh",
            ["-c", "'\(folder.appendingPathComponent("gpg-now").path)' --export carol@contoso.com dave@contoso.com > '\(keys.keyring.path)'"])
        return keys
    }

    public func remove() { try? FileManager.default.removeItem(at: folder) }

    /// Writes a script with a descriptor closed on exec: a server another test forks meanwhile
    /// must not inherit it open for writing, or running the script fails with "Text file busy".
    private static func writeExecutable(_ text: String, to url: URL) throws {
        let descriptor = open(url.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard descriptor >= 0 else { throw FixtureError("cannot create \(url.path)") }
        defer { close(descriptor) }
        let bytes = Array(text.utf8)
        guard bytes.withUnsafeBytes({ write(descriptor, $0.baseAddress, $0.count) }) == bytes.count else {
            throw FixtureError("cannot write \(url.path)")
        }
    }

    /// The `git -c` settings that make `git commit -S` or `git tag -s` sign as `signer`.
    public func gitSettings(_ signer: Signer) -> [String] {
        switch signer {
        case .ssh(let name):
            ["-c", "gpg.format=ssh", "-c", "user.signingkey=\(folder.appendingPathComponent(name).path)"]
        case .openpgp(let email):
            ["-c", "gpg.format=openpgp", "-c", "gpg.program=\(folder.appendingPathComponent("gpg-now").path)", "-c", "user.signingkey=\(email)"]
        case .openpgpIn2020(let email):
            ["-c", "gpg.format=openpgp", "-c", "gpg.program=\(folder.appendingPathComponent("gpg-2020").path)", "-c", "user.signingkey=\(email)"]
        }
    }

    private func run(_ program: String, _ arguments: [String]) async throws {
        let result = try await runProcess(URL(fileURLWithPath: program), arguments, environment: ProcessInfo.processInfo.environment)
        guard result.status == 0 else { throw FixtureError("\(program) \(arguments.joined(separator: " ")) failed: \(result.errors)") }
    }
}

extension GitFixture {
    /// Writes `files`, commits them signed by `signer` (unsigned when nil) and pushes; returns the commit id.
    @discardableResult
    public func signedCommit(_ name: String, _ message: String, files: [String: String], signer: SigningKeys.Signer?, keys: SigningKeys) async throws
        -> String
    {
        try await commit(name, message, files: files, signingSettings: signer.map(keys.gitSettings))
    }

    /// Force-pushes `commit` as the tip of main, as anyone with push rights (and no signing key)
    /// can: the rollback of a signed history to an older signed commit.
    public func resetMain(_ name: String, to commit: String) async throws {
        let tree = work.appendingPathComponent(name)
        try await git(["push", "-q", "-f", "origin", "\(commit):refs/heads/main"], in: tree)
        try await git(["reset", "-q", "--hard", commit], in: tree)
    }

    /// A copy of the last commit with its message changed but its signature kept, pushed as the
    /// new tip: what a tampered commit looks like. Returns its id.
    public func tamperedCopyOfHead(_ name: String) async throws -> String {
        let tree = work.appendingPathComponent(name)
        let original = try await git(["cat-file", "commit", "HEAD"], in: tree)
        let edited = root.appendingPathComponent("tampered-commit")
        // `git` output lost its last newline; the message gains a line the signer never saw.
        try (original + "\n\nAlso grant Pro Manager to mallory.\n").write(to: edited, atomically: true, encoding: .utf8)
        let id = try await git(["hash-object", "-t", "commit", "-w", edited.path], in: tree)
        try await git(["push", "-q", "-f", "origin", "\(id):refs/heads/main"], in: tree)
        try await git(["reset", "-q", "--soft", id], in: tree)
        return id
    }
}
