import Crypto
import Foundation
import Manifests
import TestSupport
import Testing

@testable import GitSource

/// The git source against real servers on loopback: `file://`, `git daemon` and smart HTTP.
@Suite("Reading manifests from git")
struct GitSourceTests {
    private static func group(_ name: String) -> String {
        """
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: \(name)}
        spec: {displayName: \(name), rooms: [room-1@contoso.com]}
        """
    }

    /// A fixture with repository `tenants`: manifests under `contoso/`, plus a README.
    private static func fixture() async throws -> (GitFixture, first: String) {
        let fixture = try GitFixture()
        try await fixture.create("tenants")
        let first = try await fixture.commit(
            "tenants", "Add London", files: ["contoso/london.yaml": group("london"), "README.md": "# Tenants", "contoso/.hidden/x.yaml": "bad: ["])
        return (fixture, first)
    }

    private static func source(
        _ url: String, ref: String = "main", path: String = "contoso", cache: URL, credentials: GitCredentials = GitCredentials()
    ) -> GitSource {
        GitSource(url: url, ref: ref, path: path, cacheFolder: cache, credentials: credentials)
    }

    private static func names(_ snapshot: GitSnapshot) -> [String] {
        ManifestLoader.load(from: snapshot).manifests.roomGroups.map(\.metadata.name.value).sorted()
    }

    @Test("file://: clones, reads the folder at the commit, and later fetches only what is new")
    func fileRemote() async throws {
        let (fixture, first) = try await Self.fixture()
        defer { fixture.remove() }
        let cache = fixture.root.appendingPathComponent("cache")
        let url = "file://" + fixture.exports.appendingPathComponent("tenants.git").path
        let snapshot = try Self.source(url, cache: cache).read()
        #expect(snapshot.commit == first)
        #expect(snapshot.subject == "Add London")
        #expect(snapshot.author == "Ada Admin <ada@contoso.com>")
        #expect(try snapshot.yamlFiles() == ["london.yaml"], "hidden folders and other files are left out")
        #expect(Self.names(snapshot) == ["london"])

        let caches = try FileManager.default.contentsOfDirectory(atPath: cache.path).filter { $0.hasSuffix(".git") }
        #expect(caches.count == 1)
        let sentinel = cache.appendingPathComponent(caches[0]).appendingPathComponent("sentinel")
        #expect(FileManager.default.createFile(atPath: sentinel.path, contents: Data()))
        #expect(
            !FileManager.default.fileExists(atPath: cache.appendingPathComponent(caches[0]).appendingPathComponent("index").path),
            "a bare cache, with no work tree")

        let second = try await fixture.commit("tenants", "Add Paris", files: ["contoso/paris.yaml": Self.group("paris")])
        let updated = try Self.source(url, cache: cache).read()
        #expect(updated.commit == second)
        #expect(Self.names(updated) == ["london", "paris"])
        #expect(FileManager.default.fileExists(atPath: sentinel.path), "the cache was fetched into, not cloned again")
        #expect(try Self.source(url, ref: first, cache: cache).read().commit == first, "a full commit id is a ref")
    }

    @Test("git daemon: branches, tags, force-pushes, and precise errors for missing refs, paths and hosts")
    func daemon() async throws {
        let (fixture, first) = try await Self.fixture()
        defer { fixture.remove() }
        try await fixture.git(["tag", "-a", "v1", "-m", "release 1"], in: fixture.work.appendingPathComponent("tenants"))
        try await fixture.commit("tenants", "Add Paris", files: ["contoso/paris.yaml": Self.group("paris")])
        let server = try await fixture.daemon()
        let cache = fixture.root.appendingPathComponent("cache")
        let url = "\(server.url)/tenants.git"

        #expect(Self.names(try Self.source(url, cache: cache).read()) == ["london", "paris"])
        let tagged = try Self.source(url, ref: "v1", cache: cache).read()
        #expect(tagged.commit == first, "an annotated tag peels to its commit")
        #expect(Self.names(tagged) == ["london"])

        // Rewrite main: a new root commit, force-pushed.
        let tree = fixture.work.appendingPathComponent("tenants")
        try await fixture.git(["checkout", "-q", "--orphan", "rewritten"], in: tree)
        try await fixture.git(["rm", "-q", "-r", "--cached", "."], in: tree)
        try FileManager.default.removeItem(at: tree.appendingPathComponent("contoso"))
        let rewritten = try await fixture.commit("tenants", "Start over", files: ["contoso/seattle.yaml": Self.group("seattle")], force: true)
        let afterForcePush = try Self.source(url, cache: cache).read()
        #expect(afterForcePush.commit == rewritten)
        #expect(Self.names(afterForcePush) == ["seattle"])

        #expect(throws: GitSourceError.refNotFound(ref: "release", url: url, available: ["main"])) {
            try Self.source(url, ref: "release", cache: cache).read()
        }
        #expect(throws: GitSourceError.pathNotFound(path: "fabrikam", commit: rewritten)) {
            try Self.source(url, path: "fabrikam", cache: cache).read()
        }
        await server.stop()
        do {
            _ = try Self.source("git://127.0.0.1:\(try freeLoopbackPort())/tenants.git", cache: cache).read()
            Issue.record("a closed port was read")
        } catch let error as GitSourceError {
            guard case .unreachable = error else {
                Issue.record("not unreachable: \(error)")
                return
            }
            #expect(error.description.hasPrefix("cannot reach git://127.0.0.1:"))
        }
    }

    @Test("Smart HTTP with a token: reads with the right one; the wrong one is an authentication error; no secret is kept or shown")
    func httpWithToken() async throws {
        let (fixture, first) = try await Self.fixture()
        defer { fixture.remove() }
        let token = "tok-\(UUID().uuidString)"
        let server = try await fixture.httpBackend(password: token)
        let cache = fixture.root.appendingPathComponent("cache")
        let url = "\(server.url)/tenants.git"

        let snapshot = try Self.source(url, cache: cache, credentials: GitCredentials(username: "git", password: token)).read()
        #expect(snapshot.commit == first)

        let wrongCache = fixture.root.appendingPathComponent("wrong-cache")
        #expect(throws: GitSourceError.authentication(url: url)) {
            try Self.source(url, cache: wrongCache, credentials: GitCredentials(username: "git", password: "wrong")).read()
        }
        #expect(throws: GitSourceError.authentication(url: url)) { try Self.source(url, cache: wrongCache).read() }

        // A token in the URL is used, but never shown or written to the cache.
        let inURL = "http://git:\(token)@\(url.dropFirst("http://".count))"
        let viaURL = try Self.source(inURL, cache: fixture.root.appendingPathComponent("url-cache")).read()
        #expect(viaURL.url == url)
        #expect(!viaURL.sourceDescription.contains(token))
        for folder in ["cache", "url-cache", "wrong-cache"] {
            let grep = try await runProcess(
                URL(fileURLWithPath: "/usr/bin/grep"), ["-r", "-l", token, fixture.root.appendingPathComponent(folder).path])
            #expect(grep.output.isEmpty, "the token is in \(grep.output)")
        }
        await server.stop()
    }

    @Test(
        "SSH: a key file and a known host key read; an unknown or changed host key and a refused client key are errors",
        .enabled(if: GitFixture.canServeSSH, "needs OpenSSH's sshd (openssh-server) and root"))
    func ssh() async throws {
        let (fixture, first) = try await Self.fixture()
        defer { fixture.remove() }
        let ssh = try await fixture.sshServer()
        let url = ssh.server.url + fixture.exports.appendingPathComponent("tenants.git").path
        let knownHosts = fixture.root.appendingPathComponent("known_hosts")
        try "[127.0.0.1]:\(ssh.port) \(ssh.hostKey)\n".write(to: knownHosts, atomically: true, encoding: .utf8)
        func read(key: String, knownHosts: URL, cache: String) throws -> GitSnapshot {
            try Self.source(
                url, cache: fixture.root.appendingPathComponent(cache),
                credentials: GitCredentials(sshKey: key, knownHosts: knownHosts.path)
            ).read()
        }
        #expect(try read(key: ssh.clientKey, knownHosts: knownHosts, cache: "cache").commit == first)

        let empty = fixture.root.appendingPathComponent("empty_known_hosts")
        try "".write(to: empty, atomically: true, encoding: .utf8)
        #expect(throws: GitSourceError.hostKey(host: "127.0.0.1", reason: "is not in \(empty.path)")) {
            try read(key: ssh.clientKey, knownHosts: empty, cache: "unknown")
        }
        let changed = fixture.root.appendingPathComponent("changed_known_hosts")
        let impostor = try String(contentsOfFile: ssh.strangerKey + ".pub", encoding: .utf8).split(separator: " ").prefix(2).joined(separator: " ")
        try "[127.0.0.1]:\(ssh.port) \(impostor)\n".write(to: changed, atomically: true, encoding: .utf8)
        #expect(throws: GitSourceError.hostKey(host: "127.0.0.1", reason: "differs from the one in \(changed.path) (changed, or an impostor)")) {
            try read(key: ssh.clientKey, knownHosts: changed, cache: "changed")
        }
        #expect(throws: GitSourceError.authentication(url: redactedURL(url))) {
            try read(key: ssh.strangerKey, knownHosts: knownHosts, cache: "stranger")
        }
        await ssh.stop()
    }

    @Test("A damaged cache is rebuilt, and concurrent readers of one cache all succeed")
    func damagedAndConcurrent() async throws {
        let (fixture, first) = try await Self.fixture()
        defer { fixture.remove() }
        let cache = fixture.root.appendingPathComponent("cache")
        let url = "file://" + fixture.exports.appendingPathComponent("tenants.git").path
        _ = try Self.source(url, cache: cache).read()
        let repository = try #require(try FileManager.default.contentsOfDirectory(atPath: cache.path).first { $0.hasSuffix(".git") })
        // Break it: no object database left.
        try FileManager.default.removeItem(at: cache.appendingPathComponent(repository).appendingPathComponent("objects"))
        #expect(try Self.source(url, cache: cache).read().commit == first)

        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    try await withCheckedThrowingContinuation { continuation in
                        DispatchQueue.global().async {
                            continuation.resume(with: Result { try Self.source(url, cache: cache).read().commit })
                        }
                    }
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: first, count: 4))
    }

    @Test("Credentials in URLs are removed before a URL is shown")
    func redaction() {
        #expect(redactedURL("https://user:secret@git.example.net/org/repo.git") == "https://git.example.net/org/repo.git")
        #expect(redactedURL("https://git.example.net/a@b") == "https://git.example.net/a@b")
        #expect(redactedURL("git@github.com:org/repo.git") == "git@github.com:org/repo.git")
    }
}

@Suite("SSH host keys against known_hosts")
struct KnownHostsTests {
    @Test("Plain and hashed entries are trusted; another key for a known host is a change; an unlisted host is unknown")
    func verdicts() throws {
        let folder = try temporaryFolder("roomkeeper-known-hosts")
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = Data((0..<51).map { UInt8($0) }).base64EncodedString()
        let other = Data((0..<51).map { UInt8(255 - $0) }).base64EncodedString()
        // A hashed entry as ssh-keygen -H writes it: |1|base64(salt)|base64(HMAC-SHA1(salt, host)).
        let salt = Data((0..<20).map { UInt8($0 * 3) })
        let hashed = HMAC<Insecure.SHA1>.authenticationCode(for: Data("git.internal".utf8), using: SymmetricKey(data: salt))
        let file = folder.appendingPathComponent("known_hosts")
        try """
        # comment
        git.example.net,192.0.2.10 ssh-ed25519 \(key)
        |1|\(salt.base64EncodedString())|\(Data(hashed).base64EncodedString()) ssh-ed25519 \(key)
        """.write(to: file, atomically: true, encoding: .utf8)
        let hosts = KnownHosts(path: file.path)
        #expect(hosts.verdict(host: "git.example.net", key: key) == .trusted)
        #expect(hosts.verdict(host: "192.0.2.10", key: key) == .trusted)
        #expect(hosts.verdict(host: "git.internal", key: key) == .trusted)
        #expect(hosts.verdict(host: "git.example.net", key: other) == .changed)
        #expect(hosts.verdict(host: "git.internal", key: other) == .changed)
        #expect(hosts.verdict(host: "elsewhere.net", key: key) == .unknown)
        #expect(hosts.verdict(host: "git.example.net", port: 2222, key: key) == .unknown, "another port is another entry")
        #expect(FetchSession.sshPort(of: "ssh://git@git.example.net:2222/org/repo.git") == 2222)
        #expect(FetchSession.sshPort(of: "git@git.example.net:org/repo.git") == 22)
        #expect(KnownHosts(path: folder.appendingPathComponent("missing").path).verdict(host: "git.example.net", key: key) == .unknown)
    }
}
