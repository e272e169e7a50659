import Foundation
import PortalAPI

/// What Roomkeeper may authenticate to a git server with, from the environment or files, never
/// from arguments (which land in shell history) or the repository.
///
/// - `ROOMKEEPER_GIT_TOKEN` (or the file named by `ROOMKEEPER_GIT_TOKEN_FILE`): an HTTPS token,
///   sent as the password of user `ROOMKEEPER_GIT_USERNAME` (default `git`).
/// - `ROOMKEEPER_GIT_USERNAME` and `ROOMKEEPER_GIT_PASSWORD`: HTTPS basic authentication.
/// - `ROOMKEEPER_GIT_SSH_KEY` (a private key file) with `ROOMKEEPER_GIT_SSH_PASSPHRASE`, else the
///   SSH agent at `SSH_AUTH_SOCK`; host keys are checked against `ROOMKEEPER_GIT_KNOWN_HOSTS`
///   (default `~/.ssh/known_hosts`).
public struct GitCredentials: Sendable {
    public var username: String?
    public var password: String?
    public var sshKey: String?
    public var sshPassphrase: String?
    public var useAgent: Bool
    public var knownHosts: String

    public init(
        username: String? = nil, password: String? = nil, sshKey: String? = nil, sshPassphrase: String? = nil,
        useAgent: Bool = false, knownHosts: String = "\(NSHomeDirectory())/.ssh/known_hosts"
    ) {
        self.username = username
        self.password = password
        self.sshKey = sshKey
        self.sshPassphrase = sshPassphrase
        self.useAgent = useAgent
        self.knownHosts = knownHosts
    }

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GitCredentials {
        var token = environment["ROOMKEEPER_GIT_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if token == nil, let file = environment["ROOMKEEPER_GIT_TOKEN_FILE"] {
            do {
                token = try SecretFile.read(file)
            } catch {
                throw GitSourceError.other("the git token file named by ROOMKEEPER_GIT_TOKEN_FILE: \(error)")
            }
        }
        if let key = environment["ROOMKEEPER_GIT_SSH_KEY"] {
            do {
                try SecretFile.checkPermissions(key)
            } catch {
                throw GitSourceError.other("the SSH key named by ROOMKEEPER_GIT_SSH_KEY: \(error)")
            }
        }
        return GitCredentials(
            username: environment["ROOMKEEPER_GIT_USERNAME"] ?? (token == nil ? nil : "git"),
            password: token ?? environment["ROOMKEEPER_GIT_PASSWORD"], sshKey: environment["ROOMKEEPER_GIT_SSH_KEY"],
            sshPassphrase: environment["ROOMKEEPER_GIT_SSH_PASSPHRASE"], useAgent: environment["SSH_AUTH_SOCK"] != nil,
            knownHosts: environment["ROOMKEEPER_GIT_KNOWN_HOSTS"] ?? "\(NSHomeDirectory())/.ssh/known_hosts")
    }
}

/// `text` with the user information of every URL in it removed.
func redactingURLs(in text: String) -> String {
    var result = ""
    var rest = Substring(text)
    while let schemeEnd = rest.range(of: "://") {
        result += rest[..<schemeEnd.upperBound]
        rest = rest[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == " " || $0 == "'" || $0 == "\"" } ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
    }
    return result + rest
}

/// A remote URL as it may be shown: any user information (`https://user:token@host/...`) removed.
public func redactedURL(_ url: String) -> String {
    guard let schemeEnd = url.range(of: "://") else { return url }
    let rest = url[schemeEnd.upperBound...]
    let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
    guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return url }
    return String(url[..<schemeEnd.upperBound]) + String(rest[rest.index(after: at)...])
}
