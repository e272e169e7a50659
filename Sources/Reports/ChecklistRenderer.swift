import Foundation
import Reconciler

/// Renders the portal checklist (what a person does where no portal API exists) with the
/// directory's findings: text for a terminal, Markdown for a change ticket, JSON for machines.
public enum ChecklistRenderer {
    /// The checklist as JSON: the steps, how many were confirmed earlier, and the findings.
    public struct Document: Codable, Sendable {
        public static let currentFormatVersion = "1.0"
        public var formatVersion = Document.currentFormatVersion
        public var source: String
        public var sourceRevision: String?
        public var directory: String
        public var steps: [Checklist.Step]
        public var confirmed: Int
        public var findings: [Finding]
    }

    public static func json(_ checklist: Checklist, plan: Plan, directory: String) throws -> String {
        try PrettyJSON.encode(
            Document(
                source: plan.source, sourceRevision: plan.sourceRevision, directory: directory, steps: checklist.steps,
                confirmed: checklist.confirmed, findings: plan.findings))
    }

    public static func text(_ checklist: Checklist, plan: Plan, directory: String, style: TerminalStyle) -> String {
        var output = "Roomkeeper portal checklist for \(plan.source.terminalSafe), checked against \(directory.terminalSafe)\n"
        output += PlanRenderer.signers(plan.origin) + "\n"
        if checklist.steps.isEmpty {
            output += style.green("Nothing left to do in the portal.") + "\n"
        } else {
            output += "The Pro Management portal has no API for these: do them in the portal, in this order.\n\n"
        }
        let numbers = Dictionary(checklist.steps.map { ($0.id, $0.number) }, uniquingKeysWith: { first, _ in first })
        for step in checklist.steps {
            output += text(step, after: step.after.compactMap { numbers[$0] }.sorted(), style: style)
        }
        output += PlanRenderer(style: style).findings(plan.findings)
        for blocker in plan.blockers {
            output += "\n" + style.red("Refused:") + " " + BlockerWords.commandLine(blocker).terminalSafe + "\n"
        }
        output += "\n" + style.bold(summary(checklist)) + "\n"
        return output
    }

    /// One step: its number and title, where in the portal, every value, and the steps before it.
    public static func text(_ step: Checklist.Step, after: [Int], style: TerminalStyle) -> String {
        var output = style.bold(String(format: "%3d. ", step.number) + step.title.terminalSafe) + "\n"
        output += "     " + style.dim(step.navigation.map(\.terminalSafe).joined(separator: " > ")) + "\n"
        for value in step.values { output += "       \(value.label.terminalSafe): \(value.value.terminalSafe)\n" }
        if !after.isEmpty { output += "       " + style.dim("after step \(after.map(String.init).joined(separator: ", "))") + "\n" }
        return output
    }

    /// A change ticket: one checkbox per step, its navigation and values, the findings folded.
    public static func markdown(_ checklist: Checklist, plan: Plan, directory: String) -> String {
        var output = "### Roomkeeper portal checklist\n\n"
        output += "Manifests `\(plan.source.markdownCode)`"
        if let revision = plan.sourceRevision { output += " (\(revision.markdownCode))" }
        output +=
            ", checked against \(directory.markdownEscaped). The Pro Management portal has no API for these steps: "
            + "a person does them in the portal, in this order.\n\n"
        output += "**\(summary(checklist).markdownEscaped)**\n\n"
        for blocker in plan.blockers { output += "> **Refused:** \(BlockerWords.commandLine(blocker).markdownEscaped)\n\n" }
        for step in checklist.steps {
            output +=
                "- [ ] **\(step.number). \(step.title.markdownEscaped)**: \(step.navigation.map(\.markdownEscaped).joined(separator: " &gt; "))\n"
            for value in step.values { output += "  - \(value.label.markdownEscaped): `\(value.value.markdownCode)`\n" }
        }
        let attention = plan.findings.filter { $0.severity != .info }
        if !attention.isEmpty {
            output += "\n<details><summary>Needs a person (\(attention.count))</summary>\n\n"
            for finding in attention {
                output += "- **\(finding.severity.rawValue)** `\(finding.target.description.markdownCode)`: \(finding.message.markdownEscaped)"
                if let location = finding.location { output += " (`\(location.description.markdownCode)`)" }
                output += "<br>\(finding.remedy.markdownEscaped)\n"
            }
            output += "\n</details>\n"
        }
        return output
    }

    /// "Checklist: 12 steps in the portal (3 confirmed earlier)."
    public static func summary(_ checklist: Checklist) -> String {
        let steps = checklist.steps.count == 1 ? "1 step" : "\(checklist.steps.count) steps"
        return "Checklist: \(steps) in the portal" + (checklist.confirmed > 0 ? " (\(checklist.confirmed) confirmed earlier)" : "") + "."
    }
}
