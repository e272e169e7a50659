import Foundation
import PortalAPI
import Reconciler

extension DriftRenderer {
    /// The report as one self-contained HTML page a manager can open: inline styles, no
    /// scripts, no external assets. Every string from manifests or the portal is escaped, and
    /// the page is well-formed XML as well as HTML, so any parser reads it the same way.
    public static func html(_ report: DriftReport) -> String {
        var body = "<h1>Roomkeeper drift report</h1>\n"
        body += "<p class=\"meta\">Manifests <code>\(report.source.htmlEscaped)</code>"
        if let revision = report.sourceRevision { body += " at <code>\(revision.htmlEscaped)</code>" }
        body += " against \(PortalEndpoint.phrase(report.portal.htmlEscaped)), generated \(timestamp(report.generatedAt).htmlEscaped).</p>\n"
        let status = report.inSync ? "in-sync" : "drift"
        body += "<p class=\"summary \(status)\">\(summary(report).htmlEscaped)</p>\n"
        if !report.items.isEmpty {
            body += "<h2>Drift</h2>\n<table>\n<thead><tr><th>Object</th><th>State</th><th>Cause</th><th>Since</th>"
                + "<th>What differs (portal → git)</th><th>What to do</th></tr></thead>\n<tbody>\n"
            for item in report.items { body += row(item) }
            body += "</tbody>\n</table>\n"
        }
        if !report.snoozed.isEmpty {
            body += "<h2>Snoozed</h2>\n<ul>\n"
            for item in report.snoozed {
                body += "<li><code>\(item.target.description.htmlEscaped)</code> \(item.state.rawValue) until "
                    + "\((item.snoozedUntil ?? "").htmlEscaped): \((item.snoozeReason ?? "").htmlEscaped)</li>\n"
            }
            body += "</ul>\n"
        }
        if !report.devices.isEmpty {
            body += "<h2>Devices (health, not drift)</h2>\n<ul>\n"
            for device in report.devices {
                body += "<li><strong>\(device.status.rawValue)</strong> <code>\(device.target.description.htmlEscaped)</code> "
                    + "(\(device.serialNumber.htmlEscaped) in \(device.room.htmlEscaped)): \(device.message.htmlEscaped)</li>\n"
            }
            body += "</ul>\n"
        }
        body += findings("Needs a person", report.needsPerson)
        body += findings("Notes", report.notes)
        if !report.unmanaged.isEmpty {
            body += "<h2>Not managed by Roomkeeper</h2>\n<p>"
                + report.unmanaged.map { "<code>\($0.description.htmlEscaped)</code>" }.joined(separator: ", ") + "</p>\n"
        }
        return """
            <!DOCTYPE html>
            <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
            <head>
            <meta charset="utf-8" />
            <meta name="viewport" content="width=device-width, initial-scale=1" />
            <title>Roomkeeper drift report: \(summary(report).htmlEscaped)</title>
            <style>
            body { font-family: system-ui, sans-serif; margin: 2em; color: #1b1b1b; }
            table { border-collapse: collapse; width: 100%; }
            th, td { border: 1px solid #ccc; padding: 0.4em; text-align: left; vertical-align: top; }
            th { background: #f0f0f0; }
            code { font-family: ui-monospace, monospace; word-break: break-all; }
            .summary { font-weight: bold; padding: 0.5em; }
            .in-sync { background: #e3f5e1; }
            .drift { background: #fdeccc; }
            .meta { color: #555; }
            .manual { color: #a4000f; }
            </style>
            </head>
            <body>
            \(body)</body>
            </html>

            """
    }

    private static func row(_ item: DriftItem) -> String {
        var differs = "<p>\(item.explanation.htmlEscaped)</p>"
        if let location = item.location { differs += "<p>Declared at <code>\(location.htmlEscaped)</code></p>" }
        if !item.changes.isEmpty {
            differs += "<ul>" + item.changes.map { "<li><code>\($0.field.htmlEscaped)</code>: \(PlanRenderer.plainValue($0).htmlEscaped)</li>" }
                .joined() + "</ul>"
        }
        var actions: [String] = []
        let words = RemedyWords(item)
        if let revert = words.revert { actions.append("Revert: <code>\(revert.htmlEscaped)</code>") }
        if let adopt = words.adopt { actions.append("Adopt into git: <code>\(adopt.htmlEscaped)</code>") }
        if let byHand = words.byHand { actions.append("By hand: \(byHand.htmlEscaped)") }
        if let snooze = words.snooze { actions.append("Snooze (roomkeeper.yaml, spec.snooze): <code>\(snooze.htmlEscaped)</code>") }
        return "<tr><td><code>\(item.target.description.htmlEscaped)</code></td><td>\(item.state.rawValue)</td>"
            + "<td class=\"\(item.cause.rawValue)\">\(item.cause.rawValue)</td><td>\(timestamp(item.since).htmlEscaped)</td>"
            + "<td>\(differs)</td><td>\(actions.map { "<p>\($0)</p>" }.joined())</td></tr>\n"
    }

    private static func findings(_ title: String, _ findings: [Finding]) -> String {
        guard !findings.isEmpty else { return "" }
        var output = "<h2>\(title)</h2>\n<ul>\n"
        for finding in findings {
            output += "<li><strong>\(finding.severity.rawValue)</strong> <code>\(finding.target.description.htmlEscaped)</code>: "
                + "\(finding.message.htmlEscaped)"
            if let location = finding.location { output += " (<code>\(location.htmlEscaped)</code>)" }
            output += "<br />\(finding.remedy.htmlEscaped)</li>\n"
        }
        return output + "</ul>\n"
    }
}

extension String {
    /// Text safe anywhere in HTML or XML content and attribute values: markup characters as
    /// entities, control characters (which XML forbids) as visible escapes.
    var htmlEscaped: String {
        var escaped = ""
        for scalar in terminalSafe.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default:
                // Noncharacters and lone surrogates cannot appear in XML; String has no surrogates.
                if scalar.properties.isNoncharacterCodePoint {
                    escaped += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped
    }
}
