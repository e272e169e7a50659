import Foundation
import Manifests
import PortalAPI

/// Checks manifests against the tenant's directory alone, with no portal: that every member
/// exists, is enabled and is named without ambiguity, that groups are security groups, that
/// rooms are room mailboxes, that room lists exist and selectors select something, and that
/// the rooms of custom rings hold a Teams Rooms Pro licence.
///
/// The same resolution the planner does (so `validate` and `plan` can never disagree), against
/// a live state built from the directory, keeping only the findings about the directory.
public enum DirectoryCheck {
    public static func findings(declared: ManifestSet, directory: TenantDirectory) -> [Finding] {
        let plan = Planner.plan(
            declared: declared, live: LiveState(directory: directory), source: "manifests", portal: "directory",
            now: Date(timeIntervalSince1970: 0), id: "directory-check")
        return plan.findings.filter { $0.code.map(Finding.Code.directoryChecks.contains) == true }
    }
}
