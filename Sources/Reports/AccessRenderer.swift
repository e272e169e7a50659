import PortalAPI
import Reconciler

/// The access report as people read it: a terminal listing, Markdown for an audit ticket, or JSON.
public enum AccessRenderer {
    public static func json(_ report: AccessReport) throws -> String { try PrettyJSON.encode(report) }

    /// One block per person: each way they get in, and what it lets them do where.
    public static func text(_ report: AccessReport, portal: String, style: TerminalStyle) -> String {
        var lines = [
            "Access to \(PortalEndpoint.phrase(portal.terminalSafe)): \(report.people.count) \(report.people.count == 1 ? "person" : "people")", "",
        ]
        for person in report.people {
            lines.append(style.bold("\(person.userPrincipalName.terminalSafe)") + " (\(person.displayName.terminalSafe))")
            for grant in person.grants {
                lines.append("  \(source(grant)): \(scope(grant))")
                lines.append("      " + grant.permissions.joined(separator: ", "))
            }
            lines.append("")
        }
        lines.append(remoteAccessNote(report))
        return lines.joined(separator: "\n") + "\n"
    }

    public static func markdown(_ report: AccessReport, portal: String) -> String {
        var lines = [
            "### Access to \(PortalEndpoint.phrase(portal.markdownEscaped))", "",
            "| Person | Through | Where | Permissions |", "|---|---|---|---|",
        ]
        for person in report.people {
            for grant in person.grants {
                lines.append(
                    "| \(person.userPrincipalName.markdownEscaped) | \(source(grant).markdownEscaped) | \(scope(grant).markdownEscaped) | "
                        + grant.permissions.map { "`\($0.markdownCode)`" }.joined(separator: " ") + " |")
            }
        }
        lines += ["", remoteAccessNote(report).markdownEscaped]
        return lines.joined(separator: "\n") + "\n"
    }

    private static func source(_ grant: AccessReport.Grant) -> String {
        if grant.source == .directoryRole { return "Entra role \(grant.name.terminalSafe), without a portal assignment" }
        let via = grant.viaGroup.map { " through group \($0.terminalSafe)" } ?? ""
        return "assignment '\(grant.name.terminalSafe)' (\(grant.role.terminalSafe))\(via)"
    }

    private static func scope(_ grant: AccessReport.Grant) -> String {
        if grant.allRooms { return "all rooms" }
        let groups = grant.roomGroups.isEmpty ? "" : " (room groups \(grant.roomGroups.map(\.terminalSafe).joined(separator: ", ")))"
        return "\(grant.roomCount) room\(grant.roomCount == 1 ? "" : "s")\(groups)"
    }

    private static func remoteAccessNote(_ report: AccessReport) -> String {
        switch report.remoteAccessEnabled {
        case true?: "Remote access is on for this tenant."
        case false?: "Remote access is off for this tenant: remoteAccess permissions are left out until it is turned on."
        case nil: "Whether remote access is on could not be read (it needs serviceSettings.view)."
        }
    }
}
