import Foundation
import Reconciler

/// The body a drift notification is posted with: plain JSON (the event and the whole report),
/// or a Microsoft Teams message carrying an Adaptive Card, as Teams' incoming webhooks accept.
public enum NotificationPayload {
    public enum Format: String, Sendable, CaseIterable {
        case json, teams
    }

    public static func body(_ notification: DriftNotification, report: DriftReport, format: Format) throws -> String {
        switch format {
        case .json: try PrettyJSON.encode(Envelope(notification: notification, report: report))
        case .teams: teams(notification, report: report).rendered()
        }
    }

    private struct Envelope: Encodable {
        var formatVersion = "1.0"
        var notification: DriftNotification
        var report: DriftReport
    }

    /// How many items a chat message names before it summarises the rest.
    static let itemLimit = 20

    /// A Teams message with an Adaptive Card (schema 1.4). Text from the report, which names
    /// objects from git and the portal, goes only into `TextRun`s, which Adaptive Cards never read
    /// as Markdown, so it shows as written: no escapes to show literally, no links to inject
    /// (adaptivecards.io: "TextRun ... Markdown is not supported"). `TextBlock`s carry only our
    /// own fixed words.
    private static func teams(_ notification: DriftNotification, report: DriftReport) -> JSONValue {
        let title: String =
            switch notification.event {
            case .appeared: "Drift appeared in the Teams Rooms portal"
            case .cleared: "Drift cleared: the Teams Rooms portal matches git again"
            case .changed: "Drift changed in the Teams Rooms portal"
            case .digest: "Drift persists in the Teams Rooms portal"
            }
        func plain(_ runs: [JSONValue], spacing: String? = nil) -> JSONValue {
            var block: [String: JSONValue] = ["type": "RichTextBlock", "inlines": .array(runs)]
            if let spacing { block["spacing"] = .string(spacing) }
            return .object(block)
        }
        func run(_ text: String, bold: Bool = false) -> JSONValue {
            var run: [String: JSONValue] = ["type": "TextRun", "text": .string(text.cardText)]
            if bold { run["weight"] = "Bolder" }
            return .object(run)
        }
        var blocks: [JSONValue] = [
            ["type": "TextBlock", "text": .string(title), "weight": "Bolder", "size": "Medium", "wrap": true],
            plain([run(DriftRenderer.summary(report))]),
        ]
        func list(_ heading: String, _ targets: [String]) {
            guard !targets.isEmpty else { return }
            blocks.append(["type": "TextBlock", "text": .string(heading), "weight": "Bolder", "wrap": true])
            for target in targets.prefix(itemLimit) { blocks.append(plain([run("• " + target)], spacing: "None")) }
            if targets.count > itemLimit { blocks.append(plain([run("…and \(targets.count - itemLimit) more")], spacing: "None")) }
        }
        list("Appeared", notification.appeared)
        list("Cleared", notification.cleared)
        if notification.event == .digest { list("Still drifting", report.items.map(\.target.description)) }
        var facts: [(String, String)] = [("Portal", report.portal), ("Source", report.source)]
        if let revision = report.sourceRevision { facts.append(("Revision", revision)) }
        for (index, (label, value)) in facts.enumerated() {
            blocks.append(plain([run("\(label): ", bold: true), run(value)], spacing: index == 0 ? "Medium" : "None"))
        }
        let card: JSONValue = [
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "body": .array(blocks),
        ]
        return ["type": "message", "attachments": [["contentType": "application/vnd.microsoft.card.adaptive", "content": card]]]
    }
}

extension String {
    /// Text for a card's `TextRun`: shown as written, so nothing is escaped; control characters
    /// become visible escapes and line breaks spaces, so one value stays on its line.
    var cardText: String {
        terminalSafe.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " ")
    }
}
