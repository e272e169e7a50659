import Prometheus
import Synchronization

import enum CoreMetrics.MetricsSystem

/// The controller's Prometheus metrics, served at `/metrics` in the text exposition format.
/// Gauges of what a reconcile finds have no sample until the first reconcile sets them: unknown,
/// not 0. The HTTP server's own request metrics (Hummingbird's, through swift-metrics) land in the
/// same registry once `bootstrapRequestMetrics()` has run.
public struct ControllerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let reconcileSucceeded: Counter
    let reconcileFailed: Counter
    let reconcileStalled: Counter
    let reconcileDuration: DurationHistogram
    let driftItems: LateGauge
    let lastSuccess: LateGauge
    let portalErrors: Counter
    let portalRetries: Counter
    let appliedActions: Counter
    let suspended: Gauge

    /// - Parameters:
    ///   - registry: shared by the tenants of one process, each series labelled with its tenant.
    ///   - tenant: the `tenant` label of every series; nil for a controller of one tenant.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), tenant: String? = nil) {
        self.registry = registry
        let tenantLabel = tenant.map { [("tenant", $0)] } ?? []
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "roomkeeper", metricName: metric, unitName: unit, helpText: help)
        }
        let reconciles = name("reconcile", "total", "Reconciles by result.")
        reconcileSucceeded = registry.makeCounter(descriptor: reconciles, labels: [("result", "success")] + tenantLabel)
        reconcileFailed = registry.makeCounter(descriptor: reconciles, labels: [("result", "failure")] + tenantLabel)
        reconcileStalled = registry.makeCounter(descriptor: reconciles, labels: [("result", "stalled")] + tenantLabel)
        reconcileDuration = registry.makeDurationHistogram(
            descriptor: name("reconcile_duration", "seconds", "How long a reconcile took, from fetching the source to the drift report."),
            labels: tenantLabel,
            buckets: [.milliseconds(100), .milliseconds(500), .seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300)])
        driftItems = LateGauge(
            registry, metric: "drift", unit: "items", help: "Drift items in the last report, snoozed ones excluded.", labels: tenantLabel)
        lastSuccess = LateGauge(
            registry, metric: "last_success_timestamp", unit: "seconds", help: "Unix time of the last successful reconcile.", labels: tenantLabel)
        portalErrors = registry.makeCounter(
            descriptor: name("portal_errors", "total", "Reconciles that failed on the portal's API."), labels: tenantLabel)
        portalRetries = registry.makeCounter(
            descriptor: name("portal_retries", "total", "Portal requests retried after throttling (429), server errors or lost connections."),
            labels: tenantLabel)
        appliedActions = registry.makeCounter(descriptor: name("applied_actions", "total", "Actions self-heal carried out."), labels: tenantLabel)
        suspended = registry.makeGauge(descriptor: name("suspended", "state", "1 while reconciling is suspended."), labels: tenantLabel)
    }

    /// The exposition text.
    public func exposition() -> String { registry.emitToString() }

    /// Routes swift-metrics, and so the HTTP server's request counts and durations, into this
    /// registry. Once per process: swift-metrics has one backend.
    public func bootstrapRequestMetrics() { Self.bootstrapRequestMetrics(into: registry) }

    /// The same, into a registry the tenants of a fleet share.
    public static func bootstrapRequestMetrics(into registry: PrometheusCollectorRegistry) {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }
}

/// A gauge registered with its first value, so that until then the exposition has no sample for it.
final class LateGauge: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let metric: String
    private let unit: String
    private let help: String
    private let labels: [(String, String)]
    private let gauge = Mutex<Gauge?>(nil)

    init(_ registry: PrometheusCollectorRegistry, metric: String, unit: String, help: String, labels: [(String, String)] = []) {
        self.registry = registry
        self.labels = labels
        self.metric = metric
        self.unit = unit
        self.help = help
    }

    func set(to value: Double) {
        gauge.withLock { gauge in
            let registered =
                gauge
                ?? registry.makeGauge(
                    descriptor: MetricNameDescriptor(namespace: "roomkeeper", metricName: metric, unitName: unit, helpText: help), labels: labels)
            gauge = registered
            registered.set(to: value)
        }
    }
}
