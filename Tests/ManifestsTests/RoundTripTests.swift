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
            let group = Manifest.roomGroup(
                RoomGroup(
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

@Suite("Rewriting one document of a file")
struct DocumentRewriteTests {
    private static let file = """
        # Header comment
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: first}
        spec: {displayName: First}

        ---
        # Second
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: second}
        spec: {displayName: Second}
        --- # third
        kind: RoomGroup
        metadata: {name: third}
        ...
        """

    @Test("Only the document holding the line changes; separators, opening comments and the rest stay byte for byte")
    func replaces() {
        let first = DocumentRewrite.replacingDocument(in: Self.file, containing: 4, with: "kind: RoomGroup\nmetadata: {name: first}\n")
        #expect(
            first
                == Self.file.replacingOccurrences(
                    of: "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: first}\nspec: {displayName: First}\n",
                    with: "kind: RoomGroup\nmetadata: {name: first}\n"))
        let second = DocumentRewrite.replacingDocument(in: Self.file, containing: 11, with: "kind: X\n")
        #expect(second.contains("---\n# Second\nkind: X\n--- # third"))
        #expect(second.hasPrefix("# Header comment\napiVersion"))
        let third = DocumentRewrite.replacingDocument(in: Self.file, containing: 15, with: "kind: Y")
        #expect(third.hasSuffix("--- # third\nkind: Y\n..."))
    }
}
