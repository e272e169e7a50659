import Manifests
import Reconciler

extension Diagnostic {
    /// A finding about a manifest as a compiler-style diagnostic at its file, line and column,
    /// with the finding's remedy as the hint; nil for a note (`info`), which is not a problem.
    public init?(_ finding: Finding) {
        let severity: Diagnostic.Severity
        switch finding.severity {
        case .error: severity = .error
        case .warning: severity = .warning
        case .info: return nil
        }
        self.init(severity, "\(finding.target): \(finding.message)", at: finding.location.flatMap(Self.location), hint: finding.remedy)
    }

    /// `path:line:column` back into its parts; the path may itself hold colons.
    private static func location(_ text: String) -> SourceLocation? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 3, let line = Int(parts[parts.count - 2]), let column = Int(parts[parts.count - 1]) else { return nil }
        return SourceLocation(file: parts.dropLast(2).joined(separator: ":"), line: line, column: column)
    }
}
