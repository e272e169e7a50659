import Foundation

/// What happens to an apply, step by step, in the order the executor does it: the run's start,
/// each action when it is about to be sent (`intended`), queued in the portal (`sent`), answered
/// (`confirmed` or `failed`), and the run's end.
public enum ApplyEvent: String, Codable, Sendable {
    case started, intended, sent, confirmed, failed, finished
}

/// Where the executor records each step ahead of doing it (the state folder's write-ahead
/// journal), so that a run cut off can be reviewed by the next.
public protocol ApplyRecorder: Sendable {
    func record(_ event: ApplyEvent, action: ActionID?, detail: String?, portal: String?) async
}

/// What an earlier apply that never finished left in flight, as its journal tells.
public struct InterruptedRun: Sendable, Equatable {
    public var planId: String
    public var startedAt: Date?
    public var confirmed: Int
    /// The ids of the actions the portal confirmed (`delete RoomGroup/lobby`).
    public var confirmedActions: [ActionID]
    /// Actions sent or about to be sent whose answer never came: the portal may or may not have done them.
    public var unanswered: [ActionID]
    /// The portal the run worked on, as its start line names it.
    public var portal: String?
    public var url: URL

    public init(
        planId: String, startedAt: Date?, confirmed: Int, confirmedActions: [ActionID], unanswered: [ActionID], portal: String?, url: URL
    ) {
        self.planId = planId
        self.startedAt = startedAt
        self.confirmed = confirmed
        self.confirmedActions = confirmedActions
        self.unanswered = unanswered
        self.portal = portal
        self.url = url
    }
}
