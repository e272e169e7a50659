import Foundation
import PortalAPI
import Reconciler

/// Renders plans for people (coloured text) and for machines (versioned JSON).
public struct PlanRenderer: Sendable {
    public var style: TerminalStyle

    public init(style: TerminalStyle) {
        self.style = style
    }

    /// `Verified: commit ... signed by ...` lines, one per verified signature; for a git revision
    /// read without verification, a line that says so. Empty for a folder, which has no signatures.
    static func signers(_ origin: SourceOrigin?) -> String {
        guard let git = origin?.git else { return "" }
        guard let signers = git.verifiedSigners, !signers.isEmpty else {
            return "Signatures: not checked (no --allowed-signers or --gpg-keyring): any revision of the remote is reconciled\n"
        }
        return signers.map { "Verified: \($0.terminalSafe)\n" }.joined()
    }

    /// Why the plan must not be applied, a paragraph for each blocker, in the command line's words.
    public func refusals(_ blockers: [PlanBlocker]) -> String {
        blockers.map { "\n" + style.red("Refused:") + " " + BlockerWords.commandLine($0).terminalSafe + "\n" }.joined()
    }

    /// The plan as people read it: each action with its changed fields, what needs a person,
    /// what is left alone, and a summary with counts.
    public func text(_ plan: Plan) -> String {
        var output = "Roomkeeper plan for \(plan.source.terminalSafe) against \(PortalEndpoint.phrase(plan.portal.terminalSafe))\n"
        output += Self.signers(plan.origin) + "\n"
        if plan.actions.isEmpty {
            output += style.green("No changes.") + " The portal matches git.\n"
        }
        for action in plan.actions {
            output += line(action)
        }
        output += findings(plan.findings)
        if !plan.unmanaged.isEmpty {
            let byKind = Dictionary(grouping: plan.unmanaged, by: \.kind).map { "\($0.value.count) \($0.key)" }.sorted()
            output += "\nNot managed by Roomkeeper, left alone: \(byKind.joined(separator: ", ")).\n"
        }
        output += refusals(plan.blockers)
        output += "\n" + style.bold(Self.summary(plan)) + "\n"
        return output
    }

    /// The findings under "Needs a person:" and "Notes:" (`info`), each section only when it has any.
    public func findings(_ findings: [Finding]) -> String {
        var output = ""
        let attention = findings.filter { $0.severity != .info }
        if !attention.isEmpty {
            output += "\n" + style.bold("Needs a person:") + "\n"
            for finding in attention { output += self.finding(finding) }
        }
        let notes = findings.filter { $0.severity == .info }
        if !notes.isEmpty {
            output += "\n" + style.bold("Notes:") + "\n"
            for finding in notes { output += self.finding(finding) }
        }
        return output
    }

    /// "Plan: 2 to create, 1 to update, ..." with every type that occurs.
    public static func summary(_ plan: Plan) -> String {
        let counts = plan.counts
        let parts: [(ActionType, String, String)] = [
            (.create, "to create", "to create"), (.update, "to update", "to update"), (.delete, "to delete", "to delete"),
            (.enroll, "room to enroll", "rooms to enroll"), (.unenroll, "room to unenroll", "rooms to unenroll"),
            (.moveToRing, "room to move to another ring", "rooms to move to another ring"),
            (.setGroupTag, "Autopilot group tag to set", "Autopilot group tags to set"),
        ]
        let written = parts.compactMap { type, one, many in counts[type].map { "\($0) \($0 == 1 ? one : many)" } }
        return "Plan: " + (written.isEmpty ? "no changes" : written.joined(separator: ", ")) + "."
    }

    private func line(_ action: PlannedAction) -> String {
        let (symbol, paint): (String, (String) -> String) =
            switch action.type {
            case .create: ("+", style.green)
            case .update: ("~", style.yellow)
            case .delete: ("-", style.red)
            case .enroll, .unenroll: ("*", style.cyan)
            case .moveToRing, .setGroupTag: (">", style.cyan)
            }
        var output = "  " + paint(symbol) + " " + style.bold(action.target.description.terminalSafe) + "  " + style.dim(action.type.rawValue) + "\n"
        for change in action.changes {
            output += "      \(change.field): " + describe(change).terminalSafe + "\n"
        }
        return output
    }

    func describe(_ change: FieldChange) -> String {
        if change.added != nil || change.removed != nil {
            let added = (change.added ?? []).map { style.green("+\($0)") }
            let removed = (change.removed ?? []).map { style.red("-\($0)") }
            return (added + removed).joined(separator: " ")
        }
        switch (change.before, change.after) {
        case (nil, let after?): return quote(after)
        case (let before?, nil): return quote(before) + " -> (none)"
        case (let before?, let after?): return quote(before) + " -> " + quote(after)
        case (nil, nil): return "(none)"
        }
    }

    /// Text in quotes; numbers and booleans as they are.
    private func quote(_ value: String) -> String {
        Int(value) != nil || value == "true" || value == "false" ? value : "\"\(value)\""
    }

    public func finding(_ finding: Finding) -> String {
        let mark =
            switch finding.severity {
            case .error: style.red("error")
            case .warning: style.yellow("warning")
            case .info: "note"
            }
        var output = "  \(mark): \(finding.target.description.terminalSafe): \(finding.message.terminalSafe)"
        if let location = finding.location { output += " " + style.dim("(\(location.description.terminalSafe))") }
        return output + "\n      " + finding.remedy.terminalSafe + "\n"
    }

    /// The plan as JSON, as `plan --out` saves it.
    public static func json(_ plan: Plan) throws -> String {
        try SavedPlan.encode(plan)
    }
}
