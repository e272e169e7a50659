import Controller
import Foundation
import PortalModel
import Reconciler
import Reports

/// The console's pages, rendered on the server: readable without JavaScript, on a phone, with a
/// keyboard and a screen reader (landmarks, a skip link, labelled controls, table headers with
/// scope, text rather than colour alone).
enum ConsolePages {
    /// One tenant's line on the overview.
    struct TenantLine {
        var name: String
        var status: ControllerStatus
        /// Drift items of the last report, by cause.
        var driftByCause: [DriftItem.Cause: Int] = [:]
        /// Who signed the revision the last pass planned from: nil for a folder or an unsigned revision.
        var signers: [String]?
        /// The drift report's chart of the latest checks.
        var chart = ""
    }

    static func overview(_ tenants: [TenantLine], notStarted: [String: String], session: ConsoleSession) -> String {
        var body = "<h1>Tenants</h1>\n"
        let drifting = tenants.filter { $0.status.reason == .driftDetected }.count
        let failing = tenants.filter { [.failing, .stalled].contains($0.status.condition) }.count
        body += "<p>\(tenants.count) \(tenants.count == 1 ? "tenant" : "tenants"): \(drifting) with drift or findings, \(failing) failing.</p>\n"
        body += """
            <div class="scroll"><table>
            <caption>Each tenant's last reconcile</caption>
            <thead><tr><th scope="col">Tenant</th><th scope="col">State</th><th scope="col">Drift by cause</th><th scope="col">Revision</th><th scope="col">Signed by</th><th scope="col">Last check</th></tr></thead>
            <tbody>

            """
        for line in tenants {
            let status = line.status
            body += "<tr><th scope=\"row\"><a href=\"/console/tenants/\(line.name.htmlEscaped)\">\(line.name.htmlEscaped)</a></th>"
            body += "<td>\(state(status))</td><td>\(causes(line.driftByCause).htmlEscaped)</td>"
            body += "<td>\(status.lastAppliedRevision.map { "<code>\(String($0.prefix(12)).htmlEscaped)</code>" } ?? "none yet")</td>"
            body += "<td>\((line.signers?.joined(separator: ", ") ?? "not signed").htmlEscaped)</td>"
            body += "<td>\(status.lastReconcileAt.map(time) ?? "not yet")</td></tr>\n"
        }
        body += "</tbody></table></div>\n"
        if !notStarted.isEmpty {
            body += "<h2>Not started</h2>\n<ul>\n"
            for (name, problem) in notStarted.sorted(by: { $0.key < $1.key }) {
                body += "<li><strong>\(name.htmlEscaped)</strong>: \(problem.htmlEscaped)</li>\n"
            }
            body += "</ul>\n"
        }
        return layout(title: "Tenants", session: session, body: body)
    }

    static func tenant(_ line: TenantLine, session: ConsoleSession) -> String {
        let status = line.status
        var body = "<p><a href=\"/console\">All tenants</a></p>\n<h1>\(line.name.htmlEscaped)</h1>\n"
        body += "<p class=\"state\">\(state(status))</p>\n<p>\(status.message.htmlEscaped)</p>\n<dl>\n"
        let facts: [(String, String)] = [
            ("Mode", status.mode.rawValue), ("Drift items", causes(line.driftByCause)),
            ("Signed by", line.signers?.joined(separator: ", ") ?? "not signed"),
            ("Last applied revision", status.lastAppliedRevision ?? "none yet"),
            ("Last attempted revision", status.lastAttemptedRevision ?? "none yet"),
            ("Last check", status.lastReconcileAt.map(time) ?? "not yet"), ("Last success", status.lastSuccessAt.map(time) ?? "not yet"),
            ("Next check", status.nextReconcileAt.map(time) ?? "not scheduled"), ("Failures in a row", String(status.consecutiveFailures)),
        ]
        for (term, value) in facts { body += "<dt>\(term.htmlEscaped)</dt><dd>\(value.htmlEscaped)</dd>\n" }
        body += "</dl>\n" + line.chart
        let path = "/console/tenants/\(line.name.htmlEscaped)"
        body +=
            "<ul class=\"links\"><li><a href=\"\(path)/drift\">Drift report</a></li>\n<li><a href=\"\(path)/plan\">Plan</a> (what the next apply would do)</li>\n"
        body +=
            "<li><a href=\"\(path)/checklist\">Checklist</a> (the portal's changes a person makes)</li>\n<li><a href=\"\(path)/access\">Who can get in</a></li></ul>\n"
        if session.role == .operator {
            body += "<h2>Operate</h2>\n<div class=\"actions\">\n"
            let path = "/console/tenants/\(line.name.htmlEscaped)"
            if !status.suspended { body += form(action: "\(path)/reconcile", label: "Reconcile now", session: session) }
            body +=
                status.suspended
                ? form(action: "\(path)/resume", label: "Resume", session: session)
                : form(action: "\(path)/suspend", label: "Suspend", session: session)
            body += "</div>\n"
        } else {
            body += "<p>You can see this tenant; an operator reconciles, suspends and resumes it.</p>\n"
        }
        return layout(title: line.name, session: session, body: body)
    }

    /// How many steps a checklist page shows.
    static let stepsPerPage = 50

    /// The open steps of a tenant's checklist, a page at a time, in the order to do them.
    static func checklist(_ tenant: String, _ checklist: Checklist?, page: Int, session: ConsoleSession) -> String {
        let base = "/console/tenants/\(tenant.htmlEscaped)"
        var body = "<p><a href=\"\(base)\">\(tenant.htmlEscaped)</a></p>\n<h1>Checklist</h1>\n"
        guard let checklist else {
            body += "<p>No checklist yet: the tenant has a portal API (apply does its changes), or its first pass has not finished.</p>\n"
            return layout(title: "Checklist", session: session, body: body)
        }
        let steps = checklist.steps
        body +=
            "<p>\(steps.count) \(steps.count == 1 ? "step" : "steps") to do in the portal, \(checklist.confirmed) confirmed. "
            + "Do each in the portal, then mark it done: it is recorded as <code>apply --walk-through</code> records it.</p>\n"
        guard !steps.isEmpty else { return layout(title: "Checklist", session: session, body: body + "<p>Nothing is left to do.</p>\n") }
        let pages = (steps.count + stepsPerPage - 1) / stepsPerPage
        let current = min(max(1, page), pages)
        let shown = steps[((current - 1) * stepsPerPage)..<min(steps.count, current * stepsPerPage)]
        body += "<p><a href=\"\(base)/checklist/\(steps[0].id.htmlEscaped)\">Walk through the steps one at a time</a></p>\n"
        let numbers = Dictionary(steps.map { ($0.id, $0.number) }, uniquingKeysWith: { first, _ in first })
        for step in shown { body += stepArticle(step, numbers: numbers, tenant: tenant, session: session, returnTo: "list-\(current)") }
        body += pager(base + "/checklist", current: current, pages: pages, label: "Checklist pages")
        return layout(title: "Checklist", session: session, body: body)
    }

    /// One open step on its own, with Done and Skip: the terminal's walk-through, on a page.
    static func walkThrough(_ tenant: String, step: Checklist.Step, next: Checklist.Step?, checklist: Checklist, session: ConsoleSession) -> String {
        let base = "/console/tenants/\(tenant.htmlEscaped)"
        var body = "<p><a href=\"\(base)/checklist\">All steps</a></p>\n"
        body += "<p>Step \(step.number) of \(checklist.steps.count) left.</p>\n"
        let numbers = Dictionary(checklist.steps.map { ($0.id, $0.number) }, uniquingKeysWith: { first, _ in first })
        body += stepArticle(step, numbers: numbers, tenant: tenant, session: session, returnTo: "walk")
        body +=
            next.map { "<p><a href=\"\(base)/checklist/\($0.id.htmlEscaped)\">Skip to step \($0.number)</a></p>\n" }
            ?? "<p><a href=\"\(base)/checklist\">Back to the list</a></p>\n"
        return layout(title: "Step \(step.number)", session: session, body: body)
    }

    private static func stepArticle(_ step: Checklist.Step, numbers: [String: Int], tenant: String, session: ConsoleSession, returnTo: String)
        -> String
    {
        let id = step.id.htmlEscaped
        var html = "<article class=\"step\" aria-labelledby=\"step-\(id)\">\n"
        html += "<h2 id=\"step-\(id)\">\(step.number). \(step.title.htmlEscaped)\(step.removal == true ? " (removal)" : "")</h2>\n"
        if !step.navigation.isEmpty {
            html +=
                "<p class=\"where\">In the portal: " + step.navigation.map { "<span>\($0.htmlEscaped)</span>" }.joined(separator: " &gt; ") + "</p>\n"
        }
        if !step.values.isEmpty {
            html += "<table class=\"values\"><caption>Values</caption><tbody>\n"
            for value in step.values { html += "<tr><th scope=\"row\">\(value.label.htmlEscaped)</th><td>\(value.value.htmlEscaped)</td></tr>\n" }
            html += "</tbody></table>\n"
        }
        let after = step.after.compactMap { numbers[$0] }.sorted()
        if !after.isEmpty { html += "<p>After step\(after.count == 1 ? "" : "s") \(after.map(String.init).joined(separator: ", ")).</p>\n" }
        if session.role == .operator {
            html += """
                <form method="post" action="/console/tenants/\(tenant.htmlEscaped)/checklist/\(id)/done"><input type="hidden" name="csrf" value="\(session.csrf.htmlEscaped)"><input type="hidden" name="return" value="\(returnTo.htmlEscaped)"><button type="submit">Done in the portal</button></form>

                """
        }
        return html + "</article>\n"
    }

    /// A tenant's last drift report, with its remedies, in the console's frame.
    static func drift(
        _ tenant: String, _ report: DriftReport?, chart: String, group: String?, page: Int, session: ConsoleSession
    ) -> String {
        let base = "/console/tenants/\(tenant.htmlEscaped)"
        var body = "<p><a href=\"\(base)\">\(tenant.htmlEscaped)</a></p>\n"
        guard let report else {
            return layout(
                title: "Drift", session: session, body: body + "<h1>Drift</h1>\n<p>No drift report yet: the first check has not finished.</p>\n")
        }
        let pages = DriftRenderer.ItemPages(perPage: stepsPerPage) { anchor, page in
            "/console/tenants/\(tenant)/drift?group=\(anchor)&page=\(page)#\(anchor)"
        }
        if let group, let section = DriftRenderer.htmlGroupPage(report, anchor: group, page: page, pages: pages) {
            body += "<p><a href=\"\(base)/drift\">The whole report</a></p>\n<h1>Drift</h1>\n" + section
        } else {
            body += DriftRenderer.htmlBody(report, chart: chart, itemsShown: pages)
        }
        return layout(title: "Drift", session: session, body: body)
    }

    /// What the next apply would do, field by field, a page of actions at a time; through Graph
    /// alone, the directory's findings, with the checklist for the portal's part.
    static func plan(_ tenant: String, _ plan: Plan?, graphAlone: Bool, page: Int, session: ConsoleSession) -> String {
        let base = "/console/tenants/\(tenant.htmlEscaped)"
        var body = "<p><a href=\"\(base)\">\(tenant.htmlEscaped)</a></p>\n<h1>Plan</h1>\n"
        guard let plan else { return layout(title: "Plan", session: session, body: body + "<p>No plan yet: the first check has not finished.</p>\n") }
        body += "<p>\(PlanRenderer.summary(plan).htmlEscaped) From \(plan.source.htmlEscaped)"
        body += plan.sourceRevision.map { " at <code>\(String($0.prefix(19)).htmlEscaped)</code>" } ?? ""
        body += ", planned \(time(plan.createdAt)).</p>\n"
        if graphAlone {
            body +=
                "<p>The portal has no API: its part is <a href=\"\(base)/checklist\">the checklist</a>, for a person. Below, what the tenant's directory says.</p>\n"
        }
        if !plan.findings.isEmpty {
            body += "<h2>Findings</h2>\n<div class=\"scroll\"><table><caption>What a person must look at, errors first</caption>\n"
            body +=
                "<thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">Object</th><th scope=\"col\">Finding</th><th scope=\"col\">What to do</th></tr></thead><tbody>\n"
            for finding in plan.findings.sorted(by: {
                ($0.severity == .error ? 0 : 1, $0.target.description) < ($1.severity == .error ? 0 : 1, $1.target.description)
            }) {
                body += "<tr><td>\(finding.severity.rawValue)</td><td>\(finding.target.description.htmlEscaped)</td>"
                body += "<td>\(finding.message.htmlEscaped)</td><td>\(finding.remedy.htmlEscaped)</td></tr>\n"
            }
            body += "</tbody></table></div>\n"
        }
        guard !graphAlone, !plan.actions.isEmpty else { return layout(title: "Plan", session: session, body: body) }
        let pages = (plan.actions.count + stepsPerPage - 1) / stepsPerPage
        let current = min(max(1, page), pages)
        body += "<h2>Changes</h2>\n"
        for action in plan.actions[((current - 1) * stepsPerPage)..<min(plan.actions.count, current * stepsPerPage)] {
            body +=
                "<article class=\"step\"><h3>\(action.type.rawValue) \(action.target.description.htmlEscaped)</h3>\n<p>\(action.reason.htmlEscaped)</p>\n"
            if !action.changes.isEmpty {
                body +=
                    "<table class=\"values\"><caption>Fields</caption><thead><tr><th scope=\"col\">Field</th><th scope=\"col\">Now</th><th scope=\"col\">After</th></tr></thead><tbody>\n"
                for change in action.changes {
                    let before = change.removed.map { "− " + $0.joined(separator: ", ") } ?? change.before ?? ""
                    let after = change.added.map { "+ " + $0.joined(separator: ", ") } ?? change.after ?? ""
                    body += "<tr><th scope=\"row\">\(change.field.htmlEscaped)</th><td>\(before.htmlEscaped)</td><td>\(after.htmlEscaped)</td></tr>\n"
                }
                body += "</tbody></table>\n"
            }
            body += "</article>\n"
        }
        body += pager(base + "/plan", current: current, pages: pages, label: "Plan pages")
        return layout(title: "Plan", session: session, body: body)
    }

    /// Who can get in, as `roomkeeper access` lists it: a row per way in, filtered by a person's
    /// name or by role, a page at a time.
    static func access(_ tenant: String, _ report: AccessReport?, filter: String, page: Int, session: ConsoleSession) -> String {
        let base = "/console/tenants/\(tenant.htmlEscaped)"
        var body = "<p><a href=\"\(base)\">\(tenant.htmlEscaped)</a></p>\n<h1>Who can get in</h1>\n"
        guard let report else {
            return layout(title: "Access", session: session, body: body + "<p>Not read yet: the first check has not finished.</p>\n")
        }
        body += """
            <form method="get" action="\(base)/access" class="filter"><label for="filter">Person, group or role</label>
            <input id="filter" name="q" type="search" value="\(filter.htmlEscaped)"><button type="submit">Filter</button></form>

            """
        let needle = filter.lowercased()
        let rows: [(person: AccessReport.Person, grant: AccessReport.Grant)] = report.people.flatMap { person in
            person.grants.map { (person, $0) }
        }.filter { row in
            needle.isEmpty
                || [row.person.userPrincipalName, row.person.displayName, row.grant.name, row.grant.role, row.grant.viaGroup ?? ""]
                    .contains { $0.lowercased().contains(needle) }
        }
        let perPage = 100
        let pages = max(1, (rows.count + perPage - 1) / perPage)
        let current = min(max(1, page), pages)
        body += "<p>\(rows.count) \(rows.count == 1 ? "way" : "ways") in for \(Set(rows.map(\.person.userPrincipalName)).count) people.</p>\n"
        body += "<div class=\"scroll\"><table><caption>Each person and each way they get in</caption>\n<thead><tr>"
        body += ["Person", "Through", "Role", "Where", "May"].map { "<th scope=\"col\">\($0)</th>" }.joined() + "</tr></thead><tbody>\n"
        for row in rows.dropFirst((current - 1) * perPage).prefix(perPage) {
            let grant = row.grant
            let through =
                (grant.source == .directoryRole ? "Entra role" : "Assignment \(grant.name)") + (grant.viaGroup.map { ", group \($0)" } ?? "")
            let whereText = grant.allRooms ? "all rooms" : (grant.roomGroups + ["\(grant.roomCount) rooms"]).joined(separator: ", ")
            body +=
                "<tr><th scope=\"row\">\(row.person.displayName.htmlEscaped) <span class=\"upn\">\(row.person.userPrincipalName.htmlEscaped)</span></th>"
            body += "<td>\(through.htmlEscaped)</td><td>\(grant.role.htmlEscaped)</td><td>\(whereText.htmlEscaped)</td>"
            body += "<td>\(grant.permissions.joined(separator: ", ").htmlEscaped)</td></tr>\n"
        }
        body += "</tbody></table></div>\n"
        let query = filter.isEmpty ? "" : "q=\(filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&"
        body += pager(base + "/access?" + query, current: current, pages: pages, label: "Access pages", joined: true)
        return layout(title: "Access", session: session, body: body)
    }

    /// Previous and next links for a paged list; nothing for one page.
    private static func pager(_ path: String, current: Int, pages: Int, label: String, joined: Bool = false) -> String {
        guard pages > 1 else { return "" }
        let prefix = joined ? path : path + "?"
        var html = "<nav aria-label=\"\(label)\"><p>Page \(current) of \(pages). "
        if current > 1 { html += "<a href=\"\(prefix)page=\(current - 1)\" rel=\"prev\">Previous page</a> " }
        if current < pages { html += "<a href=\"\(prefix)page=\(current + 1)\" rel=\"next\">Next page</a>" }
        return html + "</p></nav>\n"
    }

    /// A page that says why something was refused or failed.
    static func problem(_ title: String, _ message: String, session: ConsoleSession?) -> String {
        layout(title: title, session: session, body: "<h1>\(title.htmlEscaped)</h1>\n<p role=\"alert\">\(message.htmlEscaped)</p>\n")
    }

    static func signedOut() -> String {
        layout(title: "Signed out", session: nil, body: "<h1>Signed out</h1>\n<p><a href=\"/console\">Sign in again</a></p>\n")
    }

    /// `3 manual, 12 convergence`, or `none`.
    private static func causes(_ counts: [DriftItem.Cause: Int]) -> String {
        let parts = DriftItem.Cause.allCases.compactMap { cause in counts[cause].map { "\($0) \(cause.rawValue)" } }
        return parts.isEmpty ? "none" : parts.joined(separator: ", ")
    }

    /// A state in words and a mark, so colour is never the only sign.
    private static func state(_ status: ControllerStatus) -> String {
        let text = status.suspended ? "Suspended" : "\(status.condition.rawValue): \(status.reason.rawValue)"
        let settled = status.condition == .ready && [.inSync, .healed].contains(status.reason)
        let kind = status.suspended ? "suspended" : settled ? "good" : "attention"
        return "<span class=\"badge \(kind)\">\(text.htmlEscaped)</span>"
    }

    private static func form(action: String, label: String, session: ConsoleSession) -> String {
        """
        <form method="post" action="\(action)"><input type="hidden" name="csrf" value="\(session.csrf.htmlEscaped)"><button type="submit">\(label.htmlEscaped)</button></form>

        """
    }

    private static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    private static func layout(title: String, session: ConsoleSession?, body: String) -> String {
        var header = "<a class=\"skip\" href=\"#main\">Skip to content</a>\n<header><p class=\"brand\"><a href=\"/console\">Roomkeeper</a></p>\n"
        if let session {
            header += "<nav aria-label=\"Account\"><span>\(session.name.htmlEscaped) (\(session.role.rawValue))</span> "
            header += "<form method=\"post\" action=\"/console/signout\"><input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf.htmlEscaped)\">"
            header += "<button type=\"submit\">Sign out</button></form></nav>\n"
        }
        header += "</header>\n"
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title.htmlEscaped) · Roomkeeper</title><link rel="stylesheet" href="/console/console.css"></head>
            <body>
            \(header)<main id="main">
            \(body)</main>
            </body></html>

            """
    }

    /// The one stylesheet: system fonts, contrast of at least 4.5:1, wide tables scroll on a phone.
    static let stylesheet = """
        body { font-family: system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fff; line-height: 1.5; }
        header { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; padding: 0.5rem 1rem; background: #1f3b5c; color: #fff; }
        header a, header span { color: #fff; }
        header form { display: inline; }
        .brand { margin: 0; font-weight: bold; }
        main { padding: 1rem; max-width: 70rem; }
        .skip { position: absolute; left: -999px; }
        .skip:focus { left: 1rem; top: 0.5rem; background: #fff; color: #1b1b1b; padding: 0.25rem; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; min-width: 100%; }
        th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid #c8c8c8; }
        caption { text-align: left; font-weight: bold; padding: 0.4rem 0; }
        .badge { padding: 0.1rem 0.4rem; border-radius: 0.25rem; border: 1px solid; }
        .good { color: #14532d; background: #dcfce7; }
        .attention { color: #7c2d12; background: #ffedd5; }
        .suspended { color: #1e293b; background: #e2e8f0; }
        dt { font-weight: bold; }
        dd { margin: 0 0 0.5rem 0; }
        dd, td, h1, h2, h3, p { overflow-wrap: anywhere; }
        .actions form { display: inline-block; margin-right: 0.5rem; }
        .step { border-top: 1px solid #c8c8c8; padding: 0.5rem 0; }
        .step h2 { font-size: 1.1rem; }
        .where span { font-weight: bold; }
        .values th { width: 14rem; }
        @media (max-width: 40rem) { .values th { width: auto; } }
        .upn { display: block; font-weight: normal; color: #4a4a4a; }
        .filter { margin: 0.5rem 0 1rem; }
        .filter input { font: inherit; padding: 0.3rem; margin: 0 0.5rem; }
        button { font: inherit; padding: 0.4rem 0.8rem; border: 1px solid #1f3b5c; background: #fff; color: #1f3b5c; border-radius: 0.25rem; cursor: pointer; }
        header button { background: #1f3b5c; color: #fff; border-color: #fff; }
        a:focus, button:focus { outline: 3px solid #f59e0b; outline-offset: 2px; }

        """
}
