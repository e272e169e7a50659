import ArgumentParser
import Engine
import Foundation
import PortalAPI
import PortalClient
import PortalEmulator
import StateStore

/// Which portal to talk to, the same flags for plan, apply, drift, export and the controller.
///
/// The operator chooses, never the repository: `--portal`, else `ROOMKEEPER_PORTAL_URL`; either
/// is an `https://` URL (plain `http://` only on loopback) or `embedded`. There is no default:
/// a command that needs a portal and has none says how to configure one. The token comes from
/// `--token-file` or `ROOMKEEPER_TOKEN`, never from an argument that would land in shell history,
/// and only ever goes to the URL configured here.
struct PortalOptions: ParsableArguments {
    @Option(
        help: "The portal: its API base URL (https://, or http:// on loopback), or 'embedded' for the built-in emulator (else ROOMKEEPER_PORTAL_URL)."
    )
    var portal: String?

    @Option(help: "A file holding the portal bearer token (else ROOMKEEPER_TOKEN).")
    var tokenFile: String?

    @Option(help: "Seconds one portal request may take, answer included, before it counts as failed.")
    var portalTimeout: Int = 30

    /// Whether the operator named a portal at all. With none and `--graph`, commands that can work
    /// without a portal API (plan, apply --walk-through, drift) make a checklist instead.
    func isConfigured(environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        setting(portal, "ROOMKEEPER_PORTAL_URL", in: environment) != nil
    }

    /// The portal the operator configured, checked; throws a message for the user when there is none
    /// or it cannot be used.
    func choice(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PortalChoice {
        try PortalChoice(configured: portal, tokenFile: tokenFile, timeout: .seconds(max(1, portalTimeout)), environment: environment)
    }
}

/// The portal a command will use, decided from the operator's configuration alone.
enum PortalChoice: Sendable {
    /// The emulator's store in this process, under the state folder.
    case embedded
    /// A portal that implements the contract, and the token for it.
    case remote(PortalEndpoint, token: String, timeout: Duration)

    init(configured flag: String?, tokenFile: String?, timeout: Duration, environment: [String: String]) throws {
        let configured = setting(flag, "ROOMKEEPER_PORTAL_URL", in: environment)
        guard let configured else {
            throw CommandFailure(
                "no portal is configured: pass --portal URL (or set ROOMKEEPER_PORTAL_URL) with a token in ROOMKEEPER_TOKEN or --token-file, "
                    + "or --portal embedded to try Roomkeeper against its built-in emulator")
        }
        let token: String?
        if let tokenFile {
            do {
                token = try SecretFile.read(tokenFile)
            } catch {
                throw CommandFailure("the token file \(error)")
            }
        } else {
            token = setting(nil, "ROOMKEEPER_TOKEN", in: environment)
        }
        if configured == "embedded" {
            guard token == nil else {
                throw CommandFailure(
                    "a portal token is set (\(tokenFile == nil ? "ROOMKEEPER_TOKEN" : "--token-file")) but the portal is the embedded one, "
                        + "which takes none: name the real portal with --portal URL, or unset the token")
            }
            self = .embedded
            return
        }
        let endpoint: PortalEndpoint
        do {
            endpoint = try PortalEndpoint(validating: configured)
        } catch {
            throw CommandFailure("\(error)")
        }
        guard let token, !token.isEmpty else {
            throw CommandFailure("the portal at \(endpoint) needs a token: set ROOMKEEPER_TOKEN or pass --token-file FILE")
        }
        self = .remote(endpoint, token: token, timeout: timeout)
    }

    /// What the portal will call itself once opened.
    var endpointDescription: String {
        switch self {
        case .embedded: EmbeddedPortal.endpointDescription(path: StateFolder.forThisMachine().embeddedPortalDatabase.path)
        case .remote(let endpoint, _, _): HTTPPortalClient.endpointDescription(baseURL: endpoint.url)
        }
    }

    /// `open`, as the controller takes it: once per pass.
    var opener: @Sendable () async throws -> any Portal { { try await open() } }

    func open() async throws -> any Portal {
        switch self {
        case .embedded: try await EmbeddedPortal.open(path: StateFolder.forThisMachine().embeddedPortalDatabase.path)
        case .remote(let endpoint, let token, let timeout): HTTPPortalClient(baseURL: endpoint.url, token: token, requestTimeout: timeout)
        }
    }
}
