import Foundation
import PortalAPI

/// The operator's Graph sign-in settings, from flags first and then the environment variables
/// Azure's own SDKs read (learn.microsoft.com/dotnet/api/azure.identity.environmentcredential):
/// `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_CERTIFICATE_PATH`, `AZURE_CLIENT_SECRET`,
/// `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST`; plus `ROOMKEEPER_GRAPH_CLOUD` and
/// `ROOMKEEPER_GRAPH_ENDPOINT`, which Azure has no names for.
public struct GraphSignInSettings: Sendable {
    public var tenantId: String?
    public var clientId: String?
    public var certificatePath: String?
    /// A file holding the client secret (a flag never takes the secret itself: shell history).
    public var secretFile: String?
    public var federatedTokenFile: String?
    public var cloud: String?
    public var authorityHost: String?
    public var graphEndpoint: String?

    public init(
        tenantId: String? = nil, clientId: String? = nil, certificatePath: String? = nil, secretFile: String? = nil,
        federatedTokenFile: String? = nil, cloud: String? = nil, authorityHost: String? = nil, graphEndpoint: String? = nil
    ) {
        self.tenantId = tenantId
        self.clientId = clientId
        self.certificatePath = certificatePath
        self.secretFile = secretFile
        self.federatedTokenFile = federatedTokenFile
        self.cloud = cloud
        self.authorityHost = authorityHost
        self.graphEndpoint = graphEndpoint
    }

    /// The sign-in these settings describe, checked; every refusal says which setting to fix.
    ///
    /// Exactly one credential must be configured: where a flag names one, the environment's are
    /// ignored; where only the environment does and it names several, that is an error rather
    /// than a guess at the operator's intent.
    public func resolve(environment: [String: String], now: Date = Date()) throws(GraphConfigurationError) -> GraphSignIn {
        guard let tenantId = setting(tenantId, "AZURE_TENANT_ID", in: environment) else {
            throw GraphConfigurationError("no tenant is configured for Microsoft Graph: pass --tenant-id or set AZURE_TENANT_ID")
        }
        guard let clientId = setting(clientId, "AZURE_CLIENT_ID", in: environment) else {
            throw GraphConfigurationError(
                "no app registration is configured for Microsoft Graph: pass --client-id or set AZURE_CLIENT_ID to its application (client) id")
        }
        let cloudName = setting(cloud, "ROOMKEEPER_GRAPH_CLOUD", in: environment) ?? GraphCloud.global.rawValue
        guard let chosenCloud = GraphCloud(rawValue: cloudName.lowercased()) else {
            throw GraphConfigurationError(
                "unknown cloud '\(cloudName)'; expected one of \(GraphCloud.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let authority = try GraphHost(
            validating: setting(authorityHost, "AZURE_AUTHORITY_HOST", in: environment) ?? chosenCloud.authorityHost,
            purpose: "sign-in authority host")
        let graph = try GraphHost(
            validating: setting(graphEndpoint, "ROOMKEEPER_GRAPH_ENDPOINT", in: environment) ?? chosenCloud.graphEndpoint, purpose: "Graph endpoint")
        return try GraphSignIn(
            tenantId: tenantId, clientId: clientId, credential: credential(environment: environment, now: now), authority: authority,
            graph: graph, cloud: chosenCloud)
    }

    private func credential(environment: [String: String], now: Date) throws(GraphConfigurationError) -> GraphCredential {
        let flags = [
            certificatePath.map { _ in "--client-certificate" }, secretFile.map { _ in "--client-secret-file" },
            federatedTokenFile.map { _ in "--federated-token-file" },
        ].compactMap { $0 }
        guard flags.count <= 1 else {
            throw GraphConfigurationError("choose one way to sign in to Microsoft Graph; got \(flags.joined(separator: " and "))")
        }
        if let certificatePath { return .certificate(try ClientCertificate(pemFile: certificatePath, now: now)) }
        if let secretFile { return .secret(try Self.secret(fromFile: secretFile)) }
        if let federatedTokenFile { return .federatedTokenFile(path: federatedTokenFile) }
        let configured = ["AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE"]
            .filter { !(environment[$0] ?? "").isEmpty }
        guard configured.count == 1, let variable = configured.first, let value = environment[variable] else {
            throw GraphConfigurationError(
                configured.isEmpty
                    ? "no credential is configured for Microsoft Graph: pass --client-certificate PEM (recommended), --client-secret-file "
                        + "or --federated-token-file, or set AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE"
                    : "\(configured.joined(separator: " and ")) are all set: choose one way to sign in to Microsoft Graph, "
                        + "or name it with a flag")
        }
        switch variable {
        case "AZURE_CLIENT_CERTIFICATE_PATH": return .certificate(try ClientCertificate(pemFile: value, now: now))
        case "AZURE_CLIENT_SECRET": return .secret(ClientSecret(value))
        default: return .federatedTokenFile(path: value)
        }
    }

    private static func secret(fromFile path: String) throws(GraphConfigurationError) -> ClientSecret {
        do {
            try SecretFile.checkPermissions(path)
        } catch {
            throw GraphConfigurationError("the client secret file \(error)")
        }
        guard let data = try? FileHandle.readBounded(path: path, limit: 4096),
            let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty
        else { throw GraphConfigurationError("cannot read a client secret from \(path): it must be a small text file holding the secret") }
        return ClientSecret(text)
    }
}
