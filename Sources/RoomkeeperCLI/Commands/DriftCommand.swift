import ArgumentParser
import Engine
import Foundation
import Notifications
import PortalAPI
import Reconciler
import Reports

extension Roomkeeper {
    struct DriftCommand: AsyncParsableCommand, LoggingCommand {
        static let configuration = CommandConfiguration(
            commandName: "drift",
            abstract: "Report where the portal differs from git, without changing anything.",
            discussion: """
                Loads the manifests, reads the portal and reports every difference: missing, unexpected \
                and changed objects (field by field), each classified as a person's edit (manual), git \
                not yet applied (convergence) or flapping (noise), with since when it exists and how to \
                revert, adopt or snooze it. Devices not yet checked in are pending until the grace period \
                in roomkeeper.yaml has passed; offline devices are health, not drift. Made for cron: \
                exit 0 in sync, 2 drift, 1 error. A history of checks is kept (--history), and \
                --notify posts to a webhook only when drift appears, changes or clears.
                """)

        @Argument(help: "The manifest repository folder.", completion: .directory)
        var directory: String = "."

        @OptionGroup var sourceOptions: SourceOptions

        @OptionGroup var portalOptions: PortalOptions

        @OptionGroup var graphOptions: GraphOptions

        @Option(help: "Output format: text, json, markdown or html.")
        var format: ReportFormat = .text

        @OptionGroup var colorOptions: ColorOptions

        @Option(help: "Also write the report to this file, in the format of its extension (.json, .md, .html, else text).")
        var out: String?

        @Option(help: "The drift history file (JSON lines; default: one per portal under $ROOMKEEPER_STATE_DIR/drift).")
        var history: String?

        @OptionGroup var notification: NotificationOptions

        @Option(
            help:
                "The exit status when drift is found: 2, or 0 for a scheduler that counts every other status as a failure (a Kubernetes Job, cron's mail)."
        )
        var driftExitCode: Int32 = 2

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            try notification.validate()
            guard driftExitCode == 0 || driftExitCode == 2 else { throw ValidationError("--drift-exit-code must be 0 or 2 (1 means an error)") }
        }

        func run() async throws {
            let style = colorOptions.style
            let engine = try graphOptions.engine()
            if graphOptions.isEnabled(), !portalOptions.isConfigured() { return try await withoutPortal(engine, style: style) }
            let (source, portal) = try await ManifestSource.loadThenOpen(
                folder: directory, source: sourceOptions, portal: portalOptions, engine: engine, style: style, consequence: "drift was not checked")
            let outcome: DriftOutcome
            let checks = engine.history(for: portal, explicit: history.map { URL(fileURLWithPath: $0) })
            do {
                outcome = try await Planning.reporting {
                    try await engine.checkDrift(source, portal: portal, history: checks, notifier: try notification.notifier())
                }
            } catch let error as IncompleteReadError {
                throw CommandFailure("\(error); nothing was changed")
            }
            let report = outcome.report
            try emit(report, style: style, history: (try? checks.recent(limit: DriftRenderer.chartedChecks)) ?? [])
            switch outcome.delivery {
            case .notDue: break
            case .delivered(let message, let receiver):
                printError("roomkeeper: notified \(receiver): drift \(message.event.rawValue)")
            case .failed(let error):
                throw CommandFailure("the drift notification was not delivered: \(error); the next check tries again")
            }
            if !report.inSync, driftExitCode != 0 { throw ExitCode(driftExitCode) }
        }

        /// With no portal API: what the directory and devices say, the portal-only kinds as not
        /// observable. Exit 2 when something needs a person; what cannot be observed never counts.
        private func withoutPortal(_ engine: Engine, style: TerminalStyle) async throws {
            if try history != nil || notification.notifier() != nil {
                throw ValidationError("--history and --notify need a portal to compare with; without one drift is reported, not recorded")
            }
            let snapshot = try await ManifestSource.load(
                sourceOptions.origin(folder: directory), options: sourceOptions, style: style, consequence: "drift was not checked")
            let report: DriftReport
            do {
                let (checked, run) = try await Planning.reporting { try await engine.checkWithoutPortal(snapshot) }
                ProcessMemory.keepUntilExit(engine, snapshot, run)
                report = checked
            } catch let error as IncompleteReadError {
                throw CommandFailure("\(error); nothing was changed")
            }
            try emit(report, style: style)
            if !report.needsPerson.isEmpty, driftExitCode != 0 { throw ExitCode(driftExitCode) }
        }

        /// Prints the report in --format, and writes it to --out in the format of its extension;
        /// the HTML report charts `history`.
        private func emit(_ report: DriftReport, style: TerminalStyle, history: [DriftHistoryEntry] = []) throws {
            Console.current.out(try Self.render(report, format, style: style, history: history), terminator: "")
            if let out {
                let fileFormat = ReportFormat(fileExtension: (out as NSString).pathExtension)
                try PrivateFiles.write(
                    Data(try Self.render(report, fileFormat, style: TerminalStyle(usesColor: false), history: history).utf8),
                    to: URL(fileURLWithPath: out), privateFolder: false)
            }
        }

        static func render(_ report: DriftReport, _ format: ReportFormat, style: TerminalStyle, history: [DriftHistoryEntry] = []) throws -> String {
            switch format {
            case .text: DriftRenderer(style: style).text(report)
            case .json: try DriftRenderer.json(report)
            case .markdown: DriftRenderer.markdown(report)
            case .html: DriftRenderer.html(report, history: history)
            }
        }
    }
}

/// The formats a drift report is written in.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown, html

    /// The format a file name asks for: `.json`, `.md`, `.html`/`.htm`; text otherwise.
    init(fileExtension: String) {
        switch fileExtension.lowercased() {
        case "json": self = .json
        case "md", "markdown": self = .markdown
        case "html", "htm": self = .html
        default: self = .text
        }
    }
}

/// Where and how drift notifications go. The URL is a secret for most receivers (Teams signs
/// its webhook URLs), so it is best given in ROOMKEEPER_NOTIFY_URL or a file.
struct NotificationOptions: ParsableArguments {
    @Option(help: "POST to this webhook when drift appears, changes or clears (or set ROOMKEEPER_NOTIFY_URL).")
    var notify: String?

    @Option(help: "A file holding the webhook URL (keeps it out of shell history and process lists).")
    var notifyFile: String?

    @Option(help: "The webhook's payload: json (the report) or teams (a Teams message with an Adaptive Card).")
    var notifyFormat: NotificationPayload.Format = .json

    @Option(help: "Also send a digest while drift persists unchanged, at most once per this many hours.")
    var digestHours: Double?

    func validate() throws {
        if notify != nil, notifyFile != nil { throw ValidationError("give --notify or --notify-file, not both") }
        if let digestHours, digestHours <= 0 { throw ValidationError("--digest-hours must be positive") }
        guard let url = try webhookURL() else { return }
        let parsed = URLComponents(string: url)
        guard let scheme = parsed?.scheme?.lowercased(), ["https", "http"].contains(scheme) else {
            throw ValidationError("the webhook URL must start with https:// or http://")
        }
        // The URL is often the secret itself (Teams signs its webhook URLs), and the report names people.
        if scheme == "http", !PortalEndpoint.isLoopback(parsed?.host ?? "") {
            throw ValidationError(
                "the webhook URL must be https:// (plain http:// only to this machine): its secret and the report would travel in clear")
        }
    }

    func webhookURL(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        if let notifyFile {
            do {
                return try SecretFile.read(notifyFile)
            } catch {
                throw CommandFailure("the webhook URL file \(error) (--notify-file)")
            }
        }
        return setting(notify, "ROOMKEEPER_NOTIFY_URL", in: environment)
    }

    /// The notifier these options configure; nil when no webhook is configured.
    func notifier() throws -> DriftNotifier? {
        try webhookURL().map { DriftNotifier(url: $0, format: notifyFormat, digestInterval: digestHours.map { $0 * 3600 }) }
    }
}

extension NotificationPayload.Format: ExpressibleByArgument {}
