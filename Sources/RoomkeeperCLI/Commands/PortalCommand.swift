import ArgumentParser
import Foundation
import Manifests
import PortalAPI
import PortalEmulator
import Reports

extension Roomkeeper {
    struct PortalCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "portal",
            abstract: "Run the portal emulator.",
            subcommands: [Serve.self])
    }
}

extension Roomkeeper.PortalCommand {
    struct Serve: AsyncParsableCommand, LoggingCommand, LongRunningCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the emulated Pro Management portal over HTTP.",
            discussion: """
                A real HTTP server implementing Roomkeeper's portal contract (openapi.yaml in \
                Sources/PortalAPI), with SQLite storage that survives restarts. Bearer tokens come from \
                --tokens-file (lines of 'user@domain token') or ROOMKEEPER_PORTAL_TOKENS \
                ('user@domain=token;...'), never from arguments. Stops gracefully on SIGTERM or SIGINT.
                """)

        @Option(help: "The SQLite database file (created if missing).")
        var db: String

        @Option(help: "Address and port to listen on; port 0 picks a free one.")
        var listen: String = "127.0.0.1:8080"

        @Option(help: "Tenant fixture to seed a new database with: a YAML file, or 'contoso' for the built-in example.")
        var seed: String = "contoso"

        @Option(help: "Faults to inject, e.g. latency=50ms,429=0.1,5xx=0.05,drop=0.01,stale-etag=0.02,seed=42.")
        var faults: String?

        @Option(help: "File of 'user@domain token' lines.")
        var tokensFile: String?

        @Option(help: "Requests per second allowed per caller before 429 (burst the same).")
        var rateLimit: Double?

        @Option(help: "The URL clients reach this server at, for the links it hands out (default: http://HOST:PORT of --listen).")
        var baseURL: String?

        @Option(help: "Seconds a queued enroll or unenroll takes; 0 (the default) completes it at once, as fast as the contract allows.")
        var operationDelay: Double = 0

        @Option(
            help: ArgumentHelp(
                "Whether a room may be in several room groups: multiple or single.",
                discussion: "Microsoft does not document it; multiple is the emulator's default, single the stricter reading."))
        var roomGroupMembership: TenantSettings.RoomGroupMembership = .multiple

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            guard ListenAddress(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8080") }
            if let rateLimit, !(rateLimit.isFinite && rateLimit > 0) {
                throw ValidationError("--rate-limit must be a positive number of requests per second")
            }
            if let baseURL, URLComponents(string: baseURL)?.host == nil {
                throw ValidationError("--base-url must be an absolute URL, e.g. https://portal.example.net")
            }
            if let faults {
                do { _ = try FaultPlan(parsing: faults) } catch { throw ValidationError("\(error)") }
            }
        }

        func run() async throws {
            guard let address = ListenAddress(listen) else { throw ExitCode.validationFailure }
            let (host, port) = (address.host, address.port)
            let tokens: TokenDirectory
            do {
                tokens = try TokenDirectory.load(
                    file: tokensFile, environment: ProcessInfo.processInfo.environment["ROOMKEEPER_PORTAL_TOKENS"])
            } catch let error as TokenDirectoryError {
                throw CommandFailure("\(error)")
            }
            guard !tokens.isEmpty else {
                throw ValidationError("no tokens: set ROOMKEEPER_PORTAL_TOKENS='user@domain=token' or pass --tokens-file FILE")
            }
            let (tenant, diagnostics) = seed == "contoso" ? try TenantSeed.contoso() : try TenantSeed.load(path: seed)
            if diagnostics.hasErrors {
                let sources = seed == "contoso" ? [:] : [seed: SourceText(path: seed, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: seed))))]
                Console.current.err(DiagnosticRenderer(style: .automatic()).render(diagnostics, sources: sources), terminator: "")
                throw ExitCode.failure
            }
            let store = try PortalStore(path: db)
            try await tenant.seed(into: store)
            try await store.setSetting(PortalService.roomGroupMembershipSetting, roomGroupMembership.rawValue)
            let service = PortalService(store: store, operationDelay: operationDelay)
            let configuration = PortalServerConfiguration(
                host: host, port: port, tokens: tokens, faults: try faults.map(FaultPlan.init(parsing:)) ?? FaultPlan(),
                rateLimit: rateLimit.map { ($0, $0) }, baseURL: baseURL)
            let application = PortalServer.makeApplication(service: service, configuration: configuration) { port in
                // Written unbuffered, so a script waiting for this line sees it at once.
                Console.current.out("Roomkeeper portal emulator listening on http://\(host):\(port) (database \(db))\n", terminator: "")
            }
            try await application.runService()
        }
    }
}

extension TenantSettings.RoomGroupMembership: ExpressibleByArgument {}
