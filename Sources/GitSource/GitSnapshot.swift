import Manifests

/// The manifests of one commit, read from git's object database into memory, with where they
/// came from: what every plan, apply and drift report records.
public struct GitSnapshot: ManifestFileTree {
    /// The remote, with any credentials removed.
    public var url: String
    public var ref: String
    public var path: String
    /// The full id of the resolved commit.
    public var commit: String
    public var subject: String
    /// `Name <email>` of the commit's author.
    public var author: String
    /// Who signed what was verified (the tag, then the commit); empty when no trust was configured.
    public var signers: [VerifiedSigner] = []
    let files: [String: [UInt8]]
    let oversized: Set<String>

    public func yamlFiles() throws -> [String] { files.keys.sorted() }

    public func contents(of path: String) throws -> [UInt8] {
        if oversized.contains(path) { throw GitSnapshotError.tooLarge(path) }
        return files[path] ?? []
    }

    /// `https://host/org/repo@main:tenants/contoso (1a2b3c4d5e6f: Add London floor 3)`.
    public var sourceDescription: String {
        "\(url)@\(ref)\(path.isEmpty ? "" : ":\(path)") (\(commit.prefix(12)): \(subject))"
    }
}

/// A file in the commit that Roomkeeper will not read.
public enum GitSnapshotError: Error, CustomStringConvertible {
    case tooLarge(String)

    public var description: String {
        switch self {
        case .tooLarge(let path): "'\(path)' is over the per-file limit of \(ManifestLoader.maximumFileSize) bytes"
        }
    }
}
