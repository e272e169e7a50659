import ArgumentParser
import Controller
import Engine
import Foundation
import Logging
import PortalAPI
import PortalModel
import StateStore

extension Roomkeeper {
    /// `roomkeeper controller [run]`: the reconcile loop and its HTTP endpoints.
    struct ControllerRun: AsyncParsableCommand, LoggingCommand, LongRunningCommand {
        static let configuration = CommandConfiguration(
            commandName: "run",
            abstract: "Reconcile continuously: poll git, report drift, and heal it if asked (the default).",
            discussion: """
                Every --interval (with jitter), fetches the source, reads the portal, records a drift \
                report in the history (notifying on change, as `drift` does) and, with --self-heal, \
                applies the plan under the portal's reconciler lease. Invalid manifests stall it until \
                a new revision; failures back off from --retry-interval up to the interval. \
                Probes, unauthenticated and saying nothing of the tenant: /healthz, /readyz and \
                /metrics (Prometheus), on --probe-listen if given. On --listen: /status and /report \
                (the last drift report as HTML) with the read token (ROOMKEEPER_READ_TOKEN or \
                --read-token-file) or the admin token; POST /reconcile, /suspend and /resume with the \
                admin token (ROOMKEEPER_ADMIN_TOKEN or --admin-token-file), refused while none is set; \
                POST /hooks/git (reconcile now; 409 while suspended) with the webhook secret \
                (ROOMKEEPER_WEBHOOK_SECRET or --webhook-secret-file: GitHub signature, GitLab token or \
                bearer), off while none is set. Requests from web pages of other sites are refused. \
                A reconcile that runs past --reconcile-timeout is abandoned. Stops gracefully on \
                SIGTERM or Ctrl-C.
                """)

        @Argument(help: "The manifest repository folder (when not reading from --source).", completion: .directory)
        var directory: String = "."

        @OptionGroup var sourceOptions: SourceOptions

        @OptionGroup var portalOptions: PortalOptions

        @OptionGroup var graphOptions: GraphOptions

        @Option(help: "Time between reconciles: 90s, 5m, 1h.")
        var interval: Interval = Interval(seconds: 300)

        @Option(help: "The first wait after a failure (default 30s, or --interval if shorter); doubles with each failure in a row, up to --interval.")
        var retryInterval: Interval?

        @Option(help: "Vary each interval by up to this fraction (0 to 0.5).")
        var jitter = 0.1

        @Flag(help: "Apply the plan when the portal differs from git; without it, report only.")
        var selfHeal = false

        @Option(help: "Address for the webhook and operator endpoints (and the probes, unless --probe-listen); port 0 picks a free one.")
        var listen = "127.0.0.1:9090"

        @Option(help: "A separate address for the probes /healthz, /readyz and /metrics (which then leave --listen).")
        var probeListen: String?

        @Option(help: "A file holding the operators' token for /reconcile, /suspend and /resume, /status and /report (else ROOMKEEPER_ADMIN_TOKEN).")
        var adminTokenFile: String?

        @Option(help: "A file holding a token that reads /status and /report only (else ROOMKEEPER_READ_TOKEN).")
        var readTokenFile: String?

        @Option(help: "The longest one reconcile may take (fetch, read, apply, report): 90s, 5m, 1h.")
        var reconcileTimeout: Interval = Interval(seconds: 1800)

        @Option(help: "The drift history file (default: one per portal under $ROOMKEEPER_STATE_DIR/drift).")
        var history: String?

        @Option(help: "A file holding the webhook secret (else ROOMKEEPER_WEBHOOK_SECRET).")
        var webhookSecretFile: String?

        @Option(help: "Portal writes in flight at once during self-heal (1 to 64).")
        var concurrency = 8

        @Option(
            help:
                "Serve a partner's tenants: a file or folder of kind: Tenant documents (check it with `roomkeeper tenants validate`); each tenant's source, portal and Graph come from it, and it is read again every --tenants-reload (1m).",
            completion: .file())
        var tenants: String?

        @Option(help: "With --tenants: how many tenants reconcile at once (1 to 256).")
        var tenantConcurrency = 4

        @Option(help: "With --tenants: how often the tenants file is read again: 30s, 1m.")
        var tenantsReload: Interval = Interval(seconds: 60)

        @OptionGroup var replicas: ReplicaOptions

        @OptionGroup var console: ConsoleOptions

        @OptionGroup var notification: NotificationOptions

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            try notification.validate()
            guard ListenAddress(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:9090") }
            if let probeListen, ListenAddress(probeListen) == nil {
                throw ValidationError("--probe-listen must be HOST:PORT, e.g. 0.0.0.0:9091")
            }
            guard (0...0.5).contains(jitter) else { throw ValidationError("--jitter must be from 0 to 0.5") }
            guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 64") }
            guard firstRetry <= interval.seconds else { throw ValidationError("--retry-interval must not exceed --interval") }
            guard (1...256).contains(tenantConcurrency) else { throw ValidationError("--tenant-concurrency must be from 1 to 256") }
            if tenants != nil {
                let perTenant = [
                    sourceOptions.gitURL.map { _ in "--source" }, portalOptions.portal.map { _ in "--portal" },
                    portalOptions.tokenFile.map { _ in "--token-file" }, graphOptions.graph ? "--graph" : nil, selfHeal ? "--self-heal" : nil,
                    history.map { _ in "--history" }, notification.notify.map { _ in "--notify" },
                    notification.notifyFile.map { _ in "--notify-file" },
                ].compactMap { $0 }
                if !perTenant.isEmpty {
                    throw ValidationError(
                        "with --tenants each tenant's source, portal, Graph, self-heal and notifications come from its Tenant document; "
                            + "leave out \(perTenant.joined(separator: ", "))")
                }
            }
        }

        private var firstRetry: Double { retryInterval?.seconds ?? min(30, interval.seconds) }

        func run() async throws {
            guard let address = ListenAddress(listen) else { throw ExitCode.validationFailure }
            let logger = Logger(label: "roomkeeper.controller")
            let credentials = try endpointCredentials(loopbackOnly: address.isLoopback, logger: logger)
            let probes = probeListen.flatMap(ListenAddress.init)
            if let tenants {
                return try await runTenants(from: tenants, address: address, probes: probes, credentials: credentials, logger: logger)
            }
            let trust = try sourceOptions.trust(forChanges: true)
            if sourceOptions.gitURL != nil, trust == nil {
                logger.warning("Signatures are not checked: any revision of the remote is reconciled (give --allowed-signers or --gpg-keyring)")
            }
            // With Graph and no portal API, each pass checks the directory alone, as drift --graph does.
            let portalChoice = graphOptions.isEnabled() && !portalOptions.isConfigured() ? nil : try portalOptions.choice()
            if selfHeal {
                guard let portalChoice else {
                    throw ValidationError("--self-heal needs a portal: through Graph alone the portal's changes are a person's checklist")
                }
                try graphOptions.refuseRealTenantWrites(with: portalChoice)
            }
            let notifier = try notification.notifier()
            let metrics = ControllerMetrics()
            metrics.bootstrapRequestMetrics()
            var configuration = ControllerConfiguration(
                origin: sourceOptions.origin(folder: directory), cacheFolder: sourceOptions.cacheFolder,
                stateFolder: StateFolder.forThisMachine().root, interval: .seconds(interval.seconds),
                jitter: jitter, retryInterval: .seconds(firstRetry), mode: selfHeal ? .selfHeal : .report, concurrency: concurrency,
                historyURL: history.map { URL(fileURLWithPath: $0) }, notifier: notifier, sourceTimeouts: sourceOptions.timeouts, trust: trust,
                acceptedRewrite: sourceOptions.acceptRewrittenHistory?.lowercased(),
                reconcileTimeout: .seconds(reconcileTimeout.seconds), directory: try graphOptions.reader(priority: .low),
                openPortal: portalChoice?.opener)
            configuration.allowsInsecureSource = sourceOptions.allowInsecureSource
            let controller = Controller(configuration: configuration, metrics: metrics, logger: logger)
            let consoleRoutes = try console.routes(serving: .one(controller), signIn: { try graphOptions.signIn() }, logger: logger)
            try await ControllerProcess.run(
                controller, api: address.listener, probes: probes?.listener, credentials: credentials, logger: logger, more: consoleRoutes,
                listening: Self.announce(address: address, probes: probes))
        }

        /// Who may call the endpoints, from the secret files or the environment; logs what is off.
        private func endpointCredentials(loopbackOnly: Bool, logger: Logger) throws -> ControllerCredentials {
            let secret = try Self.secret(file: webhookSecretFile, variable: "ROOMKEEPER_WEBHOOK_SECRET", flag: "--webhook-secret-file")
            let adminToken = try Self.secret(file: adminTokenFile, variable: "ROOMKEEPER_ADMIN_TOKEN", flag: "--admin-token-file")
            let readToken = try Self.secret(file: readTokenFile, variable: "ROOMKEEPER_READ_TOKEN", flag: "--read-token-file")
            if secret == nil { logger.notice("The git webhook (/hooks/git) is off until a webhook secret is set") }
            if adminToken == nil { logger.notice("Operator requests (/reconcile, /suspend, /resume) are off until an admin token is set") }
            return ControllerCredentials(webhookSecret: secret, adminToken: adminToken, readToken: readToken, loopbackOnly: loopbackOnly)
        }

        /// Prints the line a script waits for once a server listens, unbuffered.
        static func announce(address: ListenAddress, probes: ListenAddress?) -> @Sendable (Int, Bool) -> Void {
            { port, probesOnly in
                let host = (probesOnly ? probes?.host : nil) ?? address.host
                let what = probesOnly ? "probes on" : "listening on"
                Console.current.out("Roomkeeper controller \(what) http://\(host):\(port)\n", terminator: "")
            }
        }
    }
}

extension Roomkeeper.ControllerRun {
    /// A secret from `file`, else the environment `variable`; nil when neither is given. One that
    /// is given but blank stops start-up: it would silently turn authentication off.
    static func secret(
        file: String?, variable: String, flag: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> String? {
        let text: String
        if let file {
            do {
                text = try SecretFile.read(file)
            } catch {
                throw CommandFailure("\(error) (\(flag))")
            }
        } else if let value = environment[variable] {
            text = value
        } else {
            return nil
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else {
            throw CommandFailure("\(file.map { "\($0) (\(flag))" } ?? variable) is empty; give it a secret or leave it out")
        }
        return secret
    }
}

/// A duration given as `90s`, `5m`, `1h` or plain seconds.
struct Interval: ExpressibleByArgument {
    let seconds: Double

    init(seconds: Double) {
        self.seconds = seconds
    }

    init?(argument: String) {
        guard let seconds = DurationText.seconds(argument) else { return nil }
        self.seconds = seconds
    }

    /// As it is written on the command line: `5m`, `1h`, `90s`.
    var defaultValueDescription: String { DurationText.text(seconds) }
}

/// `HOST:PORT`, as --listen takes it.
struct ListenAddress {
    let host: String
    let port: Int

    init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        host = String(text[..<colon])
        self.port = port
    }

    var isLoopback: Bool { ListenHost.isLoopback(host) }

    var listener: ControllerProcess.Listener { ControllerProcess.Listener(host: host, port: port, isLoopback: isLoopback) }
}
