/// Strict checking of any YAML document against a `Shape`, for YAML files that are not
/// manifests (the emulator's tenant fixtures), with the same messages and positions.
public enum ShapeValidation {
    public static func check(_ node: YAMLNode, against shape: Shape) -> [Diagnostic] {
        var checker = ShapeChecker()
        checker.check(node, against: shape, path: { "" })
        return checker.diagnostics
    }
}
