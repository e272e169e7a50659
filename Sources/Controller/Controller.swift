import Engine
import Foundation
import GitSource
import Logging
import Manifests
import PortalAPI
import Reconciler
import Reports
import ServiceLifecycle
import StateStore
import Synchronization

/// How the controller reconciles: which source, how often, and whether it heals drift itself.
public struct ControllerConfiguration: Sendable {
    public var origin: SourceOrigin
    public var cacheFolder: URL
    public var stateFolder: URL
    /// Between reconciles that succeeded (or stalled), give or take `jitter` of it.
    public var interval: Duration
    /// A fraction (0 to 0.5) of the interval to vary it by, so that many controllers do not
    /// poll the same git server and portal in step.
    public var jitter: Double
    /// The first wait after a failure; it doubles with each failure in a row, up to `interval`.
    public var retryInterval: Duration
    /// Self-heal applies the plan when the portal differs from git (as Flux and Argo CD do); report only reports.
    public var mode: ControllerMode
    public var concurrency: Int
    /// The drift history file; one per portal under the state folder when nil.
    public var historyURL: URL?
    public var notifier: DriftNotifier?
    /// How long fetching the source may take.
    public var sourceTimeouts: GitTimeouts
    /// Whose signatures a revision must carry before it is reconciled; nil for any.
    public var trust: SignatureTrust?
    /// A commit accepted as the new base although it does not descend from the last verified one.
    public var acceptedRewrite: String?
    /// Whether plain `http://` or `git://` to another host is allowed (with `trust` only).
    public var allowsInsecureSource = false
    /// How long one reconcile may take in all: past it the pass is abandoned, the lease is no
    /// longer renewed, and `/readyz` says so.
    public var reconcileTimeout: Duration
    /// Opens the portal the operator configured.
    /// Nil when the portal has no API: each pass then checks git against the tenant's directory
    /// alone (Microsoft Graph), reports what it finds, and applies nothing.
    public var openPortal: (@Sendable () async throws -> any Portal)?
    /// The time the loop, its deadlines and the lease go by.
    public var clock: any ReconcileClock
    /// In Kubernetes, whether this replica holds the tenant's Lease now: self-heal applies only
    /// while it does, and stops before its next write once it does not. Nil: no such lock (the
    /// portal's reconciler lease still guards every apply).
    public var holdsLock: (@Sendable () -> Bool)?
    /// Shared by the tenants of one process: at most its limit reconcile at once, each taking a
    /// turn for its whole pass (deadline included); nil for a controller of one tenant.
    public var turns: ConcurrencyGate?
    /// The tenant's directory (Microsoft Graph), read beside the portal on every pass; one
    /// reader for the controller's life, so later passes read only what changed.
    public var directory: (any DirectorySource)?

    public init(
        origin: SourceOrigin, cacheFolder: URL, stateFolder: URL, interval: Duration, jitter: Double = 0.1,
        retryInterval: Duration = .seconds(30), mode: ControllerMode, concurrency: Int = 8, historyURL: URL? = nil,
        notifier: DriftNotifier? = nil, sourceTimeouts: GitTimeouts = GitTimeouts(), trust: SignatureTrust? = nil,
        acceptedRewrite: String? = nil, reconcileTimeout: Duration = .seconds(1800), clock: any ReconcileClock = MonotonicClock(),
        directory: (any DirectorySource)? = nil, openPortal: (@Sendable () async throws -> any Portal)?
    ) {
        self.directory = directory
        self.clock = clock
        self.sourceTimeouts = sourceTimeouts
        self.trust = trust
        self.acceptedRewrite = acceptedRewrite
        self.reconcileTimeout = reconcileTimeout
        self.origin = origin
        self.cacheFolder = cacheFolder
        self.stateFolder = stateFolder
        self.interval = interval
        self.jitter = jitter
        self.retryInterval = retryInterval
        self.mode = mode
        self.concurrency = concurrency
        self.historyURL = historyURL
        self.notifier = notifier
        self.openPortal = openPortal
    }
}

/// The reconcile loop, as Flux runs one: every interval (with jitter) fetch the source, read the
/// portal, report drift and, in self-heal mode, apply; back off after failures; wait for a new
/// revision when the manifests are invalid; suspend and resume on request; stop gracefully.
///
/// Logs fixed messages with metadata (swift-log); never logs a credential.
public actor Controller {
    public let configuration: ControllerConfiguration
    public nonisolated let metrics: ControllerMetrics
    private let engine: Engine
    private let logger: Logger
    private let wakeup: Wakeup
    private let stopping = StopFlag()
    private(set) public var status: ControllerStatus
    /// The last drift report, as `/report` serves it; nil before the first check.
    private(set) public var latestReport: DriftReport?
    /// With no portal API: the checklist of the last pass, less the steps confirmed since.
    private(set) public var latestChecklist: Checklist?
    /// The last pass's plan: what the next apply would do, or (through Graph alone) the
    /// directory's findings and the steps for a person.
    private(set) public var latestPlan: Plan?
    /// Who can get in, as the last pass read it.
    private(set) public var latestAccess: AccessReport?
    /// The history the last check was recorded in.
    private var latestHistory: DriftHistory?
    /// What the last reconcile saw, to log changes at info and repeats at debug.
    private var lastSeen: (revision: String, drift: Set<String>)?
    private var stalledRevision: String?

    public init(configuration: ControllerConfiguration, metrics: ControllerMetrics = ControllerMetrics(), logger: Logger) {
        self.configuration = configuration
        self.metrics = metrics
        engine = Engine(stateFolder: configuration.stateFolder, directory: configuration.directory)
        wakeup = Wakeup(clock: configuration.clock)
        self.logger = logger
        status = ControllerStatus(mode: configuration.mode)
        status.suspended = FileManager.default.fileExists(atPath: engine.state.controllerSuspendMarker.path)
        if status.suspended { status.reason = .suspended }
        metrics.suspended.set(to: status.suspended ? 1 : 0)
    }

    // MARK: - Control

    /// Reconciles until `stop()`: once at start, then after each interval or trigger.
    public func run() async {
        logger.info("Controller started", metadata: ["mode": "\(status.mode.rawValue)", "source": "\(describe(configuration.origin))"])
        while !stopping.isSet {
            if status.suspended {
                logger.debug("Suspended; not reconciling")
            } else if let turns = configuration.turns {
                try? await turns.run { await self.reconcile() }
            } else {
                await reconcile()
            }
            guard !stopping.isSet else { break }
            let delay = nextDelay()
            status.nextReconcileAt = Date().addingTimeInterval(delay.seconds)
            await wakeup.wait(for: delay)
        }
        logger.info("Controller stopped")
    }

    /// Brings the next reconcile forward to now (a git push webhook). Requests coalesce into at
    /// most one queued reconcile, and only the one that queues it is logged: a burst is one line.
    public func trigger(because reason: String) async {
        guard await wakeup.signal() else { return }
        logger.info("Reconcile requested", metadata: ["reason": "\(reason)"])
    }

    /// Stops reconciling until `resume()`, across restarts (a marker in the state folder).
    public func suspend() throws {
        try PrivateFiles.write(Data("suspended at \(Date().formatted(.iso8601))\n".utf8), to: suspendMarker)
        status.suspended = true
        status.reason = .suspended
        status.message = "suspended; resume to reconcile again"
        metrics.suspended.set(to: 1)
        logger.info("Suspended")
    }

    /// Reconciles again, at once.
    public func resume() async throws {
        if FileManager.default.fileExists(atPath: suspendMarker.path) { try FileManager.default.removeItem(at: suspendMarker) }
        status.suspended = false
        metrics.suspended.set(to: 0)
        logger.info("Resumed")
        await wakeup.signal()
    }

    /// Ends the loop after the reconcile in progress; an apply in progress starts no new action.
    public func stop() async {
        stopping.set("the controller is shutting down")
        await wakeup.signal()
    }

    private var suspendMarker: URL { engine.state.controllerSuspendMarker }

    func nextDelay() -> Duration {
        let interval = configuration.interval.seconds
        if status.condition == .failing, status.consecutiveFailures > 0 {
            let backoff = configuration.retryInterval.seconds * pow(2, Double(min(status.consecutiveFailures - 1, 20)))
            return .seconds(min(backoff, interval))
        }
        let jitter = min(max(configuration.jitter, 0), 0.5)
        return .seconds(interval * (1 + Double.random(in: -jitter...jitter)))
    }

    // MARK: - One reconcile

    /// Fetches, reads, reports drift and (in self-heal mode) applies; records the outcome in
    /// `status` and the metrics. Never throws: every failure becomes a condition.
    public func reconcile() async {
        let clock = configuration.clock
        let started = clock.elapsed
        status.lastReconcileAt = Date()
        let outcome: Outcome
        let deadline = started + configuration.reconcileTimeout
        do {
            outcome = try await withDeadline(configuration.reconcileTimeout) { try await self.attempt(deadline: deadline) }
        } catch is DeadlineExceeded {
            outcome = .failed(
                .timedOut,
                "the reconcile did not finish within \(configuration.reconcileTimeout.components.seconds) s; "
                    + "it was abandoned and its lease is no longer renewed")
        } catch {
            outcome = Self.classify(error)
        }
        metrics.reconcileDuration.recordNanoseconds((clock.elapsed - started).nanoseconds)
        record(outcome)
    }

    private enum Outcome: Sendable {
        /// `applied`: self-heal carried out a plan (or found nothing to do) at `revision`.
        case succeeded(reason: ControllerStatus.Reason, revision: String, drift: Set<String>, applied: Bool, message: String)
        case stalled(ControllerStatus.Reason, String)
        case failed(ControllerStatus.Reason, String)
    }

    private func attempt(deadline: Duration) async throws -> Outcome {
        let snapshot = try await ManifestSnapshot.read(
            configuration.origin, cacheFolder: configuration.cacheFolder, timeouts: configuration.sourceTimeouts, trust: configuration.trust,
            lineage: SourceLineage(records: VerifiedCommits(folder: engine.state.verifiedCommits), acceptedRewrite: configuration.acceptedRewrite),
            allowsInsecureTransport: configuration.allowsInsecureSource)
        status.lastAttemptedRevision = snapshot.revision
        if snapshot.hasErrors {
            let errors = snapshot.load.diagnostics.filter { $0.severity == .error }
            if stalledRevision != snapshot.revision {
                for diagnostic in errors.prefix(50) {
                    logger.error(
                        "Invalid manifest", metadata: ["location": "\(diagnostic.location?.description ?? "")", "problem": "\(diagnostic.message)"])
                }
                stalledRevision = snapshot.revision
            }
            let first = errors.first.map { "\($0.location?.description ?? ""): \($0.message)" } ?? ""
            let count = errors.count == 1 ? "1 error" : "\(errors.count) errors"
            return .stalled(.manifestInvalid, "\(count) in \(snapshot.description), first \(first); waiting for a new revision")
        }
        stalledRevision = nil
        guard let openPortal = configuration.openPortal else { return try await checkWithoutPortal(snapshot) }
        let portal = try await openPortal()
        defer {
            metrics.portalRetries.increment(by: Int64(portal.transportCounts.retried))
        }
        // An apply cut off earlier is reviewed even when there is nothing to heal: its journal is
        // closed and its deletions counted, so that the next read is not taken for a short one.
        if !engine.interruptedRuns(on: portal).isEmpty {
            let terms = leaseTerms(until: deadline)
            try await ReconcilerLease.withLease(on: portal, holder: terms.holder, clock: terms.clock, renewUntil: terms.renewUntil) { _ in
                logInterrupted(try await engine.reviewInterruptedRuns(on: portal))
            }
        }
        let history = engine.history(for: portal, explicit: configuration.historyURL)
        var drift = try await checkDrift(snapshot, portal: portal, history: history)
        var healedActions = 0
        // Snoozed items are left out of the report, not out of self-heal: apply still reverts them.
        // An error a person must fix (a disabled member) makes the plan refused: self-heal stalls on it.
        let needsApply = !drift.items.isEmpty || !drift.snoozed.isEmpty || drift.needsPerson.contains { $0.severity == .error }
        if configuration.mode == .selfHeal, needsApply {
            if let holdsLock = configuration.holdsLock, !holdsLock() {
                return .failed(.leaseHeld, "this replica does not hold the tenant's Lease; the replica that does heals it")
            }
            switch try await heal(snapshot, portal: portal, deadline: deadline, reverting: drift) {
            case .refused(let outcome): return outcome
            case .applied(let done): healedActions = done
            }
            // The history now holds the drift self-heal found; this check records the portal healed.
            if healedActions > 0 { drift = try await checkDrift(snapshot, portal: portal, history: history) }
        }
        let reason: ControllerStatus.Reason = drift.inSync ? (healedActions > 0 ? .healed : .inSync) : .driftDetected
        let healedWords = healedActions > 0 ? "healed, \(healedActions) actions applied; " : ""
        let message = healedWords + (drift.inSync ? "the portal matches git" : "\(drift.items.count) drift items left")
        return .succeeded(
            reason: reason, revision: snapshot.revision, drift: drift.fingerprints, applied: configuration.mode == .selfHeal, message: message)
    }

    /// One drift check, recorded in the history and notified; the delivery is logged.
    private func checkDrift(_ snapshot: ManifestSnapshot, portal: any Portal, history: DriftHistory) async throws -> DriftReport {
        let drift = try await engine.checkDrift(snapshot, portal: portal, history: history, notifier: configuration.notifier)
        switch drift.delivery {
        case .notDue: break
        case .delivered(let message, let receiver):
            logger.info("Notified", metadata: ["event": "\(message.event.rawValue)", "receiver": "\(receiver)"])
        case .failed(let error):
            logger.error("Notification not delivered; the next reconcile tries again", metadata: ["error": "\(error)"])
        }
        latestReport = drift.report
        latestHistory = history
        await chartHistory()
        latestPlan = drift.plan
        latestAccess = AccessReport.make(drift.live)
        latestChecklist = nil
        return drift.report
    }

    /// With no portal API: what the directory and devices say, served at `/report`; nothing is
    /// applied or recorded (it compares nothing with the portal, as `drift --graph` does not).
    private func checkWithoutPortal(_ snapshot: ManifestSnapshot) async throws -> Outcome {
        let (report, run) = try await engine.checkWithoutPortal(snapshot)
        latestReport = report
        driftChart = ""
        latestChecklist = run.checklist
        latestPlan = run.plan
        latestAccess = AccessReport.make(run.live)
        latestHistory = nil
        let inSync = report.inSync && report.needsPerson.isEmpty
        let message =
            inSync
            ? "the directory and devices match git"
            : "\(report.items.count) drift items and \(report.needsPerson.count) findings for a person (the portal has no API)"
        return .succeeded(
            reason: inSync ? .inSync : .driftDetected, revision: snapshot.revision, drift: report.fingerprints, applied: false, message: message)
    }

    /// Records that `person` did the open step `id` in the portal, as `apply --walk-through`
    /// records it, and takes it off the open steps until the next pass makes the list again.
    /// False when no open step has that id (done already, or changed since the page was made).
    public func confirm(step id: String, by person: String) async throws -> Bool {
        guard var checklist = latestChecklist, let index = checklist.steps.firstIndex(where: { $0.id == id }) else { return false }
        try await engine.confirm(checklist.steps[index], by: person)
        checklist.steps.remove(at: index)
        checklist.confirmed += 1
        latestChecklist = checklist
        return true
    }

    /// The report's chart of the latest checks, made once a check (the history it reads can
    /// hold thousands of items a check); empty before the first.
    public private(set) var driftChart = ""

    private func chartHistory() async {
        guard let history = latestHistory else {
            driftChart = ""
            return
        }
        driftChart = (try? await offCooperativePool { DriftRenderer.chart(try history.recent(limit: DriftRenderer.chartedChecks)) }) ?? ""
    }

    private enum HealOutcome {
        case refused(Outcome)
        /// The plan was applied; how many actions were done (0 when nothing was left to do).
        case applied(Int)
    }

    /// Self-heal: the engine's reconcile under the lease, logging the applies it finds cut off
    /// and each drift item it reverts, with whose edit that undoes.
    private func heal(_ snapshot: ManifestSnapshot, portal: any Portal, deadline: Duration, reverting drift: DriftReport) async throws -> HealOutcome
    {
        let stopping = stopping
        let holdsLock = configuration.holdsLock
        let outcome = try await engine.reconcile(
            on: portal, lease: leaseTerms(until: deadline), options: ApplyOptions(concurrency: configuration.concurrency),
            interrupted: logInterrupted,
            makePlan: { try await engine.plan(snapshot, portal: portal, options: PlanOptions()).plan },
            approve: { plan in
                logReverts(plan, drift)
                return true
            },
            stopReason: { stopping.reason ?? (holdsLock?() == false ? "this replica lost the tenant's Lease" : nil) })
        switch outcome {
        case .refused(let plan):
            let why =
                plan.blockers.map(BlockerWords.controller) + plan.findings.filter { $0.severity == .error }.map { "\($0.target): \($0.message)" }
            return .refused(.stalled(.planRefused, "the plan must not be applied: " + why.joined(separator: "; ")))
        case .nothingToDo, .declined:
            return .applied(0)
        case .applied(_, let report):
            metrics.appliedActions.increment(by: Int64(report.count(.done)))
            logger.info(
                "Applied",
                metadata: [
                    "revision": "\(snapshot.revision)", "done": .stringConvertible(report.count(.done)),
                    "failed": .stringConvertible(report.count(.failed)), "notAttempted": .stringConvertible(report.count(.notAttempted)),
                ])
            guard report.succeeded else {
                let failure = report.results.first { $0.outcome == .failed }
                return .refused(
                    .failed(
                        .applyFailed, "\(report.count(.failed)) actions failed" + (failure.map { ", first \($0.action): \($0.message ?? "")" } ?? ""))
                )
            }
            return .applied(report.count(.done))
        }
    }

    /// The controller's hold on the portal's lease, renewed no later than the reconcile's deadline.
    private func leaseTerms(until deadline: Duration) -> LeaseTerms {
        LeaseTerms(holder: ReconcilerLease.holderName(doing: "controller"), clock: configuration.clock, renewUntil: deadline)
    }

    /// Logs the applies found cut off, which this reconcile reads back.
    private func logInterrupted(_ runs: [InterruptedRun]) {
        for run in runs {
            logger.warning(
                "An earlier apply was cut off; this reconcile reads its results back",
                metadata: [
                    "plan": "\(run.planId)", "confirmed": .stringConvertible(run.confirmed), "unanswered": .stringConvertible(run.unanswered.count),
                ])
        }
    }

    /// Logs each drift item `plan` reverts, and whose edit that undoes.
    private func logReverts(_ plan: Plan, _ drift: DriftReport) {
        let acted = Set(plan.actions.map(\.target.key))
        for item in drift.items + drift.snoozed where acted.contains(item.target.key) {
            var metadata: Logger.Metadata = [
                "object": "\(item.target)", "state": "\(item.state.rawValue)", "cause": "\(item.cause.rawValue)",
                "explanation": "\(item.explanation)",
            ]
            if let person = item.changedBy { metadata["changedBy"] = "\(person)" }
            logger.notice(item.changedBy == nil ? "Self-heal reverts drift" : "Self-heal reverts a person's edit", metadata: metadata)
        }
    }

    private static func classify(_ error: any Error) -> Outcome {
        switch error {
        case GitSourceError.unverified(let unverified):
            // As with invalid manifests: the last applied revision stands until a trusted one comes.
            return .stalled(.unverifiedRevision, "\(unverified)")
        case GitSourceError.rewrittenHistory:
            return .stalled(.historyRewritten, "\(error)")
        case let error as GitSourceError: return .failed(.sourceFetchFailed, "\(error)")
        case let error as LeaseHeldError: return .failed(.leaseHeld, "\(error)")
        case let error as IncompleteReadError: return .stalled(.incompleteRead, "\(error)")
        case let error as PortalReadError:
            if let portal = error.underlying as? PortalError, [401, 403].contains(portal.status) {
                return .stalled(.accessDenied, "\(error); fix the token or its role assignments")
            }
            return .failed(.portalUnreachable, "\(error)")
        case let error as DirectoryReadError:
            if let refusal = error.underlying as? any AccessRefusal, refusal.isAccessRefused {
                return .stalled(.accessDenied, "\(error); fix the app registration's credential or its admin consent")
            }
            return .failed(.directoryUnreachable, "\(error)")
        case let error as PortalError where [401, 403].contains(error.status):
            return .stalled(.accessDenied, "the portal refused: \(error); fix the token or its role assignments")
        default: return .failed(.portalUnreachable, "\(error)")
        }
    }

    private func record(_ outcome: Outcome) {
        status.reconciles += 1
        switch outcome {
        case .succeeded(let reason, let revision, let drift, let applied, let message):
            let changed = lastSeen.map { $0.revision != revision || $0.drift != drift } ?? true
            lastSeen = (revision, drift)
            status.condition = .ready
            status.reason = reason
            status.message = message
            status.driftItems = drift.count
            status.consecutiveFailures = 0
            status.lastSuccessAt = Date()
            if applied || drift.isEmpty { status.lastAppliedRevision = revision }
            metrics.reconcileSucceeded.increment()
            metrics.driftItems.set(to: Double(drift.count))
            metrics.lastSuccess.set(to: Date().timeIntervalSince1970)
            let metadata: Logger.Metadata = ["revision": "\(revision)", "reason": "\(reason.rawValue)", "driftItems": "\(drift.count)"]
            if changed { logger.info("Reconciled", metadata: metadata) } else { logger.debug("Reconciled, nothing new", metadata: metadata) }
        case .stalled(let reason, let message):
            status.condition = .stalled
            status.reason = reason
            status.message = message
            status.consecutiveFailures = 0
            metrics.reconcileStalled.increment()
            logger.error("Stalled", metadata: ["reason": "\(reason.rawValue)", "message": "\(message)"])
        case .failed(let reason, let message):
            status.condition = .failing
            status.reason = reason
            status.message = message
            status.consecutiveFailures += 1
            metrics.reconcileFailed.increment()
            if reason == .portalUnreachable { metrics.portalErrors.increment() }
            logger.error(
                "Reconcile failed",
                metadata: ["reason": "\(reason.rawValue)", "message": "\(message)", "failuresInARow": .stringConvertible(status.consecutiveFailures)])
        }
    }

    private func describe(_ origin: SourceOrigin) -> String {
        switch origin {
        case .folder(let folder): folder
        case .git(let git): "\(redactedURL(git.url))@\(git.ref)\(git.path.isEmpty ? "" : ":\(git.path)")"
        }
    }
}

/// Set once when the controller stops; read by apply between actions, from any thread.
final class StopFlag: Sendable {
    private let value = Mutex<String?>(nil)

    var reason: String? { value.withLock { $0 } }
    var isSet: Bool { reason != nil }

    func set(_ reason: String) { value.withLock { $0 = $0 ?? reason } }
}

extension Duration {
    /// The duration in seconds, fractions included.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}

/// The controller's loop as a service of a `ServiceGroup`: a graceful shutdown (SIGTERM) lets
/// the reconcile in progress finish, with apply starting no new action.
public struct ControllerService: Service {
    public let controller: Controller

    public init(controller: Controller) {
        self.controller = controller
    }

    public func run() async throws {
        let controller = controller
        await withGracefulShutdownHandler {
            await controller.run()
        } onGracefulShutdown: {
            Task { await controller.stop() }
        }
    }
}
