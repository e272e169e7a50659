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
    public static func findings(declared: ManifestSet, directory: TenantDirectory, now: Date = Date()) -> [Finding] {
        plan(declared: declared, directory: directory, source: "manifests", now: now).findings
    }

    /// The plan against the directory alone: every portal-only object is an action (nothing of
    /// the portal is observable), and only the findings about the directory and the devices are
    /// kept (what the portal's own device view would say is unknown).
    public static func plan(declared: ManifestSet, directory: TenantDirectory, source: String, sourceRevision: String? = nil, now: Date = Date())
        -> Plan
    {
        plan(declared: declared, live: LiveState(directory: directory), source: source, sourceRevision: sourceRevision, now: now)
    }

    /// `plan`, against the live state made of the directory (`LiveState(directory:)`), which a
    /// caller that needs it again makes once.
    public static func plan(declared: ManifestSet, live: LiveState, source: String, sourceRevision: String? = nil, now: Date = Date()) -> Plan {
        var plan = Planner.plan(
            declared: declared, live: live, source: source, sourceRevision: sourceRevision, portal: "tenant's directory (the portal has no API)",
            now: now, id: "directory-check")
        plan.findings = plan.findings.filter { $0.code.map(Finding.Code.directoryChecks.contains) == true }
        return plan
    }
}

extension DirectoryLookups {
    /// Every room address the manifests name, and the serial numbers of the rooms' main units
    /// (the devices checked against Intune and Autopilot).
    public init(declared: ManifestSet) {
        var rooms: [String] = []
        for group in declared.roomGroups { rooms += group.rooms.lazy.map(\.value) }
        for assignment in declared.roleAssignments { rooms += assignment.scope.rooms.lazy.map(\.value) }
        for ring in declared.updateRings { rooms += ring.rooms.lazy.map(\.value) }
        rooms += declared.devices.lazy.map(\.room.value)
        self.init(rooms: rooms, serialNumbers: declared.devices.lazy.filter(\.isRoomUnit).map(\.serialNumber.value))
    }
}
