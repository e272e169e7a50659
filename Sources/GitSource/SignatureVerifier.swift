import CGit2
import Foundation

/// Checks the signature of a commit or an annotated tag: libgit2 separates the signature from the
/// signed bytes, and the system's own tools judge it (`ssh-keygen -Y` for SSH signatures, `gpgv`
/// for OpenPGP ones); Roomkeeper has no cryptography of its own here.
///
/// Nothing from the repository is ever passed to a tool as an option: signature and payload go
/// through files in a private temporary folder. Each tool gets `timeout` and inputs are bounded.
struct SignatureVerifier {
    let trust: SignatureTrust
    var timeout: TimeInterval = 10

    /// A signature larger than this is not a signature.
    static let maximumSignatureBytes = 64 << 10
    /// Commit and tag objects are small; a huge one is refused before any tool reads it.
    static let maximumPayloadBytes = 4 << 20

    // MARK: - What is signed

    func verifyCommit(_ repository: OpaquePointer, _ commit: git_oid) throws -> VerifiedSigner {
        var id = commit
        let object = "commit \(String(cString: git_oid_tostr_s(&id)).prefix(12))"
        var signature = git_buf()
        var signed = git_buf()
        defer {
            git_buf_dispose(&signature)
            git_buf_dispose(&signed)
        }
        let code = git_commit_extract_signature(&signature, &signed, repository, &id, nil)
        guard code == 0 else {
            if code == GIT_ENOTFOUND.rawValue { throw UnverifiedRevision(object: object, problem: "is not signed") }
            throw UnverifiedRevision(object: object, problem: "cannot be read for its signature: \(Libgit2.lastError())")
        }
        return try check(signature: Self.bytes(signature), payload: Self.bytes(signed), object: object)
    }

    /// An annotated tag's signature sits at the end of its message; what precedes it is what was signed.
    func verifyTag(_ repository: OpaquePointer, _ target: git_oid, name: String) throws -> VerifiedSigner {
        let object = "tag \(name)"
        var database: OpaquePointer?
        guard git_repository_odb(&database, repository) == 0 else { throw GitSourceError.other("cannot open the cache's objects") }
        defer { git_odb_free(database) }
        var id = target
        var raw: OpaquePointer?
        guard git_odb_read(&raw, database, &id) == 0, let raw else {
            throw UnverifiedRevision(object: object, problem: "cannot be read for its signature")
        }
        defer { git_odb_object_free(raw) }
        guard git_odb_object_type(raw) == GIT_OBJECT_TAG else {
            throw UnverifiedRevision(object: object, problem: "is a lightweight tag, which carries no signature; sign an annotated tag (git tag -s)")
        }
        let size = git_odb_object_size(raw)
        guard size <= Self.maximumPayloadBytes, let start = git_odb_object_data(raw) else {
            throw UnverifiedRevision(object: object, problem: "is larger than any tag Roomkeeper verifies")
        }
        let content = Data(bytes: start, count: size)
        let markers = ["\n-----BEGIN SSH SIGNATURE-----", "\n-----BEGIN PGP SIGNATURE-----"].map { Data($0.utf8) }
        guard let marker = markers.compactMap({ content.range(of: $0, options: .backwards) }).max(by: { $0.lowerBound < $1.lowerBound })
        else { throw UnverifiedRevision(object: object, problem: "is not signed") }
        let signatureStart = marker.lowerBound + 1
        return try check(signature: content[signatureStart...], payload: content[..<signatureStart], object: object)
    }

    private static func bytes(_ buffer: git_buf) -> Data {
        guard let pointer = buffer.ptr else { return Data() }
        return Data(bytes: pointer, count: buffer.size)
    }

    // MARK: - Judging it

    private func check(signature: Data, payload: Data, object: String) throws -> VerifiedSigner {
        guard signature.count <= Self.maximumSignatureBytes, payload.count <= Self.maximumPayloadBytes else {
            throw UnverifiedRevision(object: object, problem: "has a signature or content larger than Roomkeeper verifies")
        }
        let folder = try PrivateScratch()
        defer { folder.remove() }
        let signatureFile = try folder.write(signature, as: "signature")
        let payloadFile = try folder.write(payload, as: "payload")
        if signature.starts(with: Data("-----BEGIN SSH SIGNATURE-----".utf8)) {
            return try checkSSH(signature: signatureFile, payload: payloadFile, object: object)
        }
        if signature.starts(with: Data("-----BEGIN PGP SIGNATURE-----".utf8)) {
            return try checkOpenPGP(signature: signatureFile, payload: payloadFile, object: object, home: folder.url)
        }
        throw UnverifiedRevision(object: object, problem: "has a signature of a kind Roomkeeper does not verify (not SSH or OpenPGP)")
    }

    private func checkSSH(signature: URL, payload: URL, object: String) throws -> VerifiedSigner {
        // First the signature itself, whoever made it: this also names the key.
        let integrity = try run("/usr/bin/ssh-keygen", ["-Y", "check-novalidate", "-n", "git", "-s", signature.path], input: payload)
        guard integrity.status == 0 else {
            throw UnverifiedRevision(
                object: object, problem: "has a bad SSH signature: it was changed after signing, or the signature is damaged")
        }
        let fingerprint = integrity.output.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("SHA256:") }.map { String($0.prefix(60)) }
        guard let allowedSigners = trust.allowedSigners else {
            throw UnverifiedRevision(
                object: object, problem: "is signed with SSH, but no --allowed-signers file is configured", fingerprint: fingerprint)
        }
        let principals = try run("/usr/bin/ssh-keygen", ["-Y", "find-principals", "-f", allowedSigners, "-s", signature.path], input: nil)
        guard principals.status == 0, let principal = principals.output.split(separator: "\n").first.map(String.init), !principal.isEmpty else {
            throw UnverifiedRevision(
                object: object,
                problem: "is signed by an SSH key that \(allowedSigners) does not trust now (an unknown key, or one past its valid-before)",
                fingerprint: fingerprint)
        }
        let verdict = try run(
            "/usr/bin/ssh-keygen", ["-Y", "verify", "-f", allowedSigners, "-I", principal, "-n", "git", "-s", signature.path], input: payload)
        guard verdict.status == 0 else {
            throw UnverifiedRevision(
                object: object, problem: "is not accepted for \(principal) by ssh-keygen -Y verify with \(allowedSigners)", fingerprint: fingerprint)
        }
        return VerifiedSigner(method: .ssh, identity: principal, fingerprint: fingerprint ?? "unknown", object: object)
    }

    private func checkOpenPGP(signature: URL, payload: URL, object: String, home: URL) throws -> VerifiedSigner {
        guard let keyring = trust.gpgKeyring else {
            throw UnverifiedRevision(object: object, problem: "is signed with OpenPGP, but no --gpg-keyring is configured")
        }
        // gpgv takes a keyring without a slash as a name under its home: always give a path.
        let keyringPath = URL(fileURLWithPath: keyring).standardizedFileURL.path
        let result = try run(
            "/usr/bin/gpgv", ["--status-fd", "1", "--keyring", keyringPath, signature.path, payload.path], input: nil,
            environment: ["GNUPGHOME": home.path, "LC_ALL": "C"])
        let status = result.output.split(separator: "\n").filter { $0.hasPrefix("[GNUPG:] ") }.map { $0.split(separator: " ").map(String.init) }
        func line(_ keyword: String) -> [String]? { status.first { $0.count > 1 && $0[1] == keyword } }
        let keyId = (line("VALIDSIG")?.last ?? line("ERRSIG")?[safe: 2] ?? line("BADSIG")?[safe: 2] ?? line("EXPKEYSIG")?[safe: 2])
        if line("BADSIG") != nil {
            throw UnverifiedRevision(object: object, problem: "has a bad OpenPGP signature: it was changed after signing", fingerprint: keyId)
        }
        if line("EXPKEYSIG") != nil || line("EXPSIG") != nil {
            throw UnverifiedRevision(object: object, problem: "is signed by an expired OpenPGP key", fingerprint: keyId)
        }
        if line("REVKEYSIG") != nil {
            throw UnverifiedRevision(object: object, problem: "is signed by a revoked OpenPGP key", fingerprint: keyId)
        }
        guard result.status == 0, let valid = line("VALIDSIG"), let good = line("GOODSIG") else {
            throw UnverifiedRevision(object: object, problem: "is signed by an OpenPGP key that \(keyring) does not hold", fingerprint: keyId)
        }
        let identity = good.dropFirst(3).joined(separator: " ")
        return VerifiedSigner(
            method: .openpgp, identity: identity.isEmpty ? "unknown" : identity, fingerprint: valid.last ?? "unknown", object: object)
    }

    // MARK: - Running the tools

    /// Runs `tool` with `arguments` (never anything from the repository but file names Roomkeeper
    /// chose), standard input from `input`, and waits at most `timeout`.
    private func run(
        _ tool: String, _ arguments: [String], input: URL?, environment: [String: String] = ["LC_ALL": "C"]
    ) throws -> (status: Int32, output: String) {
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw GitSourceError.other("\(tool) is not installed; it is needed to verify signatures (Debian: openssh-client, gpgv)")
        }
        let scratch = try PrivateScratch()
        defer { scratch.remove() }
        let outputFile = try scratch.write(Data(), as: "output")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { first, _ in first }
        let output = try FileHandle(forWritingTo: outputFile)
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = try input.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw GitSourceError.other("\(tool) did not finish within \(Int(timeout)) s while verifying a signature")
        }
        process.waitUntilExit()
        let text = String(decoding: (try? Data(contentsOf: outputFile).prefix(64 << 10)) ?? Data(), as: UTF8.self)
        return (process.terminationStatus, text)
    }
}

/// A folder only this user can read, for handing files to a verification tool; removed after use.
private struct PrivateScratch {
    let url: URL

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/roomkeeper-verify-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw GitSourceError.other("cannot create a private temporary folder") }
        url = URL(fileURLWithPath: String(cString: made))
    }

    func write(_ data: Data, as name: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: file.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw GitSourceError.other("cannot write \(file.path)")
        }
        return file
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

extension Array {
    fileprivate subscript(safe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
