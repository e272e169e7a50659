import Foundation
import PortalAPI
import Reconciler

extension DriftRenderer {
    /// How many of the latest checks the HTML report's chart shows.
    public static let chartedChecks = 120

    /// The report as one self-contained HTML page a manager can scan: a summary by kind and
    /// cause (manual edits first), a chart of drift over time from `history`, then one compact row
    /// per item in groups by cause and kind, each group's remedies said once. Inline styles and
    /// SVG; no scripts, no external assets. Every string from manifests or the portal is escaped,
    /// and the page is well-formed XML as well as HTML, so any parser reads it the same way.
    public static func html(_ report: DriftReport, history: [DriftHistoryEntry] = []) -> String {
        html(report, chart: chart(history))
    }

    /// The report as a page, with a chart made earlier by `chart(_:)`.
    public static func html(_ report: DriftReport, chart: String) -> String {
        """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Roomkeeper drift report: \(summary(report).htmlEscaped)</title>
        <style>
        body { font: 14px/1.35 system-ui, sans-serif; margin: 1.5em 2em; color: #1b1b1b; max-width: 90em; }
        \(reportStyles)</style>
        </head>
        <body>
        \(htmlBody(report, chart: chart, itemsShown: nil))</body>
        </html>

        """
    }

    /// The chart of drift over the checks of `history` (empty below two checks), as the report
    /// shows it: made once per check by a server that shows the report many times.
    public static func chart(_ history: [DriftHistoryEntry]) -> String { DriftChart(history: history).svg() }

    /// How many items of a group a page shows, and where the rest of a group is: for the
    /// console, where a report of 20,000 missing objects must not be one page of megabytes.
    public struct ItemPages: Sendable {
        public var perPage: Int
        /// The address of page `page` of the group with this anchor.
        public var link: @Sendable (_ anchor: String, _ page: Int) -> String

        public init(perPage: Int, link: @escaping @Sendable (_ anchor: String, _ page: Int) -> String) {
            self.perPage = perPage
            self.link = link
        }
    }

    /// The report's content, for a page of its own or inside another's (the console's, which
    /// then uses `reportStyles`): with `chart` (from `chart(_:)`), and with `itemsShown`, at most
    /// `perPage` items of each group, each group linking to its next page.
    public static func htmlBody(_ report: DriftReport, chart: String, itemsShown: ItemPages?) -> String {
        let groups = DriftGroup.grouping(report.items)
        var body = "<h1>Roomkeeper drift report</h1>\n"
        body += "<p class=\"meta\">Manifests <code>\(report.source.htmlEscaped)</code>"
        if let revision = report.sourceRevision { body += " at <code>\(revision.htmlEscaped)</code>" }
        body += ", \(PortalEndpoint.phrase(report.portal.htmlEscaped)), checked \(timestamp(report.generatedAt).htmlEscaped).</p>\n"
        let status = report.inSync ? "in-sync" : "drift"
        body += "<p class=\"summary \(status)\">\(summary(report).htmlEscaped)</p>\n"
        if !groups.isEmpty { body += summaryTable(groups) }
        body += chart
        if !groups.isEmpty {
            body += "<h2>Drift</h2>\n"
            let openAll = report.items.count <= 50
            for group in groups { body += section(group, open: openAll || group.cause == .manual, page: 1, pages: itemsShown) }
        }
        if !report.snoozed.isEmpty {
            body += "<h2>Snoozed</h2>\n<ul>\n"
            for item in report.snoozed {
                body +=
                    "<li><span class=\"name\">\(item.target.description.htmlEscaped)</span> \(item.state.rawValue) until "
                    + "\((item.snoozedUntil ?? "").htmlEscaped): \((item.snoozeReason ?? "").htmlEscaped)</li>\n"
            }
            body += "</ul>\n"
        }
        if !report.devices.isEmpty {
            body += "<h2>Devices (health, not drift)</h2>\n<ul>\n"
            for device in report.devices {
                body +=
                    "<li><strong>\(device.status.rawValue)</strong> <span class=\"name\">\(device.target.description.htmlEscaped)</span> "
                    + "(\(device.serialNumber.htmlEscaped) in \(device.room.htmlEscaped)): \(device.message.htmlEscaped)</li>\n"
            }
            body += "</ul>\n"
        }
        body += findings("Needs a person", report.needsPerson)
        body += findings("Notes", report.notes)
        if !report.unmanaged.isEmpty {
            body +=
                "<h2>Not managed by Roomkeeper</h2>\n<p>"
                + report.unmanaged.map { "<span class=\"name\">\($0.description.htmlEscaped)</span>" }.joined(separator: ", ") + "</p>\n"
        }
        return body
    }

    /// The report's styles (all but the page's own `body`); the chart's legend swatches included.
    public static let reportStyles: String =
        """
        h1 { font-size: 1.5em; margin: 0 0 0.2em; }
        h2 { font-size: 1.15em; margin: 1.4em 0 0.4em; }
        table { border-collapse: collapse; }
        th, td { border-bottom: 1px solid #e2e2e2; padding: 0.2em 0.6em; text-align: left; vertical-align: top; }
        th { background: #f4f4f4; font-weight: 600; }
        td.count, th.count { text-align: right; font-variant-numeric: tabular-nums; }
        table.items { width: 100%; table-layout: fixed; }
        table.items th:nth-child(1) { width: 26%; }
        table.items th:nth-child(2) { width: 6em; }
        table.items th:nth-child(3) { width: 12em; }
        table.items th:nth-child(5) { width: 18%; }
        code { font-family: ui-monospace, monospace; font-size: 0.92em; }
        .name { font-family: ui-monospace, monospace; font-size: 0.92em; overflow-wrap: break-word; }
        .nowrap { white-space: nowrap; }
        .summary { font-weight: 600; padding: 0.4em 0.6em; display: inline-block; border-radius: 3px; }
        .in-sync { background: #e3f5e1; }
        .drift { background: #fdeccc; }
        .meta { color: #555; margin: 0 0 0.8em; }
        .manual { color: #a4000f; font-weight: 600; }
        .convergence { color: #8a5300; }
        .noise { color: #666; }
        details { margin: 0.3em 0 0.6em; }
        summary { cursor: default; font-weight: 600; padding: 0.2em 0; }
        .remedy { color: #333; margin: 0.2em 0 0.4em 1.2em; }
        .remedy code { background: #f4f4f4; padding: 0 0.25em; }
        .changes { color: #444; }
        figure { margin: 1em 0; }
        figcaption { color: #555; font-size: 0.9em; }
        """ + "\n" + DriftChart.causes.map { ".swatch-\($0.name) { color: \($0.color); }\n" }.joined()

    /// Counts by kind and cause, manual first; each count links to its group.
    private static func summaryTable(_ groups: [DriftGroup]) -> String {
        let causes = DriftItem.Cause.allCases
        let kinds = Array(Set(groups.map(\.kind))).sorted()
        var output = "<table class=\"by-cause\">\n<thead><tr><th>Kind</th>"
        for cause in causes { output += "<th class=\"count \(cause.rawValue)\">\(cause.rawValue)</th>" }
        output += "<th class=\"count\">total</th></tr></thead>\n<tbody>\n"
        for kind in kinds {
            output += "<tr><td class=\"nowrap\">\(kind.htmlEscaped)</td>"
            var total = 0
            for cause in causes {
                if let group = groups.first(where: { $0.kind == kind && $0.cause == cause }) {
                    total += group.items.count
                    output += "<td class=\"count\"><a href=\"#\(group.anchor)\">\(group.items.count)</a></td>"
                } else {
                    output += "<td class=\"count\"></td>"
                }
            }
            output += "<td class=\"count\">\(total)</td></tr>\n"
        }
        output += "<tr><th>all</th>"
        for cause in causes { output += "<th class=\"count\">\(groups.filter { $0.cause == cause }.reduce(0) { $0 + $1.items.count })</th>" }
        output += "<th class=\"count\">\(groups.reduce(0) { $0 + $1.items.count })</th></tr>\n</tbody>\n</table>\n"
        return output
    }

    /// Page `page` of the drift group with `anchor` alone, or nil when the report has none.
    public static func htmlGroupPage(_ report: DriftReport, anchor: String, page: Int, pages: ItemPages) -> String? {
        guard let group = DriftGroup.grouping(report.items).first(where: { $0.anchor == anchor }) else { return nil }
        return section(group, open: true, page: page, pages: pages)
    }

    /// One group: its remedies once, then a row per item (a page of them with `pages`).
    private static func section(_ group: DriftGroup, open: Bool, page: Int = 1, pages: ItemPages? = nil) -> String {
        let count = pages.map { max(1, (group.items.count + $0.perPage - 1) / $0.perPage) } ?? 1
        let current = min(max(1, page), count)
        let shown = pages.map { group.items.dropFirst((current - 1) * $0.perPage).prefix($0.perPage) } ?? group.items[...]
        var output =
            "<details id=\"\(group.anchor)\"\(open ? " open=\"open\"" : "")>\n<summary><span class=\"\(group.cause.rawValue)\">\(group.cause.rawValue)</span> "
            + "\(group.kind.htmlEscaped): \(counted(group.items.count, "item"))</summary>\n"
        output += group.remedies.map { "<p class=\"remedy\">\($0)</p>\n" }.joined()
        // Once for the group: asked for each row, it made a group of n items cost n² (14 s at 12,000).
        let perItemByHand = group.perItemByHand
        output += "<table class=\"items\">\n<thead><tr><th>Object</th><th>State</th><th>Since</th><th>What differs (portal → git)</th>"
        if perItemByHand { output += "<th>By hand</th>" }
        output += "</tr></thead>\n<tbody>\n"
        for item in shown {
            var differs = item.explanation.htmlEscaped
            if !item.changes.isEmpty {
                differs +=
                    "<br /><span class=\"changes\">"
                    + item.changes.map { "<code>\($0.field.htmlEscaped)</code>: \(PlanRenderer.plainValue($0).htmlEscaped)" }.joined(separator: "; ")
                    + "</span>"
            }
            if let location = item.location { differs += "<br /><span class=\"meta\">declared at <code>\(location.htmlEscaped)</code></span>" }
            output +=
                "<tr><td class=\"name\">\(item.target.name.htmlEscaped)</td><td>\(item.state.rawValue)</td>"
                + "<td class=\"nowrap\">\(timestamp(item.since).htmlEscaped)</td><td>\(differs)</td>"
            if perItemByHand { output += "<td>\((item.remedies.byHand ?? "").htmlEscaped)</td>" }
            output += "</tr>\n"
        }
        output += "</tbody>\n</table>\n"
        if let pages, count > 1 {
            output += "<p>Items \((current - 1) * pages.perPage + 1)-\((current - 1) * pages.perPage + shown.count) of \(group.items.count). "
            if current > 1 { output += "<a href=\"\(pages.link(group.anchor, current - 1).htmlEscaped)\">Previous items</a> " }
            if current < count { output += "<a href=\"\(pages.link(group.anchor, current + 1).htmlEscaped)\">Next items</a>" }
            output += "</p>\n"
        }
        return output + "</details>\n"
    }

    private static func findings(_ title: String, _ findings: [Finding]) -> String {
        guard !findings.isEmpty else { return "" }
        var output = "<h2>\(title)</h2>\n<ul>\n"
        for finding in findings {
            output +=
                "<li><strong>\(finding.severity.rawValue)</strong> <span class=\"name\">\(finding.target.description.htmlEscaped)</span>: "
                + "\(finding.message.htmlEscaped)"
            if let location = finding.location { output += " (<code>\(location.description.htmlEscaped)</code>)" }
            output += "<br />\(finding.remedy.htmlEscaped)</li>\n"
        }
        return output + "</ul>\n"
    }
}

/// Drift items of one cause and one kind, as the HTML report shows them together.
struct DriftGroup {
    var cause: DriftItem.Cause
    var kind: String
    var items: [DriftItem]

    /// Manual edits first, then convergence, then noise; kinds in alphabetical order.
    static func grouping(_ items: [DriftItem]) -> [DriftGroup] {
        let causes = DriftItem.Cause.allCases
        return Dictionary(grouping: items) { GroupKey(cause: $0.cause, kind: "\($0.target.kind)") }
            .map { DriftGroup(cause: $0.key.cause, kind: $0.key.kind, items: $0.value) }
            .sorted { (causes.firstIndex(of: $0.cause) ?? 0, $0.kind) < (causes.firstIndex(of: $1.cause) ?? 0, $1.kind) }
    }

    private struct GroupKey: Hashable {
        var cause: DriftItem.Cause
        var kind: String
    }

    var anchor: String { "\(cause.rawValue)-\(kind)".filter { $0.isLetter || $0.isNumber || $0 == "-" } }

    /// The instructions differ from item to item (devices name their room): a column of their own.
    var perItemByHand: Bool { Set(items.compactMap(\.remedies.byHand)).count > 1 }

    /// The group's remedies, once each, as HTML: the command for one object, with KIND/NAME to fill in.
    var remedies: [String] {
        let placeholder = "'\(kind)/NAME'".htmlEscaped
        var lines: [String] = []
        if items.contains(where: \.remedies.canRevert) {
            lines.append(
                "Revert in the portal: <code>roomkeeper apply --target \(placeholder)</code> for one, <code>roomkeeper apply</code> for all.")
        }
        if items.contains(where: \.remedies.canAdopt) {
            lines.append("Keep the portal's version: <code>roomkeeper export --select \(placeholder) --into .</code>, then commit.")
        }
        if let until = items.lazy.compactMap(\.remedies.snoozeUntil).first {
            lines.append(
                "Put off: under <code>spec.snooze</code> in roomkeeper.yaml, "
                    + "<code>\("- {target: \"\(kind)/NAME\", until: \(until), reason: \"why it can wait\"}".htmlEscaped)</code>.")
        }
        if !perItemByHand, let byHand = items.lazy.compactMap(\.remedies.byHand).first { lines.append("By hand: \(byHand.htmlEscaped)") }
        return lines
    }
}

/// Drift items per check over time, stacked by cause, as inline SVG.
struct DriftChart {
    var history: [DriftHistoryEntry]

    /// The most recent checks shown; older ones stay in the history file.
    static var shownChecks: Int { DriftRenderer.chartedChecks }
    static let causes: [(name: String, color: String)] = [
        ("manual", "#c62828"), ("convergence", "#ef8f00"), ("noise", "#9e9e9e"), ("unknown", "#cfd8dc"),
    ]

    func svg() -> String {
        let entries = Array(history.sorted { $0.time < $1.time }.suffix(Self.shownChecks))
        guard entries.count >= 2 else { return "" }
        let counts = entries.map(\.driftByCause)
        let highest = max(1, counts.map { $0.values.reduce(0, +) }.max() ?? 1)
        let (width, height, left, bottom, top) = (720.0, 180.0, 44.0, 24.0, 8.0)
        let plotHeight = height - bottom - top
        let slot = (width - left) / Double(entries.count)
        var bars = ""
        for (index, count) in counts.enumerated() {
            var y = height - bottom
            let x = left + Double(index) * slot
            for cause in Self.causes {
                let value = count[cause.name] ?? 0
                guard value > 0 else { continue }
                let barHeight = plotHeight * Double(value) / Double(highest)
                y -= barHeight
                bars +=
                    "<rect x=\"\(Self.format(x + slot * 0.1))\" y=\"\(Self.format(y))\" width=\"\(Self.format(max(slot * 0.8, 0.5)))\" "
                    + "height=\"\(Self.format(barHeight))\" fill=\"\(cause.color)\"><title>"
                    + "\(DriftRenderer.timestamp(entries[index].time)): \(value) \(cause.name)".htmlEscaped + "</title></rect>"
            }
        }
        let axis =
            "<line x1=\"\(left)\" y1=\"\(height - bottom)\" x2=\"\(width)\" y2=\"\(height - bottom)\" stroke=\"#888\" />"
            + "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(width)\" y2=\"\(top)\" stroke=\"#e2e2e2\" />"
            + "<text x=\"\(left - 6)\" y=\"\(top + 4)\" text-anchor=\"end\">\(highest)</text>"
            + "<text x=\"\(left - 6)\" y=\"\(height - bottom + 4)\" text-anchor=\"end\">0</text>"
            + "<text x=\"\(left)\" y=\"\(height - 6)\">\(DriftRenderer.timestamp(entries[0].time).htmlEscaped)</text>"
            + "<text x=\"\(width)\" y=\"\(height - 6)\" text-anchor=\"end\">\(DriftRenderer.timestamp(entries[entries.count - 1].time).htmlEscaped)</text>"
        let present = Self.causes.filter { cause in counts.contains { ($0[cause.name] ?? 0) > 0 } }
        let legend = present.map { "<span class=\"swatch-\($0.name)\" aria-hidden=\"true\">■</span> \($0.name)" }.joined(separator: " ")
        return "<figure>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" "
            + "viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Drift items per check, by cause\" "
            + "font-family=\"system-ui, sans-serif\" font-size=\"11\" fill=\"#555\">\(axis)\(bars)</svg>\n"
            + "<figcaption>Drift items in the last \(entries.count) checks, by cause. \(legend)</figcaption>\n</figure>\n"
    }

    private static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
