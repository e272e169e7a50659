import ArgumentParser
import Controller
import Engine
import Foundation
import GitSource
import GraphAPI
import Logging
import Manifests
import Notifications
import PortalAPI
import Reconciler
import Reports
import StateStore
import Tenants

extension Roomkeeper.ControllerRun {
    /// `controller --tenants`: every tenant of the catalog at `path` in this process, each with
    /// its own state folder and git cache, at most `--tenant-concurrency` reconciling at once; the
    /// catalog is read again every `--tenants-reload`.
    func runTenants(from path: String, address: ListenAddress, probes: ListenAddress?, credentials: ControllerCredentials, logger: Logger)
        async throws
    {
        let first = TenantCatalog.load(path: path)
        if !first.diagnostics.isEmpty {
            Console.current.err(DiagnosticRenderer(style: .automatic()).render(first.diagnostics, sources: first.sources), terminator: "")
        }
        guard !first.diagnostics.hasErrors else { throw ExitCode.failure }
        let shards = try replicas.coordinator(logger: logger)
        let fleet = TenantFleet(concurrency: tenantConcurrency, logger: logger) { [self] tenant in
            var configuration = try configuration(for: tenant)
            // In Kubernetes the tenant's Lease is the lock for self-heal.
            if let shards {
                let (view, lease) = (shards.lock.view, shards.leaseName(of: tenant.name))
                configuration.holdsLock = { view.holds(lease) }
            }
            return configuration
        }
        // Not a ControllerMetrics of its own: its series without a tenant label would clash with the tenants'.
        ControllerMetrics.bootstrapRequestMetrics(into: fleet.registry)
        logger.info("Serving tenants", metadata: ["count": "\(first.catalog.tenants.count)", "from": "\(path)"])
        let reload = CatalogReload(path: path, logger: logger)
        var select: TenantFleetService.Select?
        if let shards {
            select = { (tenants: [String]) async -> Set<String> in
                do {
                    return try await shards.round(tenants: tenants)
                } catch {
                    logger.warning(
                        "The Kubernetes API did not answer; acting only on tenants whose Leases are still held", metadata: ["error": "\(error)"])
                    return shards.stillHeld(tenants)
                }
            }
        }
        let watch = TenantFleetService(
            fleet: fleet, every: .seconds(tenantsReload.seconds), tick: replicas.tick, load: { await reload.next() }, select: select,
            leave: { await shards?.releaseAll() })
        let consoleRoutes = try console.routes(serving: .fleet(fleet), signIn: { try graphOptions.signIn() }, logger: logger)
        try await ControllerProcess.run(
            fleet, watch: watch, api: address.listener, probes: probes?.listener, credentials: credentials, logger: logger, more: consoleRoutes,
            listening: Self.announce(address: address, probes: probes))
    }

    /// What the flags give one tenant, from its Tenant document: its secrets read from their
    /// files now (a missing one stops this tenant, not the others), never from the environment,
    /// which would hand every tenant the same credential.
    func configuration(for tenant: TenantDefinition) throws -> ControllerConfiguration {
        let state = StateFolder(StateFolder.forThisMachine().root.appendingPathComponent("tenants/\(tenant.name)"))
        let source = tenant.source
        let trust =
            source.allowedSigners != nil || source.gpgKeyring != nil
            ? SignatureTrust(allowedSigners: source.allowedSigners, gpgKeyring: source.gpgKeyring, mode: sourceOptions.verifyMode) : nil
        let portal = try tenant.portal.map { portal in
            try PortalChoice(
                configured: portal.url, tokenFile: portal.tokenFile, timeout: .seconds(max(1, portalOptions.portalTimeout)), environment: [:])
        }
        let directory = try tenant.graph.map { graph in
            let settings = GraphSignInSettings(
                tenantId: graph.tenantId, clientId: graph.clientId, certificatePath: graph.credential.certificateFile,
                secretFile: graph.credential.secretFile, federatedTokenFile: graph.credential.federatedTokenFile, cloud: graph.cloud,
                authorityHost: graph.authorityHost, graphEndpoint: graph.graphEndpoint)
            let signIn: GraphSignIn
            do {
                signIn = try settings.resolve(environment: [:])
            } catch {
                throw CommandFailure("\(error)")
            }
            return GraphOptions.reader(signIn: signIn, timeout: .seconds(max(1, graphOptions.graphTimeout)), priority: .low, state: state)
        }
        let notifier = try tenant.notifications.map { notifications in
            let url: String
            do {
                url = try SecretFile.read(notifications.urlFile)
            } catch {
                throw CommandFailure("the webhook URL file \(error)")
            }
            return DriftNotifier(url: url, format: NotificationPayload.Format(rawValue: notifications.format) ?? .json, digestInterval: nil)
        }
        var configuration = ControllerConfiguration(
            origin: .git(GitOrigin(url: source.url, ref: source.ref, path: source.path)),
            cacheFolder: sourceOptions.cacheFolder.appendingPathComponent("tenants/\(tenant.name)"), stateFolder: state.root,
            interval: .seconds(tenant.intervalSeconds), jitter: jitter, retryInterval: .seconds(min(30, tenant.intervalSeconds)),
            mode: tenant.selfHeal ? .selfHeal : .report, concurrency: concurrency, notifier: notifier, sourceTimeouts: sourceOptions.timeouts,
            trust: trust, reconcileTimeout: .seconds(tenant.reconcileTimeoutSeconds), directory: directory,
            openPortal: portal?.opener)
        configuration.allowsInsecureSource = sourceOptions.allowInsecureSource
        return configuration
    }
}

extension TenantDefinition.Graph.Credential {
    var certificateFile: String? { if case .certificateFile(let path) = self { path } else { nil } }
    var secretFile: String? { if case .secretFile(let path) = self { path } else { nil } }
    var federatedTokenFile: String? { if case .federatedTokenFile(let path) = self { path } else { nil } }
}

/// Reads the tenants catalog again: a catalog with errors is logged once per content and not
/// used, so a broken edit leaves the running tenants alone.
actor CatalogReload {
    let path: String
    let logger: Logger
    private var lastRefused: [Diagnostic] = []

    init(path: String, logger: Logger) {
        self.path = path
        self.logger = logger
    }

    func next() -> TenantCatalog? {
        let loaded = TenantCatalog.load(path: path)
        guard loaded.diagnostics.hasErrors else {
            lastRefused = []
            return loaded.catalog
        }
        if loaded.diagnostics != lastRefused {
            for diagnostic in loaded.diagnostics where diagnostic.severity == .error {
                logger.error(
                    "Tenants file refused; the running tenants are left as they are",
                    metadata: ["location": "\(diagnostic.location?.description ?? path)", "problem": "\(diagnostic.message)"])
            }
            lastRefused = loaded.diagnostics
        }
        return nil
    }
}
