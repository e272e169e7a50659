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

    private static func teams(_ notification: DriftNotification, report: DriftReport) -> JSONValue {
        let title: String =
            switch notification.event {
            case .appeared: "Drift appeared in the Teams Rooms portal"
            case .cleared: "Drift cleared: the Teams Rooms portal matches git again"
            case .changed: "Drift changed in the Teams Rooms portal"
            case .digest: "Drift persists in the Teams Rooms portal"
            }
        var blocks: [JSONValue] = [
            ["type": "TextBlock", "text": .string(title), "weight": "Bolder", "size": "Medium", "wrap": true],
            ["type": "TextBlock", "text": .string(DriftRenderer.summary(report).markdownEscaped), "wrap": true],
        ]
        func list(_ heading: String, _ targets: [String]) {
            guard !targets.isEmpty else { return }
            var lines = targets.prefix(itemLimit).map { "- \($0.markdownEscaped)" }
            if targets.count > itemLimit { lines.append("- …and \(targets.count - itemLimit) more") }
            blocks.append(["type": "TextBlock", "text": .string("\(heading)\n\n" + lines.joined(separator: "\n")), "wrap": true])
        }
        list("Appeared:", notification.appeared)
        list("Cleared:", notification.cleared)
        if notification.event == .digest { list("Still drifting:", report.items.map(\.target.description)) }
        var facts: [JSONValue] = [
            ["title": "Portal", "value": .string(report.portal.markdownEscaped)],
            ["title": "Source", "value": .string(report.source.markdownEscaped)],
        ]
        if let revision = report.sourceRevision { facts.append(["title": "Revision", "value": .string(revision.markdownEscaped)]) }
        blocks.append(["type": "FactSet", "facts": .array(facts)])
        let card: JSONValue = [
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
            "body": .array(blocks),
        ]
        return ["type": "message", "attachments": [["contentType": "application/vnd.microsoft.card.adaptive", "content": card]]]
    }
}
