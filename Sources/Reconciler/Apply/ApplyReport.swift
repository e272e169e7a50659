import Foundation

/// What became of one planned action.
public enum ActionOutcome: String, Codable, Sendable, CaseIterable {
    case done
    case failed
    /// Never started: an earlier failure, an interruption or a lost lease stopped the run first.
    case notAttempted
}

/// One action's result, with what went wrong in words a person can act on.
public struct ActionResult: Codable, Sendable, Equatable {
    public var action: ActionID
    public var type: ActionType
    public var target: ObjectReference
    public var outcome: ActionOutcome
    public var message: String?

    public init(action: PlannedAction, outcome: ActionOutcome, message: String? = nil) {
        self.action = action.id
        self.type = action.type
        self.target = action.target
        self.outcome = outcome
        self.message = message
    }
}

/// The record of one apply: every action of the plan with its outcome, in plan order.
public struct ApplyReport: Codable, Sendable {
    public static let currentFormatVersion = "1.0"

    public var formatVersion = ApplyReport.currentFormatVersion
    public var planId: String
    public var portal: String
    public var startedAt: Date
    public var finishedAt: Date
    public var results: [ActionResult]
    /// Why the run stopped before the end of the plan, if it did.
    public var stoppedBecause: String?

    public init(planId: String, portal: String, startedAt: Date, finishedAt: Date, results: [ActionResult], stoppedBecause: String?) {
        self.planId = planId
        self.portal = portal
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.results = results
        self.stoppedBecause = stoppedBecause
    }

    public func count(_ outcome: ActionOutcome) -> Int { results.filter { $0.outcome == outcome }.count }

    /// Every action done.
    public var succeeded: Bool { results.allSatisfy { $0.outcome == .done } }
}

/// Where a run is, after each finished action.
public struct ApplyProgress: Sendable {
    public var result: ActionResult
    public var finished: Int
    public var failed: Int
    public var total: Int
}
