import PortalAPI
import Reconciler

extension PlanRenderer {
    /// How many actions a Markdown plan lists before it summarises the rest (a pull request
    /// comment is limited in size).
    public static let markdownActionLimit = 250

    /// The plan as GitHub-flavoured Markdown, for a pull request comment: the summary, a table of
    /// actions with their changes, and what needs a person. Every string from manifests or the
    /// portal is escaped, so none can inject markup, links or HTML.
    public static func markdown(_ plan: Plan) -> String {
        var output = "### Roomkeeper plan\n\n"
        output += "Manifests `\(plan.source.markdownCode)`"
        if let revision = plan.sourceRevision { output += " (\(revision.markdownCode))" }
        output += " against \(PortalEndpoint.phrase(plan.portal.markdownEscaped)).\n\n"
        output += "**\(summary(plan).markdownEscaped)**\n\n"
        for blocker in plan.blockers { output += "> **Refused:** \(BlockerWords.commandLine(blocker).markdownEscaped)\n\n" }
        if !plan.actions.isEmpty {
            output += "| | Object | Action | Changes |\n|---|---|---|---|\n"
            for action in plan.actions.prefix(markdownActionLimit) {
                let changes = action.changes.map { "\($0.field.markdownEscaped): \(markdownValue($0))" }.joined(separator: "<br>")
                output += "| \(symbol(action.type)) | `\(action.target.description.markdownCode)` | \(action.type.rawValue) | \(changes) |\n"
            }
            if plan.actions.count > markdownActionLimit {
                output += "\n…and \(plan.actions.count - markdownActionLimit) more actions: run `roomkeeper plan` to see them all.\n"
            }
            output += "\n"
        }
        let attention = plan.findings.filter { $0.severity != .info }
        if !attention.isEmpty {
            output += "<details><summary>Needs a person (\(attention.count))</summary>\n\n"
            for finding in attention {
                output +=
                    "- **\(finding.severity.rawValue)** `\(finding.target.description.markdownCode)`: "
                    + "\(finding.message.markdownEscaped)"
                if let location = finding.location { output += " (`\(location.description.markdownCode)`)" }
                output += "<br>\(finding.remedy.markdownEscaped)\n"
            }
            output += "\n</details>\n"
        }
        if !plan.unmanaged.isEmpty {
            output +=
                "\n\(counted(plan.unmanaged.count, "object")) not managed by Roomkeeper \(plan.unmanaged.count == 1 ? "is" : "are") left alone.\n"
        }
        return output
    }

    private static func symbol(_ type: ActionType) -> String {
        switch type {
        case .create: "+"
        case .update: "~"
        case .delete: "−"
        case .enroll, .unenroll: "*"
        case .moveToRing, .setGroupTag: ">"
        }
    }

    static func markdownValue(_ change: FieldChange) -> String {
        plainValue(change).markdownEscaped
    }

    /// A change as plain text: `+a −b` for sets, `before → after` for values.
    static func plainValue(_ change: FieldChange) -> String {
        if change.added != nil || change.removed != nil {
            return ((change.added ?? []).map { "+\($0)" } + (change.removed ?? []).map { "−\($0)" }).joined(separator: " ")
        }
        return "\(change.before ?? "(none)") → \(change.after ?? "(none)")"
    }
}

extension String {
    /// Text safe in a Markdown table cell: markup characters escaped, HTML neutralised, line
    /// breaks and control characters flattened. Nor does it link or notify anyone: GitHub's
    /// autolinks (`https://`, `www.`) and `@mentions` are broken by a zero-width space (written
    /// as an entity; GitHub finds both in the text after entities are decoded, so only a real
    /// character breaks them), so a display name in git can neither ping a team nor show a link.
    /// An e-mail address (`@` after a letter or digit) is no mention and is left whole, to copy.
    var markdownEscaped: String {
        var escaped = ""
        let characters = Array(terminalSafe)
        for (index, character) in characters.enumerated() {
            switch character {
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "&": escaped += "&amp;"
            case "\n", "\r": escaped += " "
            case "\\", "`", "*", "_", "[", "]", "|", "#", "!", "~", "(", ")": escaped += "\\\(character)"
            case "@" where index == 0 || !(characters[index - 1].isLetter || characters[index - 1].isNumber): escaped += "@&#8203;"
            case ":" where characters[(index + 1)...].starts(with: "//"): escaped += "&#8203;:"
            case "." where index >= 3 && String(characters[(index - 3)..<index]).lowercased() == "www": escaped += "&#8203;."
            default: escaped.append(character)
            }
        }
        return escaped
    }

    /// Text inside `code`: backticks and pipes cannot be escaped there, so they are replaced.
    var markdownCode: String {
        terminalSafe.replacingOccurrences(of: "`", with: "'").replacingOccurrences(of: "|", with: "/")
            .replacingOccurrences(of: "\n", with: " ")
    }
}
