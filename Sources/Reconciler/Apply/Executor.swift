import Foundation
import Manifests
import PortalAPI

/// How an apply runs.
public struct ApplyOptions: Sendable {
    /// Actions in flight at once, within a stage.
    public var concurrency: Int
    /// How long to wait for a queued device action to complete.
    public var operationTimeout: Duration
    public var pollInterval: Duration

    public init(concurrency: Int = 8, operationTimeout: Duration = .seconds(300), pollInterval: Duration = .milliseconds(200)) {
        self.concurrency = concurrency
        self.operationTimeout = operationTimeout
        self.pollInterval = pollInterval
    }
}

/// Carries out a plan: stage by stage (every dependency lies in an earlier stage), the actions of
/// a stage with bounded concurrency. Updates, deletes and moves send the entity tag the plan saw
/// in `If-Match`, so a hand edit made since is refused by the portal, never overwritten. Creates
/// carry an idempotency key derived from the plan, so a retried create makes one object.
///
/// On the first failure (or when `stopReason` gives one: an interruption, a lost lease) no new
/// action starts; actions in flight finish; the rest are reported as not attempted.
public struct Executor: Sendable {
    let portal: any Portal
    let journal: (any ApplyRecorder)?
    let options: ApplyOptions
    /// Where Autopilot group tags are set (Microsoft Graph); nil when no directory is connected.
    let devices: (any DeviceRegistryWriter)?

    public init(portal: any Portal, journal: (any ApplyRecorder)?, options: ApplyOptions = ApplyOptions(), devices: (any DeviceRegistryWriter)? = nil)
    {
        self.portal = portal
        self.journal = journal
        self.options = options
        self.devices = devices
    }

    public func apply(
        _ plan: Plan, stopReason: @Sendable () -> String? = { nil }, progress: @Sendable (ApplyProgress) -> Void = { _ in }
    ) async -> ApplyReport {
        let startedAt = Date()
        await journal?.record(.started, action: nil, detail: "\(plan.actions.count) actions", portal: portal.endpointDescription)
        var results: [ActionID: ActionResult] = [:]
        var stopped: String?
        var failed = 0
        let stages = Dictionary(grouping: plan.actions, by: \.stage).sorted { $0.key < $1.key }
        for (_, actions) in stages {
            if stopped == nil, let reason = stopReason() { stopped = reason }
            guard stopped == nil else { break }
            await withTaskGroup(of: ActionResult.self) { group in
                var pending = actions[...]
                for _ in 0..<max(1, options.concurrency) {
                    guard let action = pending.popFirst() else { break }
                    group.addTask { await perform(action, plan: plan) }
                }
                while let result = await group.next() {
                    results[result.action] = result
                    if result.outcome == .failed {
                        failed += 1
                        stopped = stopped ?? "\(result.action) failed"
                    }
                    progress(ApplyProgress(result: result, finished: results.count, failed: failed, total: plan.actions.count))
                    if stopped == nil, let reason = stopReason() { stopped = reason }
                    if stopped == nil, let action = pending.popFirst() {
                        group.addTask { await perform(action, plan: plan) }
                    }
                }
            }
        }
        let ordered = plan.actions.map { results[$0.id] ?? ActionResult(action: $0, outcome: .notAttempted) }
        let report = ApplyReport(
            planId: plan.id, portal: portal.endpointDescription, startedAt: startedAt, finishedAt: Date(), results: ordered,
            stoppedBecause: stopped)
        await journal?.record(
            .finished, action: nil,
            detail: "\(report.count(.done)) done, \(report.count(.failed)) failed, \(report.count(.notAttempted)) not attempted", portal: nil)
        return report
    }

    // MARK: - One action

    private func perform(_ action: PlannedAction, plan: Plan) async -> ActionResult {
        await journal?.record(.intended, action: action.id, detail: nil, portal: nil)
        do {
            let note = try await send(action, plan: plan)
            await journal?.record(.confirmed, action: action.id, detail: note, portal: nil)
            return ActionResult(action: action, outcome: .done, message: note)
        } catch {
            let message = Self.explain(error, action)
            await journal?.record(.failed, action: action.id, detail: message, portal: nil)
            return ActionResult(action: action, outcome: .failed, message: message)
        }
    }

    /// Sends one action; returns a note for the report when there is something to say.
    private func send(_ action: PlannedAction, plan: Plan) async throws -> String? {
        switch action.type {
        case .create, .update:
            guard let payload = action.payload else { throw ExecutorError("the plan gives no object to send") }
            let key = "\(plan.id)/\(action.id)"
            switch payload {
            case .roomGroup(let object): try await write(object, action, idempotencyKey: key)
            case .role(let object): try await write(object, action, idempotencyKey: key)
            case .roleAssignment(let object): try await write(object, action, idempotencyKey: key)
            case .updateRing(let object): try await write(object, action, idempotencyKey: key)
            case .updateRingId, .autopilotGroupTag: throw ExecutorError("the plan gives no object to \(action.type.rawValue)")
            }
            return nil
        case .delete:
            let (id, etag) = try identity(action)
            switch action.target.kind.manifestKind {
            case .roomGroup: try await portal.delete(PortalRoomGroup.self, id: id, ifMatch: etag)
            case .role: try await portal.delete(PortalRole.self, id: id, ifMatch: etag)
            case .roleAssignment: try await portal.delete(PortalRoleAssignment.self, id: id, ifMatch: etag)
            case .updateRing: try await portal.delete(PortalUpdateRing.self, id: id, ifMatch: etag)
            case .device, nil: throw ExecutorError("\(action.target.kind) objects cannot be deleted")
            }
            return nil
        case .moveToRing:
            let (id, etag) = try identity(action)
            guard case .updateRingId(let ring) = action.payload else { throw ExecutorError("the plan names no ring to move to") }
            _ = try await portal.moveRoom(id, toRing: ring, ifMatch: etag)
            return nil
        case .enroll, .unenroll:
            // A Device manifest's enrollment is its room's: the action's portal id is the room.
            guard let id = action.target.portalId else { throw ExecutorError("the plan names no room id") }
            return try await runRoomAction(action.type == .enroll ? .enroll : .unenroll, room: id, action: action)
        case .setGroupTag:
            // The action's portal id is the Autopilot registration's.
            guard let id = action.target.portalId, case .autopilotGroupTag(let tag) = action.payload else {
                throw ExecutorError("the plan names no Autopilot registration or group tag")
            }
            guard let devices else { throw ExecutorError("no directory is connected to set Autopilot group tags through (--graph)") }
            try await devices.setAutopilotGroupTag(tag, registration: id)
            return nil
        }
    }

    private func write<R: OwnedResource>(_ object: R, _ action: PlannedAction, idempotencyKey: String) async throws {
        if action.type == .create {
            _ = try await portal.create(object, idempotencyKey: idempotencyKey)
        } else {
            guard let etag = action.fingerprint else { throw ExecutorError("the plan has no entity tag to update with") }
            _ = try await portal.replace(object, ifMatch: etag)
        }
    }

    private func identity(_ action: PlannedAction) throws -> (id: String, etag: String) {
        guard let id = action.target.portalId, let etag = action.fingerprint else {
            throw ExecutorError("the plan has no portal id and entity tag for \(action.target)")
        }
        return (id, etag)
    }

    /// Queues enrolling or unenrolling a room and waits until the portal completes it, within the timeout.
    private func runRoomAction(_ type: RoomOperation.Action, room: String, action: PlannedAction) async throws -> String? {
        let wanted = type == .enroll ? "enrolled" : "unenrolled"
        var operation: RoomOperation
        do {
            operation = try await portal.queue(type, room: room)
        } catch let error as PortalError where error.status == 409 {
            // Already done, or already queued by an earlier run that was cut off.
            let current = try await portal.get(PortalRoom.self, id: room).resource
            if current.enrollmentState?.rawValue == wanted { return "already \(wanted)" }
            throw error
        }
        await journal?.record(.sent, action: action.id, detail: "operation \(operation.id)", portal: nil)
        let deadline = ContinuousClock.now.advanced(by: options.operationTimeout)
        while operation.status == .queued {
            guard ContinuousClock.now < deadline else {
                throw ExecutorError(
                    "operation \(operation.id) is still queued after \(options.operationTimeout); the portal will finish it "
                        + "on its own: run plan again later to see the result")
            }
            try await Task.sleep(for: options.pollInterval)
            operation = try await portal.operation(operation.id)
        }
        guard operation.status == .succeeded else { throw ExecutorError("the portal reports operation \(operation.id) failed") }
        return nil
    }

    /// What a person should know about a failure, and what to do.
    static func explain(_ error: any Error, _ action: PlannedAction) -> String {
        guard let error = error as? PortalError else { return "\(error)" }
        switch error.status {
        case 412:
            return "\(action.target) changed in the portal after the plan was made; Roomkeeper does not overwrite that edit. "
                + "Run plan again to see it (\(error.message))"
        case 409 where action.type == .create:
            return "\(action.target) already exists in the portal (another run or a person created it); run plan again (\(error.message))"
        case 404:
            return "\(action.target) no longer exists in the portal; run plan again (\(error.message))"
        case 401, 403:
            return "the portal refused: \(error.message); the token's user needs the permission"
        default:
            return error.description
        }
    }
}

/// A plan that cannot be carried out as written.
struct ExecutorError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
