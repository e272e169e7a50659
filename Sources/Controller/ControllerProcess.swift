import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// The controller as its process runs it: the reconcile loop and its HTTP endpoints (and the
/// probes on a port of their own, when given one) in one service group, which stops gracefully
/// on SIGTERM and SIGINT: the reconcile in flight finishes its writes, no new one starts.
public enum ControllerProcess {
    /// Where a server listens.
    public struct Listener: Sendable {
        public var host: String
        public var port: Int
        /// Whether only this machine can reach it.
        public var isLoopback: Bool

        public init(host: String, port: Int, isLoopback: Bool) {
            self.host = host
            self.port = port
            self.isLoopback = isLoopback
        }
    }

    /// Runs until a signal stops it or the loop ends. `listening` hears each server's port once
    /// it listens (the probes' with `probes: true`).
    public static func run(
        _ controller: Controller, api: Listener, probes: Listener?, credentials: ControllerCredentials, logger: Logger,
        more: ControllerServer.MoreRoutes? = nil, listening: @escaping @Sendable (_ port: Int, _ probes: Bool) -> Void
    ) async throws {
        try await run(
            .one(controller), loop: ControllerService(controller: controller), api: api, probes: probes, credentials: credentials, logger: logger,
            more: more, listening: listening)
    }

    /// Runs a partner's tenants: `fleet`, its tenants reloaded by `watch`, and the endpoints.
    public static func run(
        _ fleet: TenantFleet, watch: TenantFleetService, api: Listener, probes: Listener?, credentials: ControllerCredentials, logger: Logger,
        more: ControllerServer.MoreRoutes? = nil, listening: @escaping @Sendable (_ port: Int, _ probes: Bool) -> Void
    ) async throws {
        try await run(
            .fleet(fleet), loop: watch, api: api, probes: probes, credentials: credentials, logger: logger, more: more, listening: listening)
    }

    /// `more`: routes beside the controller's own on its API listener (the console's pages).
    private static func run(
        _ served: ControllerServer.Served, loop: some Service, api: Listener, probes: Listener?, credentials: ControllerCredentials, logger: Logger,
        more: ControllerServer.MoreRoutes?, listening: @escaping @Sendable (_ port: Int, _ probes: Bool) -> Void
    ) async throws {
        let http = Logger(label: "roomkeeper.http")
        let server = ControllerServer.makeApplication(
            serving: served, host: api.host, port: api.port,
            endpoints: probes == nil ? [.probes, .reads, .triggers] : [.reads, .triggers], credentials: credentials, logger: http, more: more
        ) { port in listening(port, false) }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: server),
            .init(service: loop, successTerminationBehavior: .gracefullyShutdownGroup),
        ]
        if let probes {
            services.append(
                .init(
                    service: ControllerServer.makeApplication(
                        serving: served, host: probes.host, port: probes.port, endpoints: [.probes],
                        credentials: ControllerCredentials(webhookSecret: nil, adminToken: nil, loopbackOnly: probes.isLoopback), logger: http,
                        onServerRunning: { port in listening(port, true) })))
        }
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
