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
        self.init(severity, "\(finding.target): \(finding.message)", at: finding.location, hint: finding.remedy)
    }
}
