import Foundation
import TestSupport
import Testing

@testable import GitSource

/// Signed commits and tags against trust files kept outside the repository, verified by the
/// system's ssh-keygen and gpgv.
@Suite("Commit signatures")
struct SignatureTests {
    private static let group =
        "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: lobby}\nspec: {displayName: Lobby, rooms: [room-1@contoso.com]}\n"

    private static func refusal(_ read: () throws -> GitSnapshot) -> UnverifiedRevision? {
        do {
            _ = try read()
            return nil
        } catch GitSourceError.unverified(let unverified) {
            return unverified
        } catch {
            Issue.record("not an unverified revision: \(error)")
            return nil
        }
    }

    @Test("Trusted SSH and OpenPGP signatures pass and name the signer; unsigned, unknown, tampered and expired ones are refused")
    func commits() async throws {
        let keys = try await SigningKeys.make()
        defer { keys.remove() }
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        let url = "file://" + fixture.exports.appendingPathComponent("tenants.git").path
        let cache = fixture.root.appendingPathComponent("cache")
        let trust = SignatureTrust(allowedSigners: keys.allowedSigners.path, gpgKeyring: keys.keyring.path)
        func read() throws -> GitSnapshot { try GitSource(url: url, ref: "main", cacheFolder: cache, trust: trust).read() }

        let alice = try await fixture.signedCommit("tenants", "Add the lobby", files: ["a.yaml": Self.group], signer: .ssh("alice"), keys: keys)
        let bySSH = try read()
        #expect(bySSH.commit == alice)
        let sshSigner = try #require(bySSH.signers.first)
        #expect(sshSigner.method == .ssh && sshSigner.identity == "alice@contoso.com" && sshSigner.fingerprint.hasPrefix("SHA256:"))
        let spaced = sshSigner.fingerprint.contains(where: \.isWhitespace)
        #expect(!spaced, "no trailing newline: \(sshSigner.fingerprint.debugDescription)")
        #expect(sshSigner.description.hasPrefix("commit \(alice.prefix(12)) signed by alice@contoso.com (ssh key SHA256:"))

        let carol = try await fixture.signedCommit(
            "tenants", "Add B", files: ["b.yaml": Self.group.replacingOccurrences(of: "lobby", with: "b")],
            signer: .openpgp("carol@contoso.com"), keys: keys)
        let byPGP = try read()
        #expect(byPGP.commit == carol)
        #expect(byPGP.signers.first?.identity == "Carol <carol@contoso.com>")

        let tampered = try await fixture.tamperedCopyOfHead("tenants")
        #expect(Self.refusal(read)?.problem == "has a bad OpenPGP signature: it was changed after signing")
        _ = tampered

        let unsigned = try await fixture.signedCommit("tenants", "Unsigned", files: ["c.yaml": "# c\n"], signer: nil, keys: keys)
        let unsignedRefusal = try #require(Self.refusal(read))
        #expect(unsignedRefusal.object == "commit \(unsigned.prefix(12))" && unsignedRefusal.problem == "is not signed")
        #expect(unsignedRefusal.description.contains("Sign the commit with a trusted key (git commit -S)"))

        try await fixture.signedCommit("tenants", "By a stranger", files: ["d.yaml": "# d\n"], signer: .ssh("mallory"), keys: keys)
        let stranger = try #require(Self.refusal(read))
        #expect(stranger.problem.contains("is signed by an SSH key that \(keys.allowedSigners.path) does not trust now"))
        #expect(stranger.fingerprint?.hasPrefix("SHA256:") == true)
        let strangerSpaced = stranger.fingerprint?.contains(where: \.isWhitespace)
        #expect(strangerSpaced == false)

        try await fixture.signedCommit("tenants", "By an expired key", files: ["e.yaml": "# e\n"], signer: .ssh("bob"), keys: keys)
        #expect(Self.refusal(read)?.problem.contains("does not trust now") == true)

        try await fixture.signedCommit(
            "tenants", "By an expired OpenPGP key", files: ["f.yaml": "# f\n"],
            signer: .openpgpIn2020("dave@contoso.com"), keys: keys)
        #expect(Self.refusal(read)?.problem == "is signed by an expired OpenPGP key")

        // A tampered SSH-signed commit.
        try await fixture.signedCommit("tenants", "Add G", files: ["g.yaml": "# g\n"], signer: .ssh("alice"), keys: keys)
        _ = try await fixture.tamperedCopyOfHead("tenants")
        #expect(Self.refusal(read)?.problem.hasPrefix("has a bad SSH signature") == true)

        // Without trust configured, any revision reads as before.
        #expect(try GitSource(url: url, ref: "main", cacheFolder: cache).read().signers.isEmpty)
    }

    @Test("In tag mode the annotated tag's signature is verified; a lightweight or untrusted tag is refused")
    func tags() async throws {
        let keys = try await SigningKeys.make()
        defer { keys.remove() }
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        let commit = try await fixture.signedCommit("tenants", "Unsigned commit", files: ["a.yaml": Self.group], signer: nil, keys: keys)
        let tree = fixture.work.appendingPathComponent("tenants")
        try await fixture.git(keys.gitSettings(.ssh("alice")) + ["tag", "-s", "v1", "-m", "release 1"], in: tree)
        try await fixture.git(keys.gitSettings(.ssh("mallory")) + ["tag", "-s", "v2", "-m", "release 2"], in: tree)
        try await fixture.git(["tag", "v3"], in: tree)
        try await fixture.git(["push", "-q", "origin", "--tags"], in: tree)
        let url = "file://" + fixture.exports.appendingPathComponent("tenants.git").path
        let cache = fixture.root.appendingPathComponent("cache")
        func read(_ ref: String, _ mode: SignatureTrust.Mode) throws -> GitSnapshot {
            try GitSource(url: url, ref: ref, cacheFolder: cache, trust: SignatureTrust(allowedSigners: keys.allowedSigners.path, mode: mode)).read()
        }

        let tagged = try read("v1", .tag)
        #expect(tagged.commit == commit)
        #expect(tagged.signers.map(\.object) == ["tag v1"])
        #expect(Self.refusal { try read("v1", .tagAndHead) }?.problem == "is not signed", "the commit under the tag is unsigned")
        #expect(Self.refusal { try read("v1", .head) }?.object == "commit \(commit.prefix(12))")
        #expect(Self.refusal { try read("v2", .tag) }?.problem.contains("does not trust now") == true)
        #expect(Self.refusal { try read("v3", .tag) }?.problem.hasPrefix("is a lightweight tag") == true)
        #expect(Self.refusal { try read("main", .tag) }?.problem.contains("is not a tag") == true)
    }
}
