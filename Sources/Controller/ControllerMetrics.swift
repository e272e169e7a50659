import Prometheus

/// The controller's Prometheus metrics, served at `/metrics` in the text exposition format.
public struct ControllerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let reconcileSucceeded: Counter
    let reconcileFailed: Counter
    let reconcileStalled: Counter
    let reconcileDuration: DurationHistogram
    let driftItems: Gauge
    let lastSuccess: Gauge
    let portalErrors: Counter
    let portalRetries: Counter
    let appliedActions: Counter
    let suspended: Gauge

    public init() {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "roomkeeper", metricName: metric, unitName: unit, helpText: help)
        }
        let reconciles = name("reconcile", "total", "Reconciles by result.")
        reconcileSucceeded = registry.makeCounter(descriptor: reconciles, labels: [("result", "success")])
        reconcileFailed = registry.makeCounter(descriptor: reconciles, labels: [("result", "failure")])
        reconcileStalled = registry.makeCounter(descriptor: reconciles, labels: [("result", "stalled")])
        reconcileDuration = registry.makeDurationHistogram(
            descriptor: name("reconcile_duration", "seconds", "How long a reconcile took, from fetching the source to the drift report."),
            buckets: [.milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300)])
        driftItems = registry.makeGauge(descriptor: name("drift", "items", "Drift items in the last report, snoozed ones excluded."))
        lastSuccess = registry.makeGauge(
            descriptor: name("last_success_timestamp", "seconds", "Unix time of the last successful reconcile."))
        portalErrors = registry.makeCounter(descriptor: name("portal_errors", "total", "Reconciles that failed on the portal's API."))
        portalRetries = registry.makeCounter(
            descriptor: name("portal_retries", "total", "Portal requests retried after throttling (429), server errors or lost connections."))
        appliedActions = registry.makeCounter(descriptor: name("applied_actions", "total", "Actions self-heal carried out."))
        suspended = registry.makeGauge(descriptor: name("suspended", "state", "1 while reconciling is suspended."))
    }

    /// The exposition text.
    public func exposition() -> String { registry.emitToString() }
}
