import ArgumentParser
import Foundation
import PortalAPI
import PortalEmulator

/// Which portal to talk to, the same flags for plan, apply and drift.
///
/// The URL comes from `--portal`, else `ROOMKEEPER_PORTAL_URL`, else `portal.url` in
/// roomkeeper.yaml; with none, the embedded portal. The token comes from `--token-file` or
/// `ROOMKEEPER_TOKEN`, never from an argument that would land in shell history.
struct PortalOptions: ParsableArguments {
    @Option(help: "The portal API's base URL; the embedded portal when none is configured.")
    var portal: String?

    @Option(help: "A file holding the portal bearer token (else ROOMKEEPER_TOKEN).")
    var tokenFile: String?

    func open(policyURL: String?, environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> any Portal {
        try await Self.open(url: portal, tokenFile: tokenFile, policyURL: policyURL, environment: environment)
    }

    /// Opens the portal at `url`, else `ROOMKEEPER_PORTAL_URL`, else `policyURL`, else the embedded one.
    static func open(
        url: String?, tokenFile: String?, policyURL: String?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> any Portal {
        guard let url = url ?? environment["ROOMKEEPER_PORTAL_URL"] ?? policyURL else {
            return try await EmbeddedPortal.open()
        }
        let token: String
        if let tokenFile {
            token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } else if let variable = environment["ROOMKEEPER_TOKEN"], !variable.isEmpty {
            token = variable
        } else {
            throw ValidationError("the portal at \(url) needs a token: set ROOMKEEPER_TOKEN or pass --token-file FILE")
        }
        return HTTPPortalClient(baseURL: url, token: token)
    }
}
