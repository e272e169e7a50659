import Foundation
import Manifests
import TestSupport
import Testing

@Suite("The example repositories")
struct ExampleRepositoryTests {
    @Test("examples/contoso is a valid tenant of a few sites and about forty rooms")
    func contosoIsValid() throws {
        let result = ManifestLoader.load(from: DirectoryTree(root: examples("contoso")))
        #expect(compact(result.diagnostics) == "")
        let set = result.manifests
        #expect(set.roomGroups.count == 12)
        #expect(set.roles.count == 3)
        #expect(set.roleAssignments.count == 7)
        #expect(set.devices.count == 71)
        #expect(set.updateRings.count == 2)
        let rooms = Set(set.devices.map { $0.room.value })
        #expect(rooms.count == 40)
        #expect(set.policy.prune == [.roomGroup, .roleAssignment])
        #expect(set.policy.deletionGuard == DeletionGuard(maximumDeletes: 5, maximumDeletePercent: 20))
        #expect(set.policy.ignore == [IgnoreRule(kind: .roomGroup, fields: ["description"])])
    }

    /// Every diagnostic of `examples/invalid`, pinned: file, line, column, message, hint and notes.
    /// After a deliberate change in wording, regenerate the file with RECORD_DIAGNOSTICS=1 and review the diff.
    @Test("examples/invalid yields exactly the reviewed diagnostics, sorted by file and line")
    func invalidDiagnosticsArePinned() throws {
        let result = ManifestLoader.load(from: DirectoryTree(root: examples("invalid")))
        let actual = compact(result.diagnostics)
        let expectedFile = examples("invalid-diagnostics.txt")
        if ProcessInfo.processInfo.environment["RECORD_DIAGNOSTICS"] == "1" {
            try actual.write(to: expectedFile, atomically: true, encoding: .utf8)
            Issue.record("recorded \(expectedFile.path); review it and run again without RECORD_DIAGNOSTICS")
            return
        }
        let expected = try String(contentsOf: expectedFile, encoding: .utf8)
        #expect(actual == expected)
        #expect(result.diagnostics.allSatisfy { $0.severity == .error })
    }

    @Test("A broken repository declares nothing it could not check")
    func brokenDocumentsAreNotDecoded() {
        let result = ManifestLoader.load(from: DirectoryTree(root: examples("invalid")))
        let names = Set(result.manifests.all.map(\.metadata.name.value))
        #expect(!names.contains("wrong-types"))
        #expect(!names.contains("leaky"))
        #expect(!names.contains("norway"))
        #expect(names.contains("lon-3a"))
    }
}
