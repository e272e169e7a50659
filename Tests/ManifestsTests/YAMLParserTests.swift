import TestSupport
import Testing

@testable import Manifests

@Suite("YAML parsing on libyaml")
struct YAMLParserTests {
    private func parse(_ text: String) -> (YAMLTree, [Diagnostic]) {
        YAMLParser.parse(SourceText(path: "f.yaml", bytes: Array(text.utf8)))
    }

    @Test("Every node keeps its 1-based line and column, across documents")
    func positions() throws {
        let (tree, diagnostics) = parse("a: 1\n---\nlist:\n  - x\n  - {k: v}\n---\n")
        #expect(diagnostics.isEmpty)
        let documents = tree.documents
        #expect(documents.count == 2)  // the empty third document is dropped
        let list = try #require(documents[1]["list"])
        #expect(list.location == SourceLocation(file: "f.yaml", line: 4, column: 3))
        #expect(list.elements[0].text == "x")
        let flow = list.elements[1]
        #expect(flow.kind == .mapping)
        #expect(flow.location == SourceLocation(file: "f.yaml", line: 5, column: 5))
        #expect(flow["k"]?.location == SourceLocation(file: "f.yaml", line: 5, column: 9))
    }

    @Test("Columns count characters, not bytes")
    func unicodeColumns() {
        let (tree, _) = parse("name: Zürich\nnext: [会議室, x]\n")
        #expect(tree.documents.first?["next"]?.elements[1].location.column == 13)
    }

    @Test("Aliases share their anchor's node; an undefined or recursive alias is an error")
    func aliases() throws {
        let (tree, diagnostics) = parse("base: &rooms [a@x.com, b@x.com]\nother: *rooms\n")
        #expect(diagnostics.isEmpty)
        let document = try #require(tree.documents.first)
        #expect(document["other"]?.elements.map(\.text) == ["a@x.com", "b@x.com"])
        #expect(parse("a: *missing\n").1.map(\.message) == ["alias '*missing' refers to no anchor defined before it"])
        #expect(parse("a: &self [*self]\n").1.map(\.message) == ["alias '*self' refers to a node that contains it"])
    }

    @Test("A billion-laughs document is refused after a bounded amount of work")
    func aliasBomb() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...30 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let (tree, diagnostics) = parse(text)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.message == "aliases expand this file beyond 10000 nodes")
        #expect(tree.documents.isEmpty)
    }

    @Test("Nesting deeper than the limit is an error, not a stack overflow")
    func depthLimit() {
        let text = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let (_, diagnostics) = parse(text)
        #expect(diagnostics.map(\.message) == ["nesting is deeper than 64 levels"])
        #expect(diagnostics.first?.location?.column == 65)
    }

    @Test("!!str makes any scalar a string; other tags are refused")
    func tags() {
        let (tree, diagnostics) = parse("a: !!str yes\n")
        #expect(diagnostics.isEmpty)
        #expect(tree.documents.first?["a"]?.isPlainScalar == false)
        #expect(parse("a: !secret x\n").1.map(\.message) == ["tag '!secret' is not supported"])
        #expect(parse("a: !!binary eA==\n").1.map(\.message) == ["tag '!!binary' is not supported"])
    }

    @Test("Duplicate keys point at the second and note the first, in large mappings too")
    func duplicateKeys() {
        let small = parse("a: 1\nb: 2\na: 3\n").1
        #expect(small.map(\.message) == ["duplicate key 'a'"])
        #expect(small.first?.location?.line == 3)
        #expect(small.first?.notes.first?.location.line == 1)
        let large = (0..<40).map { "k\($0): v" }.joined(separator: "\n") + "\nk7: again\n"
        let diagnostics = parse(large).1
        #expect(diagnostics.map(\.message) == ["duplicate key 'k7'"])
        #expect(diagnostics.first?.notes.first?.location.line == 8)
    }

    @Test("A syntax error ends the file but keeps the documents before it")
    func syntaxErrorKeepsEarlierDocuments() {
        let (tree, diagnostics) = parse("a: 1\n---\nb: [unclosed\n")
        #expect(tree.documents.count == 1)
        #expect(diagnostics.count == 1)
        #expect(diagnostics.first?.message.hasPrefix("YAML syntax error:") == true)
    }
}

@Suite("Loading files")
struct FileLoadingTests {
    @Test("A file over the size limit is refused before it is parsed")
    func sizeLimit() {
        let bytes = [UInt8](repeating: UInt8(ascii: "#"), count: ManifestLoader.maximumFileSize + 1)
        let outcome = ManifestLoader.loadFile(SourceText(path: "huge.yaml", bytes: bytes))
        #expect(outcome.diagnostics.map(\.message) == ["the file is 16 MiB; the limit is 16 MiB per file"])
    }

    @Test("UTF-16 files are refused with a hint to save them as UTF-8")
    func utf16() {
        let outcome = ManifestLoader.loadFile(SourceText(path: "wide.yaml", bytes: [0xFF, 0xFE, 0x61, 0x00]))
        #expect(outcome.diagnostics.map(\.message) == ["the file is encoded as UTF-16 or UTF-32"])
        #expect(outcome.diagnostics.first?.hint == "save it as UTF-8")
    }

    @Test("An empty repository loads with a warning, not an error")
    func emptyRepository() {
        let result = ManifestLoader.load(from: MemoryTree(files: [:]))
        #expect(result.diagnostics.map(\.severity) == [.warning])
        #expect(!result.diagnostics.hasErrors)
    }

    @Test("The result does not depend on the number of threads")
    func workersAgree() {
        let tree = DirectoryTree(root: examples("invalid"))
        let one = ManifestLoader.load(from: tree, workers: 1)
        let four = ManifestLoader.load(from: tree, workers: 4)
        #expect(compact(one.diagnostics) == compact(four.diagnostics))
        #expect(one.manifests == four.manifests)
    }
}
