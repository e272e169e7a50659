import ArgumentParser
import AsyncHTTPClient
import Controller
import Foundation
import HTTPTransport
import Logging
import Manifests
import NIOCore
import NIOHTTP1
import PortalAPI
import Reports

extension Roomkeeper {
    /// `roomkeeper controller`: the reconcile loop (`run`, the default) and the operators' commands
    /// that talk to a running one, so nobody needs `curl`.
    struct ControllerCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "controller",
            abstract: "Run the reconcile loop, or ask a running controller for its status, a reconcile, a suspend or a resume.",
            discussion: """
                With no subcommand, `controller` runs the loop: `roomkeeper controller run --help` lists its \
                options (every 5m by default, report only unless --self-heal).
                """,
            subcommands: [
                ControllerRun.self, ControllerStatusCommand.self, ControllerRequest.Reconcile.self, ControllerRequest.Suspend.self,
                ControllerRequest.Resume.self,
            ],
            defaultSubcommand: ControllerRun.self)
    }

    /// `roomkeeper controller status`: where a running controller stands.
    struct ControllerStatusCommand: AsyncParsableCommand, LoggingCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show a running controller's condition, reason and last reconcile (its /status).",
            discussion: "Exit 0 when it is Ready, 2 when it is Stalled or Failing, 1 when it cannot be reached.")

        @OptionGroup var endpoint: ControllerEndpointOptions

        @Option(help: "Output format: text or json (the /status document as it is).")
        var format: OutputOptions.Format = .text

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let (code, body) = try await endpoint.send(.GET, "/status", token: try endpoint.readToken())
            guard code == 200 else { throw CommandFailure("the controller at \(endpoint.url) answered \(code): \(body.terminalSafe)") }
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            if endpoint.tenant == nil, let fleet = try? decoder.decode(FleetStatus.self, from: Data(body.utf8)) {
                if format == .json {
                    Console.current.out(body, terminator: body.hasSuffix("\n") ? "" : "\n")
                } else {
                    Console.current.out(Self.describe(fleet, at: endpoint.url))
                }
                let troubled = fleet.tenants.values.contains { $0.condition == .stalled || $0.condition == .failing }
                if troubled || !fleet.notStarted.isEmpty { throw ExitCode(2) }
                return
            }
            guard let status = try? decoder.decode(ControllerStatus.self, from: Data(body.utf8)) else {
                throw CommandFailure("the controller at \(endpoint.url) answered /status with something that is not a controller's status")
            }
            if format == .json {
                Console.current.out(body, terminator: body.hasSuffix("\n") ? "" : "\n")
            } else {
                Console.current.out(Self.describe(status, at: endpoint.url))
            }
            if status.condition == .stalled || status.condition == .failing { throw ExitCode(2) }
        }

        /// What a controller serving --tenants answers at `/status`.
        struct FleetStatus: Decodable {
            var tenants: [String: ControllerStatus]
            var notStarted: [String: String]
        }

        /// One line a tenant; `--tenant NAME` tells one in full.
        static func describe(_ fleet: FleetStatus, at url: String) -> String {
            var lines = ["Controller at \(url): \(counted(fleet.tenants.count, "tenant")) running, \(fleet.notStarted.count) not started"]
            for (name, status) in fleet.tenants.sorted(by: { $0.key < $1.key }) {
                lines.append(
                    "  \(name.terminalSafe): \(status.condition.rawValue), \(status.reason.rawValue)\(status.suspended ? ", suspended" : "") - \(status.message.terminalSafe)"
                )
            }
            for (name, problem) in fleet.notStarted.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(name.terminalSafe): not started - \(problem.terminalSafe)")
            }
            return lines.joined(separator: "\n")
        }

        static func describe(_ status: ControllerStatus, at url: String) -> String {
            func time(_ date: Date?) -> String { date.map { $0.formatted(.iso8601) } ?? "never" }
            var lines = ["Controller at \(url): \(status.condition.rawValue), \(status.reason.rawValue) (\(status.mode.rawValue))"]
            lines.append("  \(status.message.terminalSafe)")
            lines.append(
                "  last reconcile    \(time(status.lastReconcileAt)) (\(counted(status.reconciles, "reconcile")), \(status.consecutiveFailures) failed in a row)"
            )
            lines.append("  last success      \(time(status.lastSuccessAt))")
            lines.append(
                "  revision          \(status.lastAttemptedRevision?.terminalSafe ?? "none") (applied: \(status.lastAppliedRevision?.terminalSafe ?? "none"))"
            )
            lines.append("  drift items       \(status.driftItems)")
            lines.append("  suspended         \(status.suspended ? "yes" : "no")")
            if let next = status.nextReconcileAt, !status.suspended { lines.append("  next reconcile    \(time(next))") }
            return lines.joined(separator: "\n")
        }
    }

    /// The operators' requests: each a POST with the admin token.
    enum ControllerRequest {
        struct Reconcile: ControllerRequestCommand {
            static let configuration = CommandConfiguration(
                abstract: "Ask a running controller to reconcile now (POST /reconcile, with the admin token).")
            static let path = "/reconcile"
            @OptionGroup var options: ControllerRequestOptions
        }

        struct Suspend: ControllerRequestCommand {
            static let configuration = CommandConfiguration(
                abstract: "Stop a running controller from reconciling until resumed, across restarts (POST /suspend).")
            static let path = "/suspend"
            @OptionGroup var options: ControllerRequestOptions
        }

        struct Resume: ControllerRequestCommand {
            static let configuration = CommandConfiguration(abstract: "Let a suspended controller reconcile again, at once (POST /resume).")
            static let path = "/resume"
            @OptionGroup var options: ControllerRequestOptions
        }
    }
}

/// A command that POSTs one operator request to a running controller.
protocol ControllerRequestCommand: AsyncParsableCommand, LoggingCommand {
    static var path: String { get }
    var options: ControllerRequestOptions { get }
}

extension ControllerRequestCommand {
    var logging: LoggingOptions { options.logging }
    func run() async throws { try await options.endpoint.request(Self.path) }
}

/// What every operator request takes: where the controller is, and the logging options.
struct ControllerRequestOptions: ParsableArguments {
    @OptionGroup var endpoint: ControllerEndpointOptions
    @OptionGroup var logging: LoggingOptions
}

/// Where the running controller listens, and the operators' token it wants.
struct ControllerEndpointOptions: ParsableArguments {
    @Option(help: "The controller's --listen address as a URL (else ROOMKEEPER_CONTROLLER_URL, else http://127.0.0.1:9090).")
    var controller: String?

    @Option(help: "A file holding the operators' admin token (else ROOMKEEPER_ADMIN_TOKEN).", completion: .file())
    var adminTokenFile: String?

    @Option(help: "For status: a file holding the controller's read token (else ROOMKEEPER_READ_TOKEN, else the admin token).", completion: .file())
    var readTokenFile: String?

    @Option(help: "Seconds to wait for the controller's answer.")
    var timeout: Int = 30

    @Option(help: "With a controller serving --tenants: the tenant to ask about or act on.")
    var tenant: String?

    var url: String {
        let configured = setting(controller, "ROOMKEEPER_CONTROLLER_URL", in: ProcessInfo.processInfo.environment) ?? "http://127.0.0.1:9090"
        return configured.hasSuffix("/") ? String(configured.dropLast()) : configured
    }

    func validate() throws {
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil, parsed.user == nil,
            parsed.query == nil
        else {
            throw ValidationError("--controller must be an http:// or https:// URL without credentials or a query, e.g. http://127.0.0.1:9090")
        }
        guard (1...600).contains(timeout) else { throw ValidationError("--timeout must be from 1 to 600 seconds") }
        if let tenant, !ShapeValidation.isDNSLabel(tenant) {
            throw ValidationError("--tenant must be a tenant's name: lower-case letters, digits and hyphens")
        }
        // The token would cross the network in clear.
        if let parsed = URL(string: url), parsed.scheme == "http", !ListenHost.isLoopback(parsed.host ?? "") {
            throw ValidationError(
                "--controller must be https:// for a controller on another host (http:// only to this machine): the token would travel in clear")
        }
    }

    private func adminToken() throws -> String? {
        try Roomkeeper.ControllerRun.secret(file: adminTokenFile, variable: "ROOMKEEPER_ADMIN_TOKEN", flag: "--admin-token-file")
    }

    /// The token that reads `/status`: the read token, else the admin token.
    func readToken() throws -> String? {
        try Roomkeeper.ControllerRun.secret(file: readTokenFile, variable: "ROOMKEEPER_READ_TOKEN", flag: "--read-token-file") ?? adminToken()
    }

    /// POSTs an operator request and prints the controller's answer; a refusal is an error.
    func request(_ path: String) async throws {
        let (code, body) = try await send(.POST, path, token: try adminToken())
        let answer = body.trimmingCharacters(in: .whitespacesAndNewlines).terminalSafe
        switch code {
        case 200..<300: Console.current.out("The controller at \(url): \(answer)")
        case 409: throw CommandFailure("the controller at \(url) refused: \(answer) (roomkeeper controller resume)")
        default: throw CommandFailure("the controller at \(url) answered \(code): \(answer)")
        }
    }

    /// One request, bounded in time and size; the token goes only to the URL the operator gave.
    func send(_ method: HTTPMethod, _ path: String, token: String?) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: url + (tenant.map { "/tenants/\($0)" } ?? "") + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        do {
            let answer = try await HTTPTransport(peer: "controller", logger: Logger(label: "roomkeeper"))
                .send(request, policy: .once(timeout: .seconds(timeout), maximumResponseBytes: 1 << 20))
            return (answer.status, String(buffer: answer.body))
        } catch let failure as TransportFailure {
            throw CommandFailure("cannot reach the controller at \(url): \(failure)")
        }
    }
}
