import Manifests
import TestSupport
import Testing

@Suite("Writing manifests back as YAML")
struct RoundTripTests {
    private static let contoso = ManifestLoader.load(from: DirectoryTree(root: examples("contoso"))).manifests

    /// The tenant written back as one file per kind, and loaded again.
    private static func rewritten() throws -> LoadResult {
        var files: [String: [UInt8]] = [:]
        for kind in ManifestKind.allCases {
            let text = try YAMLWriter.write(contoso.all.filter { $0.kind == kind }.map(\.yamlValue))
            files["\(kind.collectionName).yaml"] = Array(text.utf8)
        }
        return ManifestLoader.load(from: MemoryTree(files: files))
    }

    @Test("Every kind of the example tenant reads back equal after writing", arguments: ManifestKind.allCases)
    func everyKindRoundTrips(kind: ManifestKind) throws {
        let original = Self.contoso.all.filter { $0.kind == kind }
        #expect(!original.isEmpty)
        let reread = try Self.rewritten()
        #expect(compact(reread.diagnostics) == "")
        #expect(reread.manifests.all.filter { $0.kind == kind } == original)
    }

    @Test("Strings that YAML would misread are quoted, and read back unchanged")
    func awkwardStrings() throws {
        let awkward = [
            "yes", "No", "on", "null", "~", "", "0123", "1e3", "0x1F", "1:30", "true", "- dash", "key: value",
            "# not a comment", "  leading spaces", "trailing ", "multi\nline", "Zürich 会議室", "quote \" and '", "*alias", "&anchor",
            "!tag", "@at", "`backtick", "%percent", "[brackets]", "{braces}",
        ]
        for text in awkward {
            let group = Manifest.roomGroup(RoomGroup(
                metadata: ManifestMetadata(name: Located("g"), labels: ["note": text]), displayName: "G \(awkward.count)",
                description: text, rooms: [Located("r@contoso.com")]))
            let yaml = try YAMLWriter.write([group.yamlValue])
            let reread = load(yaml)
            let description = reread.manifests.roomGroups.first?.description
            #expect(description == text, "\(text.debugDescription) came back as \(String(describing: description)) from:\n\(yaml)")
            #expect(reread.manifests.roomGroups.first?.metadata.labels["note"] == text)
        }
    }
}
