/// Why a git source could not be read, in words that say what to do. Never contains a credential.
public enum GitSourceError: Error, Equatable, CustomStringConvertible {
    case unreachable(url: String, reason: String)
    case authentication(url: String)
    case hostKey(host: String, reason: String)
    case refNotFound(ref: String, url: String, available: [String])
    case pathNotFound(path: String, commit: String)
    case credentialsWithheld(url: String, reason: String)
    case ambiguousRef(ref: String)
    case tagMoved(tag: String, from: String, to: String)
    case timedOut(url: String, reason: String)
    case unverified(UnverifiedRevision)
    /// A verified commit that does not descend from the one verified last for the same ref: the
    /// ref was reset or rewritten, which anyone who can push may do with old signed commits.
    case rewrittenHistory(ref: String, commit: String, lastVerified: String)
    /// Plain `http://` or `git://` to another host, not allowed as configured.
    case insecureTransport(url: String, reason: String)
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
        case .credentialsWithheld(let url, let reason):
            "Roomkeeper withheld the git credentials for \(url): \(reason)"
        case .ambiguousRef(let ref):
            "'\(ref)' is both a branch and a tag; write refs/heads/\(ref) or refs/tags/\(ref)"
        case .tagMoved(let tag, let from, let to):
            "tag '\(tag)' moved from \(from.prefix(12)) to \(to.prefix(12)) since Roomkeeper first fetched it; tags are expected never to move. "
                + "Check with the repository's owners, then name the commit (--ref \(to)) or remove the git cache to accept the move"
        case .timedOut(let url, let reason):
            "\(url) \(reason)"
        case .unverified(let unverified):
            unverified.description
        case .rewrittenHistory(let ref, let commit, let lastVerified):
            "ref '\(ref)' now points at commit \(commit.prefix(12)), which does not descend from commit \(lastVerified.prefix(12)), the last "
                + "one verified for it: the branch was reset or rewritten, and an older signed commit can undo what came after it. "
                + "If the repository's owners meant it, accept this commit once with --accept-rewritten-history \(commit)"
        case .insecureTransport(let url, let reason):
            "\(url) is not read over plain http:// or git://: \(reason)"
        case .other(let message):
            message
        }
    }
}
