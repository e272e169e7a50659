import Foundation
import PortalAPI

/// How Roomkeeper signs in to Microsoft Graph: app-only, with the OAuth 2.0 client-credentials
/// flow of the Microsoft identity platform
/// (learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow).
///
/// Built from the operator's flags and environment only. The credential is never described,
/// logged or written anywhere; it goes only to `tokenEndpoint`.
public struct GraphSignIn: Sendable, CustomStringConvertible {
    /// The directory (tenant) id, or one of its domain names.
    public let tenantId: String
    /// The app registration's application (client) id.
    public let clientId: String
    public let credential: GraphCredential
    /// Where tokens come from (the Entra sign-in host of the cloud).
    public let authority: GraphHost
    /// Where Graph answers; tokens are sent nowhere else.
    public let graph: GraphHost
    /// The Microsoft cloud the operator named (its hosts may be overridden, for the emulator).
    public let cloud: GraphCloud

    public init(
        tenantId: String, clientId: String, credential: GraphCredential, authority: GraphHost, graph: GraphHost, cloud: GraphCloud = .global
    ) throws(GraphConfigurationError) {
        self.cloud = cloud
        guard Self.isTenant(tenantId) else {
            throw GraphConfigurationError("the tenant id '\(PortalEndpoint.shown(tenantId))' is neither a directory id (a GUID) nor a domain name")
        }
        guard UUID(uuidString: clientId) != nil else {
            throw GraphConfigurationError("the client id '\(PortalEndpoint.shown(clientId))' is not an application id (a GUID)")
        }
        self.tenantId = tenantId.lowercased()
        self.clientId = clientId.lowercased()
        self.credential = credential
        self.authority = authority
        self.graph = graph
    }

    /// The v2.0 token endpoint of the tenant.
    public var tokenEndpoint: String { "\(authority.origin)/\(tenantId)/oauth2/v2.0/token" }

    /// The one scope of the client-credentials flow: every application permission the app was
    /// granted, on the cloud's own Graph host (learn.microsoft.com/graph/sdks/national-clouds).
    public var scope: String { "\(graph.origin)/.default" }

    /// `tenant <id>, client <id>, <how>`: what messages name; never the credential itself.
    public var description: String { "tenant \(tenantId), client \(clientId), \(credential.kind)" }

    private static func isTenant(_ text: String) -> Bool {
        if UUID(uuidString: text) != nil { return true }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return text.utf8.count <= 253 && labels.count >= 2
            && labels.allSatisfy { label in
                !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                    && label.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") }
            }
    }
}

/// What proves the app's identity to the token endpoint.
public enum GraphCredential: Sendable {
    /// A certificate registered on the app; Microsoft's recommended credential. Roomkeeper signs
    /// a short-lived client assertion with its private key.
    case certificate(ClientCertificate)
    /// A client secret: the fallback where no certificate can be used.
    case secret(ClientSecret)
    /// A token file a workload identity writes and rotates (Azure Kubernetes Service mounts one
    /// and names it in `AZURE_FEDERATED_TOKEN_FILE`): read again for every sign-in and sent as
    /// the client assertion, so no secret is kept at all.
    case federatedTokenFile(path: String)

    /// How the app signs in, for messages.
    public var kind: String {
        switch self {
        case .certificate(let certificate): "certificate \(certificate.thumbprint)"
        case .secret: "client secret"
        case .federatedTokenFile(let path): "federated token file \(path)"
        }
    }
}

/// A client secret. Its description never shows it, so it cannot reach a log by accident.
public struct ClientSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself: only for the token request's body.
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "(client secret, hidden)" }
    public var debugDescription: String { description }
}
