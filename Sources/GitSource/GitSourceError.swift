/// Why a git source could not be read, in words that say what to do. Never contains a credential.
public enum GitSourceError: Error, Equatable, CustomStringConvertible {
    case unreachable(url: String, reason: String)
    case authentication(url: String)
    case hostKey(host: String, reason: String)
    case refNotFound(ref: String, url: String, available: [String])
    case pathNotFound(path: String, commit: String)
    case other(String)

    public var description: String {
        switch self {
        case .unreachable(let url, let reason):
            "cannot reach \(url): \(reason)"
        case .authentication(let url):
            "authentication to \(url) failed: check ROOMKEEPER_GIT_TOKEN (or ROOMKEEPER_GIT_USERNAME and ROOMKEEPER_GIT_PASSWORD), "
                + "or the SSH key in ROOMKEEPER_GIT_SSH_KEY"
        case .hostKey(let host, let reason):
            "the SSH host key of \(host) \(reason); Roomkeeper never accepts an unknown or changed key: add the host's key to "
                + "the known_hosts file (ROOMKEEPER_GIT_KNOWN_HOSTS, else ~/.ssh/known_hosts) after checking it"
        case .refNotFound(let ref, let url, let available):
            "ref '\(ref)' is not a branch, tag or commit of \(url)"
                + (available.isEmpty ? "" : "; branches: \(available.prefix(10).joined(separator: ", "))")
        case .pathNotFound(let path, let commit):
            "'\(path)' is not a folder in commit \(commit.prefix(12))"
        case .other(let message):
            message
        }
    }
}
