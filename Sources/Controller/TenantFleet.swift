import Foundation
import Logging
import PortalAPI
import Prometheus
import ServiceLifecycle
import Synchronization
import Tenants

/// A partner's tenants in one process: each its own `Controller` (its loop, interval with jitter,
/// backoff after failures, reconcile deadline, state folder and git cache, all from its
/// configuration), taking turns so that at most `concurrency` reconcile at once. A tenant whose
/// portal hangs holds one turn until its deadline, never the others'; its failures back off on
/// its own schedule. Metrics share one registry, each series labelled with its tenant.
///
/// `apply` takes a new catalog while the fleet runs: new tenants start, removed ones stop after
/// the pass in progress, changed ones restart with their new configuration, the rest run on.
public actor TenantFleet {
    /// Makes a tenant's configuration: its clients, credentials (read from their files) and
    /// folders. A tenant it throws for does not run, and says why in `problems`.
    public typealias Configure = @Sendable (TenantDefinition) throws -> ControllerConfiguration

    private struct Member {
        var definition: TenantDefinition
        var controller: Controller
        var loop: Task<Void, Never>
    }

    public nonisolated let turns: ConcurrencyGate
    public nonisolated let registry: PrometheusCollectorRegistry
    private let configure: Configure
    private let logger: Logger
    private var members: [String: Member] = [:]
    /// Tenants that could not start, and why.
    public private(set) var problems: [String: String] = [:]

    public init(
        concurrency: Int, registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), logger: Logger, configure: @escaping Configure
    ) {
        turns = ConcurrencyGate(limit: concurrency)
        self.registry = registry
        self.logger = logger
        self.configure = configure
    }

    /// Runs the tenants of `catalog`, and only those.
    public func apply(_ catalog: TenantCatalog) async {
        let wanted = Dictionary(uniqueKeysWithValues: catalog.tenants.map { ($0.name, $0) })
        for (name, member) in members where wanted[name].map({ !Self.sameSettings($0, member.definition) }) ?? true {
            members[name] = nil
            // The pass in progress ends before a new controller may use the tenant's state folder.
            await member.controller.stop()
            await member.loop.value
            logger.info("Tenant stopped", metadata: ["tenant": "\(name)", "reason": "\(wanted[name] == nil ? "removed" : "changed")"])
        }
        problems = problems.filter { wanted[$0.key] != nil }
        for (name, definition) in wanted.sorted(by: { $0.key < $1.key }) where members[name] == nil {
            var configuration: ControllerConfiguration
            do {
                configuration = try configure(definition)
            } catch {
                problems[name] = "\(error)"
                logger.error("Tenant not started", metadata: ["tenant": "\(name)", "problem": "\(error)"])
                continue
            }
            problems[name] = nil
            configuration.turns = turns
            var tenantLogger = logger
            tenantLogger[metadataKey: "tenant"] = "\(name)"
            let controller = Controller(
                configuration: configuration, metrics: ControllerMetrics(registry: registry, tenant: name), logger: tenantLogger)
            members[name] = Member(definition: definition, controller: controller, loop: Task { await controller.run() })
        }
    }

    /// The tenants' names, in order.
    public var names: [String] { members.keys.sorted() }

    /// The controller of tenant `name`, for its status, report and operator requests.
    public func controller(named name: String) -> Controller? { members[name]?.controller }

    /// Stops every tenant after its pass in progress, and waits for their loops to end.
    public func stop() async {
        let stopping = members.values
        members = [:]
        for member in stopping { await member.controller.stop() }
        for member in stopping { await member.loop.value }
    }

    /// Whether two definitions run alike: where they are written does not matter.
    private static func sameSettings(_ first: TenantDefinition, _ second: TenantDefinition) -> Bool {
        var second = second
        second.location = first.location
        return first == second
    }
}

/// The fleet as a service of the controller's process: it keeps the tenants of `load` running,
/// reading it again every `every` and applying what changed. A catalog with an error is logged
/// (once per content) and not applied: the running tenants stay as they are. With replicas,
/// `select` says which tenants this one runs, asked every `tick` (it takes and renews their
/// Leases); the choice and the applying run apart, so a tenant slow to stop never delays a
/// renewal. A graceful shutdown stops every tenant after its pass in progress, then `leave`
/// hands this replica's tenants over.
public struct TenantFleetService: Service {
    /// Which of these tenants this replica runs.
    public typealias Select = @Sendable (_ tenants: [String]) async -> Set<String>

    let fleet: TenantFleet
    let every: Duration
    let tick: Duration
    /// The catalog now, or nil (having logged why) when it cannot be used.
    let load: @Sendable () async -> TenantCatalog?
    let select: Select?
    let leave: @Sendable () async -> Void

    public init(
        fleet: TenantFleet, every: Duration, tick: Duration? = nil, load: @escaping @Sendable () async -> TenantCatalog?, select: Select? = nil,
        leave: @escaping @Sendable () async -> Void = {}
    ) {
        self.fleet = fleet
        self.every = every
        self.tick = tick ?? every
        self.load = load
        self.select = select
        self.leave = leave
    }

    public func run() async throws {
        let (fleet, every, tick, load, select) = (fleet, every, tick, load, select)
        let catalog = Shared<TenantCatalog?>(nil)
        let chosen = Shared<Set<String>?>(select == nil ? nil : [])
        try? await cancelWhenGracefulShutdown {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    while true {
                        if let loaded = await load() { catalog.value.withLock { $0 = loaded } }
                        try await Task.sleep(for: every)
                    }
                }
                if let select {
                    group.addTask {
                        while true {
                            if let names = catalog.value.withLock({ $0?.tenants.map(\.name) }) {
                                let mine = await select(names)
                                chosen.value.withLock { $0 = mine }
                            }
                            try await Task.sleep(for: tick)
                        }
                    }
                }
                group.addTask {
                    var applied: TenantCatalog?
                    while true {
                        if let all = catalog.value.withLock({ $0 }) {
                            let mine = chosen.value.withLock { $0 }
                            let running = mine.map { mine in TenantCatalog(tenants: all.tenants.filter { mine.contains($0.name) }) } ?? all
                            if running != applied {
                                await fleet.apply(running)
                                applied = running
                            }
                        }
                        try await Task.sleep(for: min(tick, .seconds(1)))
                    }
                }
                try await group.next()
            }
        }
        await fleet.stop()
        await leave()
    }
}

/// A value the service's tasks share.
private final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
}
