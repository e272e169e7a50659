/// Strict checking of any YAML document against a `Shape`, for YAML files that are not
/// manifests (the emulator's tenant fixtures), with the same messages and positions.
public enum ShapeValidation {
    /// The first document of a fixture file and every problem with it: YAML errors, an empty
    /// file, and what does not match `shape`.
    public static func fixture(_ source: SourceText, shape: ObjectShape) -> (document: YAMLNode?, diagnostics: [Diagnostic]) {
        let (tree, parseDiagnostics) = YAMLParser.parse(source)
        guard let document = tree.documents.first else {
            return (nil, parseDiagnostics + [.error("the fixture is empty", at: SourceLocation(file: source.path, line: 1, column: 1))])
        }
        return (document, parseDiagnostics + check(document, against: .object(shape)))
    }

    public static func check(_ node: YAMLNode, against shape: Shape) -> [Diagnostic] {
        ShapeChecker.diagnostics(for: node, against: shape)
    }
}

extension ShapeValidation {
    /// Whether `text` is a DNS label, as manifest and tenant names must be.
    public static func isDNSLabel(_ text: String) -> Bool { ShapeChecker.isDNSLabel(Array(text.utf8)) }
}
