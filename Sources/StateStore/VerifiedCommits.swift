import Crypto
import Foundation
import GitSource
import PortalAPI

/// The last commit whose signatures were verified, per git remote and ref, kept in the state
/// folder (`verified/`): a verified revision must descend from it, so that someone who can push
/// but not sign cannot put an older signed commit back as the tip (a rollback). A ref that is a
/// full commit id is pinned, not moved, and has no record.
public struct VerifiedCommits: Sendable {
    public let folder: URL

    /// `folder`: the state folder's `verifiedCommits`.
    public init(folder: URL) {
        self.folder = folder
    }

    private struct Record: Codable {
        var url: String
        var ref: String
        var commit: String
        var verifiedAt: Date
    }

    /// The commit verified last for `url` (redacted) at `ref`; nil when none was recorded.
    public func last(url: String, ref: String) -> String? {
        guard let data = try? FileHandle.readBounded(path: file(url: url, ref: ref).path, limit: 64 << 10) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let record = try? decoder.decode(Record.self, from: data), GitSource.isCommitId(record.commit)
        else { return nil }
        return record.commit
    }

    /// Records `commit` as the last verified one for `url` at `ref`.
    public func record(url: String, ref: String, commit: String, at date: Date = Date()) throws {
        guard !GitSource.isCommitId(ref) else { return }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try PrivateFiles.write(try encoder.encode(Record(url: url, ref: ref, commit: commit, verifiedAt: date)), to: file(url: url, ref: ref))
    }

    private func file(url: String, ref: String) -> URL {
        let key = SHA256.hash(data: Data("\(redactedURL(url))\n\(ref)".utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
        return folder.appendingPathComponent("\(key).json")
    }
}
