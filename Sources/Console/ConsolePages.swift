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
    }

    static func overview(_ tenants: [TenantLine], notStarted: [String: String], session: ConsoleSession) -> String {
        var body = "<h1>Tenants</h1>\n"
        let drifting = tenants.filter { $0.status.reason == .driftDetected }.count
        let failing = tenants.filter { [.failing, .stalled].contains($0.status.condition) }.count
        body += "<p>\(tenants.count) \(tenants.count == 1 ? "tenant" : "tenants"): \(drifting) with drift or findings, \(failing) failing.</p>\n"
        body += """
            <div class="scroll"><table>
            <caption>Each tenant's last reconcile</caption>
            <thead><tr><th scope="col">Tenant</th><th scope="col">State</th><th scope="col">Drift items</th><th scope="col">Revision</th><th scope="col">Last check</th></tr></thead>
            <tbody>

            """
        for line in tenants {
            let status = line.status
            body += "<tr><th scope=\"row\"><a href=\"/console/tenants/\(line.name.htmlEscaped)\">\(line.name.htmlEscaped)</a></th>"
            body += "<td>\(state(status))</td><td>\(status.driftItems)</td>"
            body += "<td>\(status.lastAppliedRevision.map { "<code>\(String($0.prefix(12)).htmlEscaped)</code>" } ?? "none yet")</td>"
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
            ("Mode", status.mode.rawValue), ("Drift items", String(status.driftItems)),
            ("Last applied revision", status.lastAppliedRevision ?? "none yet"),
            ("Last attempted revision", status.lastAttemptedRevision ?? "none yet"),
            ("Last check", status.lastReconcileAt.map(time) ?? "not yet"), ("Last success", status.lastSuccessAt.map(time) ?? "not yet"),
            ("Next check", status.nextReconcileAt.map(time) ?? "not scheduled"), ("Failures in a row", String(status.consecutiveFailures)),
        ]
        for (term, value) in facts { body += "<dt>\(term.htmlEscaped)</dt><dd>\(value.htmlEscaped)</dd>\n" }
        body += "</dl>\n"
        body += "<ul class=\"links\"><li><a href=\"/console/tenants/\(line.name.htmlEscaped)/drift\">Drift report</a></li>\n"
        body += "<li><a href=\"/console/tenants/\(line.name.htmlEscaped)/checklist\">Checklist</a> (the portal's changes a person makes)</li></ul>\n"
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
        if pages > 1 {
            body += "<nav aria-label=\"Checklist pages\"><p>Page \(current) of \(pages). "
            if current > 1 { body += "<a href=\"\(base)/checklist?page=\(current - 1)\" rel=\"prev\">Previous page</a> " }
            if current < pages { body += "<a href=\"\(base)/checklist?page=\(current + 1)\" rel=\"next\">Next page</a>" }
            body += "</p></nav>\n"
        }
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
    static func drift(_ tenant: String, _ report: DriftReport?, history: [DriftHistoryEntry], session: ConsoleSession) -> String {
        var body = "<p><a href=\"/console/tenants/\(tenant.htmlEscaped)\">\(tenant.htmlEscaped)</a></p>\n"
        body +=
            report.map { DriftRenderer.htmlBody($0, history: history) }
            ?? "<h1>Drift</h1>\n<p>No drift report yet: the first check has not finished.</p>\n"
        return layout(title: "Drift", session: session, body: body)
    }

    /// A page that says why something was refused or failed.
    static func problem(_ title: String, _ message: String, session: ConsoleSession?) -> String {
        layout(title: title, session: session, body: "<h1>\(title.htmlEscaped)</h1>\n<p role=\"alert\">\(message.htmlEscaped)</p>\n")
    }

    static func signedOut() -> String {
        layout(title: "Signed out", session: nil, body: "<h1>Signed out</h1>\n<p><a href=\"/console\">Sign in again</a></p>\n")
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
        .actions form { display: inline-block; margin-right: 0.5rem; }
        .step { border-top: 1px solid #c8c8c8; padding: 0.5rem 0; }
        .step h2 { font-size: 1.1rem; }
        .where span { font-weight: bold; }
        .values th { width: 14rem; }
        button { font: inherit; padding: 0.4rem 0.8rem; border: 1px solid #1f3b5c; background: #fff; color: #1f3b5c; border-radius: 0.25rem; cursor: pointer; }
        header button { background: #1f3b5c; color: #fff; border-color: #fff; }
        a:focus, button:focus { outline: 3px solid #f59e0b; outline-offset: 2px; }

        """
}
