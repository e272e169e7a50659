import ArgumentParser
import Engine
import Foundation
import GraphAPI
import GraphClient
import HTTPTransport
import PortalAPI
import PortalClient
import StateStore

/// Whether and how to read the tenant's own directory through Microsoft Graph, the same flags
/// for validate, plan, apply, drift, access, export and the controller.
///
/// Off unless `--graph` (or `ROOMKEEPER_DIRECTORY=graph`) asks for it. Sign-in settings come
/// from the flags, then from the variables Azure's SDKs read (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
/// `AZURE_CLIENT_CERTIFICATE_PATH`, `AZURE_CLIENT_SECRET`, `AZURE_FEDERATED_TOKEN_FILE`,
/// `AZURE_AUTHORITY_HOST`); never from the repository. The credential goes only to the sign-in
/// host, and the token only to the Graph host.
struct GraphOptions: ParsableArguments {
    @Flag(
        help:
            "Check members, rooms, room lists and licences against the tenant's directory through Microsoft Graph (else ROOMKEEPER_DIRECTORY=graph).")
    var graph = false

    @Option(help: "With --graph: the directory (tenant) id or a domain of it (else AZURE_TENANT_ID).")
    var tenantId: String?

    @Option(help: "With --graph: the app registration's application (client) id (else AZURE_CLIENT_ID).")
    var clientId: String?

    @Option(
        help: "With --graph: a PEM file with the app's certificate and private key, the recommended credential (else AZURE_CLIENT_CERTIFICATE_PATH).",
        completion: .file())
    var clientCertificate: String?

    @Option(help: "With --graph: a file holding a client secret (else AZURE_CLIENT_SECRET).", completion: .file())
    var clientSecretFile: String?

    @Option(help: "With --graph: a workload identity's federated token file (else AZURE_FEDERATED_TOKEN_FILE).", completion: .file())
    var federatedTokenFile: String?

    @Option(help: "With --graph: the Microsoft cloud: global, usgov, usgov-dod or china (else ROOMKEEPER_GRAPH_CLOUD).")
    var cloud: String?

    @Option(help: "With --graph: the sign-in host, overriding the cloud's (else AZURE_AUTHORITY_HOST).")
    var authorityHost: String?

    @Option(help: "With --graph: the Graph host, overriding the cloud's, e.g. a Graph emulator on loopback (else ROOMKEEPER_GRAPH_ENDPOINT).")
    var graphEndpoint: String?

    @Option(help: "With --graph: seconds one Graph request may take before it counts as failed.")
    var graphTimeout: Int = 60

    private var settings: GraphSignInSettings {
        GraphSignInSettings(
            tenantId: tenantId, clientId: clientId, certificatePath: clientCertificate, secretFile: clientSecretFile,
            federatedTokenFile: federatedTokenFile, cloud: cloud, authorityHost: authorityHost, graphEndpoint: graphEndpoint)
    }

    func isEnabled(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        graph || environment["ROOMKEEPER_DIRECTORY"]?.lowercased() == "graph"
    }

    func validate() throws {
        let given = [tenantId, clientId, clientCertificate, clientSecretFile, federatedTokenFile, cloud, authorityHost, graphEndpoint]
        if !isEnabled(), given.contains(where: { $0 != nil }) {
            throw ValidationError("the Graph sign-in flags take effect with --graph; add it to check against the tenant's directory")
        }
        if graphTimeout < 1 { throw ValidationError("--graph-timeout must be at least 1 second") }
    }

    /// The directory reader the operator configured, or nil when Graph is not enabled; throws a
    /// message naming the setting to fix. `priority` is low for the controller, whom nobody waits for.
    /// What it reads is kept in the state folder, so that the next run reads by delta.
    func reader(
        priority: GraphSession.Priority = .normal, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> GraphDirectoryReader? {
        guard isEnabled(environment: environment) else { return nil }
        let signIn: GraphSignIn
        do {
            signIn = try settings.resolve(environment: environment)
        } catch {
            throw CommandFailure("\(error)")
        }
        return Self.reader(
            signIn: signIn, timeout: .seconds(max(1, graphTimeout)), priority: priority, state: StateFolder.forThisMachine(environment: environment))
    }

    /// The reader for `signIn`, keeping what it reads in `state` and starting to load what an
    /// earlier process kept there.
    static func reader(signIn: GraphSignIn, timeout: Duration, priority: GraphSession.Priority, state: StateFolder) -> GraphDirectoryReader {
        let tokens = GraphTokenProvider(signIn: signIn, http: .roomkeeper, timeout: timeout)
        let session = GraphSession(tokens: tokens, http: .roomkeeper, timeout: timeout, priority: priority)
        let reader = GraphDirectoryReader(session: session, cacheFile: state.directoryCache(for: GraphDirectoryReader.tenantKey(of: session)))
        Task { await reader.prefetch() }
        return reader
    }

    /// Who the app registration is, from the flags or Azure's variables, whether or not Graph is
    /// read: the console signs people in through it.
    func signIn(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GraphSignIn {
        do {
            return try settings.resolve(environment: environment)
        } catch {
            throw CommandFailure("\(error)")
        }
    }

    /// Refuses to write a real tenant on the word of an emulated portal: with the embedded portal,
    /// apply and self-heal would set a real tenant's Autopilot group tags (Intune) from a
    /// made-up inventory. Graph on this machine (the emulator) is fine.
    func refuseRealTenantWrites(
        with portal: PortalChoice, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws {
        guard case .embedded = portal, isEnabled(environment: environment) else { return }
        let graph: GraphHost
        do {
            graph = try settings.resolve(environment: environment).graph
        } catch {
            throw CommandFailure("\(error)")
        }
        guard graph.isLoopback else {
            throw CommandFailure(
                "the embedded portal is an emulator, and --graph reads the real tenant at \(graph): apply would change the real Intune "
                    + "(Autopilot group tags) on an emulated portal's word. Name the real portal with --portal, or point --graph-endpoint "
                    + "at `roomkeeper graph serve`. Nothing was changed")
        }
    }

    /// The engine for this machine's state folder, reading the directory when Graph is enabled.
    func engine() throws -> Engine {
        Engine.forThisMachine(directory: try reader())
    }
}
