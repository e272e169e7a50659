import Foundation
import Manifests
import TestSupport
import Testing

/// Whatever a file or a folder holds, loading it costs bounded time and memory.
@Suite("Bounded loading")
struct BoundedLoadingTests {
    @Test("A 200 KB file of nested flow sequences is rejected at the depth limit, without scanning the rest", arguments: ["[", "{a: "])
    func deepFlow(_ opener: String) throws {
        let text = String(repeating: opener, count: 200_000 / opener.count)
        let started = ContinuousClock.now
        let result = YAMLParser.parse(SourceText(path: "deep.yaml", bytes: Array(text.utf8)))
        let elapsed = ContinuousClock.now - started
        #expect(result.diagnostics.map(\.message) == ["nesting is deeper than 64 levels"])
        #expect(result.diagnostics.first?.location?.line == 1)
        // libyaml alone takes about a minute on this file; stopping at the limit takes milliseconds.
        // The bound is generous so that a busy machine does not fail it.
        #expect(elapsed < .seconds(10), "took \(elapsed)")
    }

    @Test("Symbolic links, to files or to folders outside, are neither listed nor followed; hidden folders are skipped")
    func linksAreNotFollowed() throws {
        let folder = try temporaryFolder("roomkeeper-links")
        let outside = try temporaryFolder("roomkeeper-outside")
        defer {
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: outside)
        }
        try Data("kind: Secret\n".utf8).write(to: outside.appendingPathComponent("secret.yaml"))
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("site/.hidden"), withIntermediateDirectories: true)
        try Data("a: 1\n".utf8).write(to: folder.appendingPathComponent("site/real.yaml"))
        try Data("a: 1\n".utf8).write(to: folder.appendingPathComponent("site/.hidden/skipped.yaml"))
        try FileManager.default.createSymbolicLink(
            at: folder.appendingPathComponent("linked.yaml"), withDestinationURL: outside.appendingPathComponent("secret.yaml"))
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("elsewhere"), withDestinationURL: outside)
        let tree = DirectoryTree(root: folder)
        #expect(try tree.yamlFiles() == ["site/real.yaml"])
        #expect(throws: (any Error).self) { _ = try tree.contents(of: "linked.yaml") }
        #expect(try tree.contents(of: "site/real.yaml") == Array("a: 1\n".utf8))
    }

    @Test("A folder whose files add up past the limit is refused before any is parsed")
    func manyLinksToOneFile() throws {
        let folder = try temporaryFolder("roomkeeper-bounded")
        defer { try? FileManager.default.removeItem(at: folder) }
        let original = folder.appendingPathComponent("big.yaml")
        try Data(("# " + String(repeating: "x", count: 1 << 20) + "\n").utf8).write(to: original)
        for index in 0..<80 {
            try FileManager.default.linkItem(at: original, to: folder.appendingPathComponent("copy-\(index).yaml"))
        }
        let result = ManifestLoader.load(from: DirectoryTree(root: folder))
        #expect(result.fileCount == 0)
        #expect(result.diagnostics.contains { $0.message.contains("Roomkeeper reads at most 20000 files and 64 MiB") }, "\(result.diagnostics)")
    }
}

@Suite("Pro Manager assignments")
struct ProManagerScopeTests {
    @Test("A scoped Teams Rooms Pro Manager assignment is an error at its scope, as the portal's wizard has no scope step")
    func scoped() throws {
        let text = """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: lobby}
            spec: {displayName: Lobby, rooms: [conf-lon-3a@contoso.com]}
            ---
            apiVersion: roomkeeper/v1
            kind: RoleAssignment
            metadata: {name: managers}
            spec:
              role: builtin:teams-rooms-pro-manager
              displayName: Managers
              members: [{user: megan.bowen@contoso.com}]
              scope: {roomGroups: [lobby]}
            """
        let result = ManifestLoader.load(from: MemoryTree(files: ["access.yaml": Array(text.utf8)]))
        let errors = result.diagnostics.filter { $0.severity == .error }
        #expect(errors.map(\.message) == ["a Teams Rooms Pro Manager assignment applies to all rooms and room groups; it cannot be scoped"])
        #expect(errors.first?.location?.description == "access.yaml:13:24")
        #expect(errors.first?.hint == "set scope: {allRooms: true}, or give these rooms a custom role or builtin:site-lead instead")
    }
}
