import CGit2
import Crypto
import Foundation

/// What libgit2's C callbacks need during one fetch, passed to them as the payload pointer.
final class FetchSession {
    let credentials: GitCredentials
    let url: String
    let watchdog: FetchWatchdog
    /// Credential attempts so far: libgit2 asks again after a rejection, so the second ask means failure.
    var credentialAttempts = 0
    var authenticationFailed = false
    var hostKeyProblem: GitSourceError?
    /// Why credentials were withheld: the server asked for them for another place, or over plain HTTP.
    var credentialsWithheld: GitSourceError?
    /// Set when the fetch brought more than `GitTimeouts.maximumBytes` and was stopped.
    var exceededBytes = false

    init(credentials: GitCredentials, url: String, watchdog: FetchWatchdog) {
        self.credentials = credentials
        self.url = url
        self.watchdog = watchdog
    }

    /// Called from every callback: records progress, and aborts the fetch once the watchdog cut it off.
    private func progressed() -> Int32 {
        guard watchdog.timedOut == nil else { return GIT_EUSER.rawValue }
        watchdog.progressed()
        return 0
    }

    /// Fills `callbacks` so libgit2 calls back into this session.
    func install(into callbacks: inout git_remote_callbacks) {
        callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        callbacks.sideband_progress = { _, _, payload in
            guard let payload else { return -1 }
            return Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue().progressed()
        }
        callbacks.transfer_progress = { stats, payload in
            guard let payload else { return -1 }
            let session = Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue()
            if let stats, stats.pointee.received_bytes > session.watchdog.maximumBytes {
                session.exceededBytes = true
                return GIT_EUSER.rawValue
            }
            return session.progressed()
        }
        callbacks.credentials = { out, url, usernameFromURL, allowedTypes, payload in
            guard let out, let payload else { return -1 }
            let session = Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue()
            guard session.progressed() == 0 else { return GIT_EUSER.rawValue }
            return session.credential(out, url.map { String(cString: $0) } ?? "", usernameFromURL.map { String(cString: $0) }, allowedTypes)
        }
        callbacks.certificate_check = { certificate, valid, host, payload in
            guard let certificate, let payload else { return -1 }
            let session = Unmanaged<FetchSession>.fromOpaque(payload).takeUnretainedValue()
            guard session.progressed() == 0 else { return GIT_EUSER.rawValue }
            return session.checkCertificate(certificate, valid: valid != 0, host: host.map { String(cString: $0) } ?? "")
        }
    }

    private func credential(
        _ out: UnsafeMutablePointer<UnsafeMutablePointer<git_credential>?>, _ askingURL: String, _ usernameFromURL: String?, _ allowed: UInt32
    ) -> Int32 {
        // Credentials go only to the remote the operator configured: a redirect to another host,
        // port or scheme gets none.
        guard let configured = RemoteEndpoint(url), let asking = RemoteEndpoint(askingURL), asking == configured else {
            credentialsWithheld = .credentialsWithheld(
                url: redactedURL(url), reason: "the server asked for them for \(RemoteEndpoint(askingURL)?.description ?? "another address")")
            return GIT_EUSER.rawValue
        }
        credentialAttempts += 1
        guard credentialAttempts == 1 else {
            authenticationFailed = true
            return GIT_EUSER.rawValue
        }
        let user = credentials.username ?? usernameFromURL ?? "git"
        if allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 {
            if let key = credentials.sshKey {
                return git_credential_ssh_key_new(out, usernameFromURL ?? user, nil, key, credentials.sshPassphrase)
            }
            if credentials.useAgent { return git_credential_ssh_key_from_agent(out, usernameFromURL ?? user) }
        }
        if allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT.rawValue != 0, let password = credentials.password {
            guard configured.scheme != "http" || configured.isLoopback else {
                credentialsWithheld = .credentialsWithheld(
                    url: redactedURL(url), reason: "a password or token is sent only over https:// (plain http:// only to this machine)")
                return GIT_EUSER.rawValue
            }
            return git_credential_userpass_plaintext_new(out, user, password)
        }
        authenticationFailed = true
        return GIT_EUSER.rawValue
    }

    private func checkCertificate(_ certificate: UnsafeMutablePointer<git_cert>, valid: Bool, host: String) -> Int32 {
        guard certificate.pointee.cert_type == GIT_CERT_HOSTKEY_LIBSSH2 else {
            // TLS: libgit2 has verified the chain against the system's CA bundle; keep its verdict.
            return GIT_PASSTHROUGH.rawValue
        }
        let hostKey = UnsafeMutableRawPointer(certificate).assumingMemoryBound(to: git_cert_hostkey.self).pointee
        guard hostKey.type.rawValue & GIT_CERT_SSH_RAW.rawValue != 0, let raw = hostKey.hostkey, hostKey.hostkey_len > 0 else {
            hostKeyProblem = .hostKey(host: host, reason: "was not given in full by the SSH library, so it cannot be checked")
            return GIT_EUSER.rawValue
        }
        let key = Data(bytes: raw, count: hostKey.hostkey_len).base64EncodedString()
        switch KnownHosts(path: credentials.knownHosts).verdict(host: host, port: Self.sshPort(of: url), key: key) {
        case .trusted: return 0
        case .unknown:
            hostKeyProblem = .hostKey(host: host, reason: "is not in \(credentials.knownHosts)")
        case .changed:
            hostKeyProblem = .hostKey(host: host, reason: "differs from the one in \(credentials.knownHosts) (changed, or an impostor)")
        }
        return GIT_EUSER.rawValue
    }
}

extension FetchSession {
    /// The port of an `ssh://host:port/...` URL; 22 otherwise (scp-style URLs have none).
    static func sshPort(of url: String) -> Int {
        guard url.hasPrefix("ssh://") else { return 22 }
        let authority = redactedURL(url).dropFirst("ssh://".count).prefix { $0 != "/" }
        guard let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]"), let port = Int(authority[authority.index(after: colon)...])
        else { return 22 }
        return port
    }
}

/// An OpenSSH known_hosts file: plain and hashed (`|1|salt|hash`) host names; a host on another
/// port than 22 is written `[host]:port`, as OpenSSH does.
struct KnownHosts {
    enum Verdict { case trusted, unknown, changed }

    let path: String

    func verdict(host bareHost: String, port: Int = 22, key: String) -> Verdict {
        let host = port == 22 ? bareHost : "[\(bareHost)]:\(port)"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return .unknown }
        var sawHost = false
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 3, !line.hasPrefix("#"), !line.hasPrefix("@") else { continue }
            guard fields[0].split(separator: ",").contains(where: { Self.matches(String($0), host: host) }) else { continue }
            sawHost = true
            if fields[2] == key { return .trusted }
        }
        return sawHost ? .changed : .unknown
    }

    private static func matches(_ pattern: String, host: String) -> Bool {
        if pattern.hasPrefix("|1|") {
            let parts = pattern.split(separator: "|")
            guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])) else { return false }
            let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(host.utf8), using: SymmetricKey(data: salt))
            return Data(mac).base64EncodedString() == parts[2]
        }
        return pattern == host
    }
}
