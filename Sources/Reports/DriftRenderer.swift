import Foundation
import PortalAPI
import Reconciler

/// Renders drift reports: for people on a terminal, for machines (versioned JSON), for pull
/// requests and chat (Markdown), and as one self-contained HTML page (`DriftRenderer.html`).
public struct DriftRenderer: Sendable {
    public var style: TerminalStyle

    public init(style: TerminalStyle) {
        self.style = style
    }

    /// The report as people read it on a terminal.
    public func text(_ report: DriftReport) -> String {
        let plan = PlanRenderer(style: style)
        var output = "Roomkeeper drift report for \(report.source.terminalSafe)"
        if let revision = report.sourceRevision { output += " at \(revision.terminalSafe)" }
        output += " against \(PortalEndpoint.phrase(report.portal.terminalSafe)), \(Self.timestamp(report.generatedAt))\n"
        output += PlanRenderer.signers(report.origin) + "\n"
        if report.notObservable != nil {
            output += "The portal has no API: only the tenant's directory and devices were compared with git.\n"
        } else if report.inSync {
            output += style.green("In sync.") + " The portal matches git.\n"
        }
        for item in report.items {
            output +=
                "  " + mark(item) + " " + style.bold(item.target.description.terminalSafe) + "  " + style.dim(item.state.rawValue)
                + "  [\(item.cause.rawValue)] since \(Self.timestamp(item.since))\n"
            output += "      " + item.explanation.terminalSafe + "\n"
            if let location = item.location { output += "      " + style.dim("declared at \(location.terminalSafe)") + "\n" }
            for change in item.changes {
                output += "      \(change.field.terminalSafe): " + plan.describe(change).terminalSafe + "\n"
            }
            output += remedies(item)
        }
        if !report.snoozed.isEmpty {
            output += "\n" + style.bold("Snoozed:") + "\n"
            for item in report.snoozed {
                output +=
                    "  \(item.target.description.terminalSafe) \(item.state.rawValue) until \(item.snoozedUntil ?? "?"): "
                    + (item.snoozeReason ?? "").terminalSafe + "\n"
            }
        }
        let pending = report.devices.filter { $0.status == .pending }
        let offline = report.devices.filter { $0.status == .offline }
        if !pending.isEmpty || !offline.isEmpty {
            output += "\n" + style.bold("Devices (not drift):") + "\n"
            for device in pending + offline {
                output +=
                    "  \(device.status.rawValue) \(device.target.description.terminalSafe) (\(device.serialNumber.terminalSafe) in "
                    + "\(device.room.terminalSafe)): \(device.message.terminalSafe)\n"
            }
        }
        if let unknown = report.notObservable, !unknown.isEmpty {
            output += "\n" + style.bold("Not observable (no portal API; neither in sync nor missing):") + "\n"
            for entry in unknown { output += "  \(entry.declared) \(entry.kind): \(entry.reason)\n" }
            if let left = report.checklistStepsLeft {
                output += "  \(left) checklist step\(left == 1 ? "" : "s") not yet confirmed by a person (roomkeeper plan lists them)\n"
            }
        }
        if !report.needsPerson.isEmpty {
            output += "\n" + style.bold("Needs a person:") + "\n"
            for finding in report.needsPerson { output += plan.finding(finding) }
        }
        if !report.notes.isEmpty {
            output += "\n" + style.bold("Notes:") + "\n"
            for finding in report.notes { output += plan.finding(finding) }
        }
        if !report.unmanaged.isEmpty {
            let byKind = Dictionary(grouping: report.unmanaged, by: \.kind).map { "\($0.value.count) \($0.key)" }.sorted()
            output += "\nNot managed by Roomkeeper: \(byKind.joined(separator: ", ")).\n"
        }
        output += "\n" + style.bold(Self.summary(report)) + "\n"
        return output
    }

    /// "Drift: 3 items (2 manual, 1 convergence); 1 snoozed; 2 devices pending." or "In sync."
    public static func summary(_ report: DriftReport) -> String {
        var parts: [String] = []
        if report.notObservable != nil {
            parts.append(report.needsPerson.isEmpty ? "Directory and devices match git" : "Directory and devices")
        } else if report.inSync {
            parts.append("In sync")
        } else {
            let causes = DriftItem.Cause.allCases.compactMap { cause -> String? in
                let count = report.items.filter { $0.cause == cause }.count
                return count == 0 ? nil : "\(count) \(cause.rawValue)"
            }
            parts.append("Drift: \(counted(report.items.count, "item")) (\(causes.joined(separator: ", ")))")
        }
        if !report.snoozed.isEmpty { parts.append("\(report.snoozed.count) snoozed") }
        let pending = report.devices.filter { $0.status == .pending }.count
        let offline = report.devices.filter { $0.status == .offline }.count
        if pending > 0 { parts.append("\(counted(pending, "device")) pending") }
        if offline > 0 { parts.append("\(counted(offline, "device")) offline") }
        if !report.needsPerson.isEmpty { parts.append("\(report.needsPerson.count) for a person") }
        if let unknown = report.notObservable, !unknown.isEmpty {
            parts.append("\(counted(unknown.map(\.declared).reduce(0, +), "object")) not observable")
        }
        return parts.joined(separator: "; ") + "."
    }

    /// The report as JSON: the `DriftReport` value, keys sorted.
    public static func json(_ report: DriftReport) throws -> String {
        try PrettyJSON.encode(report)
    }

    /// The report as GitHub-flavoured Markdown, every string from manifests or the portal escaped.
    public static func markdown(_ report: DriftReport) -> String {
        var output = "### Roomkeeper drift report\n\n"
        output += "Manifests `\(report.source.markdownCode)`"
        if let revision = report.sourceRevision { output += " (`\(revision.markdownCode)`)" }
        output += " against \(PortalEndpoint.phrase(report.portal.markdownEscaped)), \(timestamp(report.generatedAt)).\n\n"
        output += "**\(summary(report).markdownEscaped)**\n\n"
        if let unknown = report.notObservable, !unknown.isEmpty {
            output +=
                "Not observable without a portal API: "
                + unknown.map { "\($0.declared) \($0.kind.markdownEscaped)" }.joined(separator: ", ") + ".\n\n"
        }
        if !report.items.isEmpty {
            output += "| Object | State | Cause | Since | Changes (portal → git) |\n|---|---|---|---|---|\n"
            for item in report.items.prefix(PlanRenderer.markdownActionLimit) {
                let changes = item.changes.map { "\($0.field.markdownEscaped): \(PlanRenderer.markdownValue($0))" }
                let cell = ([item.explanation.markdownEscaped] + changes).joined(separator: "<br>")
                output +=
                    "| `\(item.target.description.markdownCode)` | \(item.state.rawValue) | \(item.cause.rawValue) | "
                    + "\(timestamp(item.since)) | \(cell) |\n"
            }
            if report.items.count > PlanRenderer.markdownActionLimit {
                output += "\n…and \(report.items.count - PlanRenderer.markdownActionLimit) more: run `roomkeeper drift` to see them all.\n"
            }
            output += "\n"
        }
        if !report.snoozed.isEmpty {
            output +=
                "Snoozed: "
                + report.snoozed.map {
                    "`\($0.target.description.markdownCode)` until \(($0.snoozedUntil ?? "").markdownEscaped)"
                }.joined(separator: ", ") + ".\n\n"
        }
        if !report.needsPerson.isEmpty {
            output += "<details><summary>Needs a person (\(report.needsPerson.count))</summary>\n\n"
            for finding in report.needsPerson {
                output += "- `\(finding.target.description.markdownCode)`: \(finding.message.markdownEscaped)<br>\(finding.remedy.markdownEscaped)\n"
            }
            output += "\n</details>\n"
        }
        return output
    }

    // MARK: - Shared

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    private func mark(_ item: DriftItem) -> String {
        switch item.state {
        case .missing: style.red("-")
        case .unexpected: style.yellow("+")
        case .changed: style.yellow("~")
        }
    }

    private func remedies(_ item: DriftItem) -> String {
        var output = ""
        let words = RemedyWords(item)
        if let revert = words.revert { output += "      revert: \(revert.terminalSafe)\n" }
        if let adopt = words.adopt { output += "      adopt:  \(adopt.terminalSafe)\n" }
        if let byHand = words.byHand { output += "      by hand: \(byHand.terminalSafe)\n" }
        if let snooze = words.snooze { output += "      snooze: add to spec.snooze in roomkeeper.yaml: \(snooze.terminalSafe)\n" }
        return output
    }
}
