import Foundation

/// Where the controller stands, as `/status` shows it and as Flux's conditions say it: ready,
/// reconciling or stalled, with a stable reason and a free-text message.
public struct ControllerStatus: Codable, Sendable, Equatable {
    public enum Condition: String, Codable, Sendable {
        /// The last reconcile succeeded.
        case ready = "Ready"
        /// A reconcile is running, or none has finished yet.
        case reconciling = "Reconciling"
        /// A person must act (invalid manifests, a refused plan, a denied token): no retry until the source changes.
        case stalled = "Stalled"
        /// The last reconcile failed for a reason that may pass (portal unreachable, lease held); retried with back-off.
        case failing = "Failing"
    }

    /// Stable reasons, as API: tools may switch on them.
    public enum Reason: String, Codable, Sendable {
        case starting = "Starting"
        case inSync = "InSync"
        case driftDetected = "DriftDetected"
        case healed = "Healed"
        case manifestInvalid = "ManifestInvalid"
        case sourceFetchFailed = "SourceFetchFailed"
        case portalUnreachable = "PortalUnreachable"
        /// The tenant's directory (Microsoft Graph) could not be read.
        case directoryUnreachable = "DirectoryUnreachable"
        /// The token is unknown, or its user lacks a permission Roomkeeper needs.
        case accessDenied = "AccessDenied"
        case incompleteRead = "IncompleteRead"
        case planRefused = "PlanRefused"
        case leaseHeld = "LeaseHeld"
        case applyFailed = "ApplyFailed"
        case suspended = "Suspended"
        /// The revision's signature is missing, unknown or bad; the last applied revision stands.
        case unverifiedRevision = "UnverifiedRevision"
        /// A signed revision that does not descend from the last verified one (a reset or
        /// rewritten branch); the last applied revision stands until an operator accepts it.
        case historyRewritten = "HistoryRewritten"
        /// The last reconcile ran past its deadline (a stalled git server or portal) and was abandoned.
        case timedOut = "ReconcileTimedOut"
    }

    public var condition: Condition = .reconciling
    public var reason: Reason = .starting
    public var message = "no reconcile has finished yet"
    public var mode: ControllerMode
    public var suspended = false
    /// The revision the last reconcile started from (written before it runs).
    public var lastAttemptedRevision: String?
    /// The revision the portal was last brought to (self-heal) or found in sync with.
    public var lastAppliedRevision: String?
    public var lastReconcileAt: Date?
    public var lastSuccessAt: Date?
    /// Drift items in the last report (snoozed ones not counted).
    public var driftItems = 0
    public var consecutiveFailures = 0
    /// Reconciles finished, whatever their outcome.
    public var reconciles = 0
    /// When the next reconcile is due, unless a webhook brings it forward.
    public var nextReconcileAt: Date?

    public init(mode: ControllerMode) {
        self.mode = mode
    }

    /// Ready to serve traffic, in Kubernetes' sense: the first reconcile has finished, whatever its
    /// outcome. Stalled and failing are statuses, not reasons to take the pod out of service: its
    /// webhook is how a fixed revision arrives. Not while the last reconcile was abandoned as
    /// stuck: something is hanging, and a person should know.
    public var isReady: Bool { reason != .starting && reason != .timedOut }
}

/// What the controller does with drift: reverts it (`self-heal`), or only reports it.
public enum ControllerMode: String, Codable, Sendable {
    case selfHeal = "self-heal"
    case report
}
