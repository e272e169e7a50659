import Foundation
import Reconciler

/// Renders an apply for people (progress lines and the closing table) and for machines (JSON).
public struct ApplyRenderer: Sendable {
    public var style: TerminalStyle

    public init(style: TerminalStyle) {
        self.style = style
    }

    /// One finished action, as a line for logs: `  done    + RoomGroup/london-floor-3`.
    public func progressLine(_ progress: ApplyProgress) -> String {
        let result = progress.result
        let counter = style.dim("[\(progress.finished)/\(progress.total)]")
        let outcome = result.outcome == .done ? style.green("done") : style.red("FAILED")
        var line = "  \(counter) \(outcome) \(result.type.rawValue) \(result.target.description.terminalSafe)"
        if let message = result.message { line += ": " + message.terminalSafe }
        return line
    }

    /// A counter that rewrites itself on a terminal: `Applying: 120/4000 done, 0 failed`.
    public func counter(_ progress: ApplyProgress) -> String {
        "\r\u{1B}[2KApplying: \(progress.finished)/\(progress.total) done"
            + (progress.failed > 0 ? ", " + style.red("\(progress.failed) failed") : "")
    }

    /// The closing table: done / failed / not attempted, each failure and skipped action named.
    public func summary(_ report: ApplyReport) -> String {
        var output = "\n"
        let failed = report.results.filter { $0.outcome == .failed }
        let skipped = report.results.filter { $0.outcome == .notAttempted }
        if let reason = report.stoppedBecause {
            output += style.red("Stopped:") + " " + reason.terminalSafe + "; no further action was started.\n\n"
        }
        for result in failed {
            output += "  " + style.red("failed") + "         \(result.action.description.terminalSafe)\n"
            output += "                 " + (result.message ?? "no reason given").terminalSafe + "\n"
        }
        for result in skipped {
            output += "  " + style.yellow("not attempted") + "  \(result.action.description.terminalSafe)\n"
        }
        if !failed.isEmpty || !skipped.isEmpty { output += "\n" }
        let rows: [(String, Int)] = [
            ("done", report.count(.done)), ("failed", report.count(.failed)), ("not attempted", report.count(.notAttempted)),
        ]
        for (label, count) in rows {
            output += "  " + label.padding(toLength: 14, withPad: " ", startingAt: 0) + String(count).leftPadded(to: 6) + "\n"
        }
        let headline =
            report.succeeded
            ? style.green("Apply complete:") + " \(report.results.count) action\(report.results.count == 1 ? "" : "s") done."
            : style.red("Apply incomplete.") + " The portal is consistent; run plan again to see what is left, then apply."
        return output + "\n" + headline + "\n"
    }

    /// The report as JSON (keys sorted, dates in ISO 8601).
    public static func json(_ report: ApplyReport) throws -> String {
        try PrettyJSON.encode(report)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
