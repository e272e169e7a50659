import ArgumentParser
import Controller
import Foundation
import Logging
import PortalAPI
import ServiceLifecycle

extension Roomkeeper {
    struct ControllerCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "controller",
            abstract: "Reconcile continuously: poll git, report drift, and heal it if asked.",
            discussion: """
                Every --interval (with jitter), fetches the source, reads the portal, records a drift \
                report in the history (notifying on change, as `drift` does) and, with --self-heal, \
                applies the plan under the portal's reconciler lease. Invalid manifests stall it until \
                a new revision; failures back off from --retry-interval up to the interval. Serves \
                /healthz, /readyz, /metrics (Prometheus), /status, and POST /hooks/git (reconcile now), \
                /suspend and /resume on --listen. With ROOMKEEPER_WEBHOOK_SECRET (or \
                --webhook-secret-file) set, the POST endpoints need it (GitHub signature, GitLab token \
                or bearer). Stops gracefully on SIGTERM or Ctrl-C.
                """)

        @Argument(help: "The manifest repository folder (when not reading from --source).", completion: .directory)
        var directory: String = "."

        @OptionGroup var sourceOptions: SourceOptions

        @OptionGroup var portalOptions: PortalOptions

        @Option(help: "Time between reconciles: 90s, 5m, 1h.")
        var interval: Interval = Interval(seconds: 300)

        @Option(help: "The first wait after a failure (default 30s, or --interval if shorter); doubles with each failure in a row, up to --interval.")
        var retryInterval: Interval?

        @Option(help: "Vary each interval by up to this fraction (0 to 0.5).")
        var jitter = 0.1

        @Flag(help: "Apply the plan when the portal differs from git; without it, report only.")
        var selfHeal = false

        @Option(help: "Address for the health, metrics and webhook endpoints; port 0 picks a free one.")
        var listen = "127.0.0.1:9090"

        @Option(help: "Log format: text or json.")
        var logFormat: LogFormat = .text

        @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
        var logLevel: Logger.Level = .info

        @Option(help: "The drift history file (default: one per portal under $ROOMKEEPER_STATE_DIR/drift).")
        var history: String?

        @Option(help: "A file holding the webhook secret (else ROOMKEEPER_WEBHOOK_SECRET).")
        var webhookSecretFile: String?

        @Option(help: "Portal writes in flight at once during self-heal (1 to 64).")
        var concurrency = 8

        @OptionGroup var notification: NotificationOptions

        func validate() throws {
            try notification.validate()
            guard ListenAddress(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:9090") }
            guard (0...0.5).contains(jitter) else { throw ValidationError("--jitter must be from 0 to 0.5") }
            guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be from 1 to 64") }
            guard firstRetry <= interval.seconds else { throw ValidationError("--retry-interval must not exceed --interval") }
        }

        private var firstRetry: Double { retryInterval?.seconds ?? min(30, interval.seconds) }

        func run() async throws {
            guard let address = ListenAddress(listen) else { throw ExitCode.validationFailure }
            let level = logLevel
            LoggingSystem.bootstrap(logFormat.handler(level: level))
            let logger = Logger(label: "roomkeeper.controller")
            let secret = try webhookSecretFile.map { try String(contentsOfFile: $0, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
                ?? ProcessInfo.processInfo.environment["ROOMKEEPER_WEBHOOK_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
            if secret == nil, !address.isLoopback {
                logger.warning("Listening beyond loopback without a webhook secret: anyone who can reach it can trigger, suspend and resume")
            }
            let portalChoice = try portalOptions.choice()
            let notifier = try notification.webhookURL().map {
                DriftNotifier(url: $0, format: notification.notifyFormat, digestInterval: notification.digestHours.map { $0 * 3600 })
            }
            let controller = Controller(
                configuration: ControllerConfiguration(
                    origin: sourceOptions.origin(folder: directory), cacheFolder: sourceOptions.cacheFolder,
                    stateFolder: URL(fileURLWithPath: StateFolder.path()), interval: .seconds(interval.seconds),
                    jitter: jitter, retryInterval: .seconds(firstRetry), selfHeal: selfHeal, concurrency: concurrency,
                    historyURL: history.map { URL(fileURLWithPath: $0) }, notifier: notifier,
                    openPortal: { try await portalChoice.open() }),
                logger: logger)
            let server = ControllerServer.makeApplication(
                controller: controller, host: address.host, port: address.port, secret: secret, logger: Logger(label: "roomkeeper.http")
            ) { port in
                // Written unbuffered, so a script waiting for this line sees it at once.
                FileHandle.standardOutput.write(Data("Roomkeeper controller listening on http://\(address.host):\(port)\n".utf8))
            }
            let group = ServiceGroup(
                configuration: ServiceGroupConfiguration(
                    services: [
                        .init(service: server),
                        .init(service: ControllerService(controller: controller), successTerminationBehavior: .gracefullyShutdownGroup),
                    ],
                    gracefulShutdownSignals: [.sigterm, .sigint],
                    logger: logger))
            try await group.run()
        }
    }
}

/// A duration given as `90s`, `5m`, `1h` or plain seconds.
struct Interval: ExpressibleByArgument {
    let seconds: Double

    init(seconds: Double) {
        self.seconds = seconds
    }

    init?(argument: String) {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600]
        let (number, unit) = argument.last.flatMap { units[$0] }.map { (argument.dropLast(), $0) } ?? (Substring(argument), 1)
        guard let value = Double(number), value > 0, value.isFinite else { return nil }
        seconds = value * unit
    }
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

    var isLoopback: Bool { host == "localhost" || host == "::1" || host.hasPrefix("127.") }
}

extension LogFormat: ExpressibleByArgument {}
extension Logger.Level: @retroactive ExpressibleByArgument {}
