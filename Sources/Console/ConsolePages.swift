import Controller
import Foundation
import PortalModel

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
        let drifting = tenants.filter { $0.status.driftItems > 0 }.count
        body += "<p>\(tenants.count) \(tenants.count == 1 ? "tenant" : "tenants"); \(drifting) with drift.</p>\n"
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
        let kind = status.suspended ? "suspended" : status.condition == .ready && status.driftItems == 0 ? "good" : "attention"
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
        button { font: inherit; padding: 0.4rem 0.8rem; border: 1px solid #1f3b5c; background: #fff; color: #1f3b5c; border-radius: 0.25rem; cursor: pointer; }
        header button { background: #1f3b5c; color: #fff; border-color: #fff; }
        a:focus, button:focus { outline: 3px solid #f59e0b; outline-offset: 2px; }

        """
}
