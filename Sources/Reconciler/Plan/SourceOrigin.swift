import Foundation
import Manifests

/// Where manifests come from: a folder, or a git repository at a revision.
public enum SourceOrigin: Sendable, Equatable {
    case folder(String)
    case git(GitOrigin)

    /// The git origin, or nil for a folder.
    public var git: GitOrigin? {
        if case .git(let origin) = self { return origin }
        return nil
    }
}

/// A git repository, the ref and folder in it that hold the manifests, and, once read, the
/// revision read and who signed it.
public struct GitOrigin: Codable, Sendable, Equatable {
    /// The remote; as recorded in a plan or report, with its credentials removed.
    public var url: String
    public var ref: String
    /// The folder in the repository; empty for its root.
    public var path: String
    public var commit: String?
    public var subject: String?
    public var author: String?
    /// Who signed the revision, when signatures were verified: `commit 1a2b3c4d5e6f signed by
    /// alice@contoso.com (ssh key SHA256:...)`, the tag first under `--verify-mode tag-and-head`.
    public var verifiedSigners: [String]?

    public init(
        url: String, ref: String = "main", path: String = "", commit: String? = nil, subject: String? = nil, author: String? = nil,
        verifiedSigners: [String]? = nil
    ) {
        self.url = url
        self.ref = ref
        self.path = path
        self.commit = commit
        self.subject = subject
        self.author = author
        self.verifiedSigners = verifiedSigners
    }

    private enum Keys: String, CodingKey { case url, ref, path, commit, subject, author, verifiedSigners }

    /// An origin written without a ref or path (an older plan) means `main` at the root.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        self.init(
            url: try container.decode(String.self, forKey: .url), ref: try container.decodeIfPresent(String.self, forKey: .ref) ?? "main",
            path: try container.decodeIfPresent(String.self, forKey: .path) ?? "",
            commit: try container.decodeIfPresent(String.self, forKey: .commit),
            subject: try container.decodeIfPresent(String.self, forKey: .subject),
            author: try container.decodeIfPresent(String.self, forKey: .author),
            verifiedSigners: try container.decodeIfPresent([String].self, forKey: .verifiedSigners))
    }
}

/// Written as plans and reports have always written it: `{"folder": ...}`, or the git origin's
/// fields side by side.
extension SourceOrigin: Codable {
    private enum Keys: String, CodingKey { case folder, url }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Keys.self)
        if container.contains(.url) {
            self = .git(try GitOrigin(from: decoder))
        } else {
            self = .folder(try container.decodeIfPresent(String.self, forKey: .folder) ?? ".")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .folder(let folder):
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(folder, forKey: .folder)
        case .git(let origin): try origin.encode(to: encoder)
        }
    }
}
