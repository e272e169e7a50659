import ArgumentParser
import Foundation
import GraphAPI
import GraphEmulator
import Manifests
import Reports

extension Roomkeeper {
    struct GraphCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "graph",
            abstract: "Run the Microsoft Graph emulator.",
            subcommands: [Serve.self])
    }
}

extension Roomkeeper.GraphCommand {
    struct Serve: AsyncParsableCommand, LoggingCommand, LongRunningCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve an emulated tenant's directory through Graph v1.0 and its token endpoint over HTTP.",
            discussion: """
                A real HTTP server answering the Graph v1.0 reads Roomkeeper makes (users, groups and \
                members, Places rooms and room lists, licence details, directory role assignments, \
                delta queries, JSON batches) and the Microsoft identity platform's token endpoint at \
                /TENANT/oauth2/v2.0/token, on one port: point both --authority-host and \
                --graph-endpoint at it. The app that may sign in is registered with --client-id and \
                a credential (--client-certificate, --client-secret-file), or in the fixture. Its \
                directory lives in memory. Stops gracefully on SIGTERM or SIGINT.
                """)

        @Option(
            help:
                "Directory fixture: a YAML file, 'contoso' for the built-in example, or generated:USERS:GROUPS:ROOMS for a large generated one (needs --client-id)."
        )
        var seed: String = "contoso"

        @Option(help: "Address and port to listen on; port 0 picks a free one.")
        var listen: String = "127.0.0.1:8081"

        @Option(help: "Register this application (client) id as an app that may sign in.")
        var clientId: String?

        @Option(help: "With --client-id: a PEM file holding the app's certificate (a private key in it is not read).", completion: .file())
        var clientCertificate: String?

        @Option(help: "With --client-id: a file holding a client secret the app may sign in with.", completion: .file())
        var clientSecretFile: String?

        @Option(
            help: "With --client-id: also grant the app this application permission (repeatable), e.g. DeviceManagementServiceConfig.ReadWrite.All.")
        var grant: [String] = []

        @Option(help: "With --client-id: a redirect URI of the app's web platform (repeatable), for people signing in to the console.")
        var redirectUri: [String] = []

        @Option(help: "With --client-id: assign an app role to a person, as UPN=ROLE (repeatable), e.g. megan.bowen@contoso.com=Roomkeeper.Operator.")
        var appRole: [String] = []

        @Option(help: "Answer every n-th Graph request with 429 and Retry-After, to try throttling.")
        var throttleEvery: Int?

        @Option(help: "Seconds an access token lives.")
        var tokenLifetime: Int = 3599

        @Option(
            help:
                "Serve this many tenants, each a copy of the directory with its own state and limits, for benchmarks of many tenants: copy N's tenant id ends in N, in twelve hex digits."
        )
        var copies: Int = 1

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            guard ListenAddress(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, e.g. 127.0.0.1:8081") }
            if clientId == nil, clientCertificate != nil || clientSecretFile != nil || !grant.isEmpty || !redirectUri.isEmpty || !appRole.isEmpty {
                throw ValidationError(
                    "--client-certificate, --client-secret-file, --grant, --redirect-uri and --app-role register something for --client-id; give it")
            }
            if let bad = appRole.first(where: { $0.split(separator: "=").count != 2 }) {
                throw ValidationError("--app-role takes UPN=ROLE, e.g. megan.bowen@contoso.com=Roomkeeper.Operator; not '\(bad)'")
            }
            if let bad = redirectUri.first(where: { URLComponents(string: $0)?.scheme.map { ["http", "https"].contains($0) } != true }) {
                throw ValidationError("--redirect-uri must be an http or https URL; not '\(bad)'")
            }
            if let clientId, UUID(uuidString: clientId) == nil { throw ValidationError("--client-id must be a GUID") }
            if let throttleEvery, throttleEvery < 1 { throw ValidationError("--throttle-every must be at least 1") }
            if tokenLifetime < 1 { throw ValidationError("--token-lifetime must be at least 1 second") }
            guard (1...10_000).contains(copies) else { throw ValidationError("--copies must be from 1 to 10000") }
            if seed.hasPrefix("generated:") {
                guard generatedSize != nil else { throw ValidationError("--seed generated:USERS:GROUPS:ROOMS takes three counts up to 1000000") }
                guard clientId != nil else { throw ValidationError("a generated directory has no app registration: give --client-id") }
            }
        }

        /// The counts of `--seed generated:USERS:GROUPS:ROOMS`.
        private var generatedSize: (users: Int, groups: Int, rooms: Int)? {
            let counts = seed.split(separator: ":").dropFirst().compactMap { Int($0) }
            guard counts.count == 3, counts.allSatisfy({ (0...1_000_000).contains($0) }) else { return nil }
            return (counts[0], counts[1], counts[2])
        }

        /// The tenant id of generated directories.
        static let generatedTenantId = "0b5e6c1d-2f3a-4b5c-8d7e-9f0a1b2c3d4e"

        func run() async throws {
            guard let address = ListenAddress(listen) else { throw ExitCode.validationFailure }
            let (host, port) = (address.host, address.port)
            var (tenant, diagnostics): (GraphTenant, [Diagnostic])
            if let size = generatedSize, let clientId {
                (tenant, diagnostics) = (
                    GraphTenant.generated(
                        tenantId: Self.generatedTenantId, app: GraphTenant.App(clientId: clientId), users: size.users, groups: size.groups,
                        rooms: size.rooms), []
                )
            } else {
                (tenant, diagnostics) = seed == "contoso" ? try GraphTenant.contoso() : try GraphTenant.load(path: seed)
            }
            if !diagnostics.isEmpty {
                let sources = seed == "contoso" ? [:] : [seed: SourceText(path: seed, bytes: Array(try Data(contentsOf: URL(fileURLWithPath: seed))))]
                Console.current.err(DiagnosticRenderer(style: .automatic()).render(diagnostics, sources: sources), terminator: "")
                if diagnostics.hasErrors { throw ExitCode.failure }
            }
            if let clientId { try register(clientId, in: &tenant) }
            let stores = copies == 1 ? [GraphDirectoryStore(tenant: tenant)] : (0..<copies).map { GraphDirectoryStore(tenant: tenant.copy($0)) }
            let tenants = copies == 1 ? "tenant \(tenant.tenantId)" : "\(copies) tenants, \(stores[0].tenantId) to \(stores[copies - 1].tenantId)"
            let configuration = GraphServerConfiguration(
                host: host, port: port, tokenLifetime: TimeInterval(tokenLifetime), throttleEvery: throttleEvery)
            let application = GraphServer.makeApplication(
                stores: stores, configuration: configuration,
                onServerRunning: { port in
                    // Written unbuffered, so a script waiting for this line sees it at once.
                    Console.current.out("Roomkeeper Graph emulator listening on http://\(host):\(port) (\(tenants))\n", terminator: "")
                })
            try await application.runService()
        }

        /// Adds the credentials from the flags to the app `clientId` (registering it if the fixture does not).
        private func register(_ clientId: String, in tenant: inout GraphTenant) throws {
            var app = tenant.apps.first { $0.clientId == clientId.lowercased() } ?? GraphTenant.App(clientId: clientId)
            if let clientCertificate {
                do {
                    let text = try String(data: FileHandle.readBounded(path: clientCertificate, limit: 256 << 10), encoding: .utf8) ?? ""
                    guard let start = text.range(of: "-----BEGIN CERTIFICATE-----"), let end = text.range(of: "-----END CERTIFICATE-----") else {
                        throw CommandFailure("\(clientCertificate) holds no CERTIFICATE block")
                    }
                    app.certificates.append(String(text[start.lowerBound..<end.upperBound]))
                } catch let failure as CommandFailure {
                    throw failure
                } catch {
                    throw CommandFailure("cannot read the certificate file \(clientCertificate)")
                }
            }
            if let clientSecretFile {
                guard let data = try? FileHandle.readBounded(path: clientSecretFile, limit: 4096),
                    let secret = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !secret.isEmpty
                else { throw CommandFailure("cannot read a client secret from \(clientSecretFile)") }
                app.secrets.append(GraphTenant.Secret(value: secret))
            }
            app.permissions.formUnion(grant)
            app.redirectURIs += redirectUri
            for assignment in appRole {
                let parts = assignment.split(separator: "=").map(String.init)
                guard parts.count == 2 else { continue }
                app.appRoles[parts[0].lowercased(), default: []].insert(parts[1])
            }
            tenant.apps.removeAll { $0.clientId == app.clientId }
            tenant.apps.append(app)
        }
    }
}
