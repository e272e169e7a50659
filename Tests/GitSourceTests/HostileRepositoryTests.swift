import Foundation
import Manifests
import TestSupport
import Testing

@testable import GitSource

/// Repositories built to mislead or exhaust: ambiguous and moving refs, trees that name one large
/// blob many times, folders nested past reason.
@Suite("Hostile repositories")
struct HostileRepositoryTests {
    private static func group(_ name: String) -> String {
        "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: \(name)}\nspec: {displayName: \(name), rooms: [room-1@contoso.com]}\n"
    }

    @Test("A bare name that is both a branch and a tag is refused; refs/heads/ and refs/tags/ pick one")
    func ambiguousRefs() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        let tagged = try await fixture.commit("tenants", "One", files: ["a.yaml": Self.group("one")])
        let tree = fixture.work.appendingPathComponent("tenants")
        try await fixture.git(["tag", "release"], in: tree)
        try await fixture.git(["checkout", "-q", "-b", "release"], in: tree)
        let branch = try await fixture.commit("tenants", "Two", files: ["b.yaml": Self.group("two")])
        try await fixture.git(["push", "-q", "origin", "refs/heads/release:refs/heads/release", "refs/tags/release:refs/tags/release"], in: tree)
        let url = "file://" + fixture.exports.appendingPathComponent("tenants.git").path
        let cache = fixture.root.appendingPathComponent("cache")
        func read(_ ref: String) throws -> GitSnapshot { try GitSource(url: url, ref: ref, cacheFolder: cache).read() }

        #expect(throws: GitSourceError.ambiguousRef(ref: "release")) { try read("release") }
        #expect(try read("refs/tags/release").commit == tagged)
        #expect(try read("refs/heads/release").commit == branch)
        #expect(
            GitSourceError.ambiguousRef(ref: "release").description
                == "'release' is both a branch and a tag; write refs/heads/release or refs/tags/release")
    }

    @Test("A fetch takes only the configured ref, and stops past its byte limit")
    func fetchOnlyTheRef() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        try await fixture.commit("tenants", "One", files: ["a.yaml": Self.group("one")])
        let tree = fixture.work.appendingPathComponent("tenants")
        // A side branch and a tag holding 3 MiB that does not compress.
        try await fixture.git(["checkout", "-q", "-b", "bulk"], in: tree)
        var generator = SystemRandomNumberGenerator()
        try Data((0..<(3 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) })
            .write(to: tree.appendingPathComponent("bulk.bin"))
        try await fixture.git(["add", "bulk.bin"], in: tree)
        try await fixture.git(["commit", "-q", "-m", "Bulk"], in: tree)
        try await fixture.git(["tag", "bulk-1"], in: tree)
        try await fixture.git(["push", "-q", "origin", "bulk", "--tags"], in: tree)
        let blob = try await fixture.git(["rev-parse", "HEAD:bulk.bin"], in: tree)
        let daemon = try await fixture.daemon()
        defer { Task { await daemon.stop() } }
        let url = "\(daemon.url)/tenants.git"
        let cache = fixture.root.appendingPathComponent("cache")

        #expect(try GitSource(url: url, ref: "main", cacheFolder: cache).read().yamlFiles() == ["a.yaml"])
        let folder = try #require(try FileManager.default.contentsOfDirectory(atPath: cache.path).first { $0.hasSuffix(".git") })
        let refs = try await fixture.git(["for-each-ref", "--format=%(refname)"], in: cache.appendingPathComponent(folder))
        #expect(refs == "refs/remotes/origin/main", "no other branch, no tag: \(refs)")
        await #expect(throws: FixtureError.self, "the side branch's objects never came") {
            try await fixture.git(["cat-file", "-e", blob], in: cache.appendingPathComponent(folder))
        }

        let bounded = GitSource(url: url, ref: "bulk", cacheFolder: cache, timeouts: GitTimeouts(maximumBytes: 1 << 20))
        #expect {
            try bounded.read()
        } throws: { error in
            "\(error)".contains("brought more than 1 MiB, more than a manifest repository needs; the fetch was stopped")
        }
        let bulk = try await fixture.git(["rev-parse", "bulk"], in: tree)
        #expect(try GitSource(url: url, ref: "bulk", cacheFolder: cache).read().commit == bulk, "within the default limit")
    }

    @Test("Plain http:// and git:// to another host are refused before any connection, and allowed only with signatures checked")
    func insecureTransport() throws {
        let cache = try temporaryFolder("roomkeeper-insecure")
        defer { try? FileManager.default.removeItem(at: cache) }
        for url in ["http://git.example.net/tenants.git", "git://git.example.net/tenants.git", "HTTP://10.1.2.3/tenants.git"] {
            #expect {
                try GitSource(url: url, ref: "main", cacheFolder: cache).read()
            } throws: { error in
                "\(error)".contains("is not read over plain http:// or git://: anyone on the network path can read and change what is fetched")
            }
            var allowed = GitSource(url: url, ref: "main", cacheFolder: cache)
            allowed.allowsInsecureTransport = true
            #expect {
                try allowed.read()
            } throws: { error in
                "\(error)".contains("--allow-insecure-source needs signatures checked")
            }
        }
        var signed = GitSource(
            url: "git://git.example.net/tenants.git", ref: "main", cacheFolder: cache, trust: SignatureTrust(allowedSigners: "/dev/null"))
        signed.allowsInsecureTransport = true
        #expect(throws: Never.self) { try signed.checkTransport() }
        #expect(throws: Never.self) { try GitSource(url: "http://127.0.0.1:9/tenants.git", ref: "main", cacheFolder: cache).checkTransport() }
    }

    @Test("A tag the remote moved is reported every time, not silently followed")
    func movedTag() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        let first = try await fixture.commit("tenants", "One", files: ["a.yaml": Self.group("one")])
        let tree = fixture.work.appendingPathComponent("tenants")
        try await fixture.git(["tag", "v1"], in: tree)
        try await fixture.git(["push", "-q", "origin", "v1"], in: tree)
        let url = "file://" + fixture.exports.appendingPathComponent("tenants.git").path
        let cache = fixture.root.appendingPathComponent("cache")
        #expect(try GitSource(url: url, ref: "v1", cacheFolder: cache).read().commit == first)

        let second = try await fixture.commit("tenants", "Two", files: ["b.yaml": Self.group("two")])
        try await fixture.git(["tag", "-f", "v1"], in: tree)
        try await fixture.git(["push", "-q", "-f", "origin", "v1"], in: tree)
        for _ in 0..<2 {
            #expect(throws: GitSourceError.tagMoved(tag: "v1", from: first, to: second)) {
                try GitSource(url: url, ref: "v1", cacheFolder: cache).read()
            }
        }
        #expect(try GitSource(url: url, ref: second, cacheFolder: cache).read().commit == second, "the commit itself can still be named")
        #expect(try GitSource(url: url, ref: "main", cacheFolder: cache).read().commit == second, "a branch is unaffected")
    }

    @Test("A tree naming one blob a hundred times is refused by its total size, each blob read once")
    func repeatedBlob() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        let tree = fixture.work.appendingPathComponent("tenants")
        try await fixture.commit("tenants", "Base", files: ["a.yaml": Self.group("one")])
        // One 1 MiB blob, entered a hundred times under different names: 100 MiB to a careless reader.
        let big = tree.appendingPathComponent("big.yaml")
        try Data(("# " + String(repeating: "x", count: 1 << 20) + "\n").utf8).write(to: big)
        let blob = try await fixture.git(["hash-object", "-w", big.path], in: tree)
        try FileManager.default.removeItem(at: big)
        for index in 0..<100 {
            try await fixture.git(["update-index", "--add", "--cacheinfo", "100644,\(blob),copy-\(index).yaml"], in: tree)
        }
        try await fixture.git(["commit", "-q", "-m", "Many names, one blob"], in: tree)
        try await fixture.git(["push", "-q", "origin", "HEAD:main"], in: tree)
        let url = "file://" + fixture.exports.appendingPathComponent("tenants.git").path
        do {
            _ = try GitSource(url: url, ref: "main", cacheFolder: fixture.root.appendingPathComponent("cache")).read()
            Issue.record("a 100 MiB tree was read")
        } catch let error as GitSourceError {
            #expect(error.description.contains("Roomkeeper reads at most 20000 files and 64 MiB, in folders at most 32 deep"), "\(error)")
        }
    }

    @Test("Folders nested past the limit are refused in git and on disk")
    func deepFolders() async throws {
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        let deep = (0..<40).map { "d\($0)" }.joined(separator: "/") + "/a.yaml"
        try await fixture.commit("tenants", "Deep", files: [deep: Self.group("deep")])
        let url = "file://" + fixture.exports.appendingPathComponent("tenants.git").path
        #expect(throws: GitSourceError.self) {
            try GitSource(url: url, ref: "main", cacheFolder: fixture.root.appendingPathComponent("cache")).read()
        }
        let onDisk = ManifestLoader.load(from: DirectoryTree(root: fixture.work.appendingPathComponent("tenants")))
        #expect(onDisk.diagnostics.contains { $0.message.contains("folders nested deeper than 32") }, "\(onDisk.diagnostics)")
    }

    @Test("Credentials go to the configured scheme, host and port only; plain http only on loopback")
    func endpoints() {
        #expect(RemoteEndpoint("https://git.example.net/rooms.git") == RemoteEndpoint("https://GIT.example.net:443/other.git"))
        #expect(RemoteEndpoint("https://git.example.net/rooms.git") != RemoteEndpoint("https://git.example.net:8443/rooms.git"))
        #expect(RemoteEndpoint("https://git.example.net/rooms.git") != RemoteEndpoint("http://git.example.net/rooms.git"))
        #expect(RemoteEndpoint("git@git.example.net:it/rooms.git") == RemoteEndpoint("ssh://git.example.net/it/rooms.git"))
        #expect(RemoteEndpoint("http://127.0.0.1:8080/r.git")?.isLoopback == true)
        #expect(RemoteEndpoint("http://git.example.net/r.git")?.isLoopback == false)
        #expect(RemoteEndpoint("http://127.0.0.1.evil.example/r.git")?.isLoopback == false)
    }
}

@Suite("Redaction of git messages")
struct GitRedactionTests {
    @Test("libgit2's messages lose the user information of every URL they quote")
    func messages() {
        let message = "failed to resolve path 'file://user:secret-99@/srv/x.git': No such file; see https://tok@git.example.net/y"
        let redacted = redactingURLs(in: message)
        #expect(redacted == "failed to resolve path 'file:///srv/x.git': No such file; see https://git.example.net/y")
    }
}
