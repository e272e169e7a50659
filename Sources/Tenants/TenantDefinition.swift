import Manifests

/// One customer a partner's controller keeps in line (`kind: Tenant`): where its manifests
/// come from, how its portal and directory are reached, where its drift goes, and how often.
/// Secrets are never in it, only the paths of the files that hold them.
public struct TenantDefinition: Sendable, Equatable {
    /// The tenant's name (a DNS label): its state folder, its Lease and its metrics' `tenant` label.
    public var name: String
    /// Where the document is, for messages.
    public var location: SourceLocation
    public var source: Source
    /// Nil for a tenant reconciled through Microsoft Graph alone (the portal has no API).
    public var portal: Portal?
    public var graph: Graph?
    public var notifications: Notifications?
    /// Between reconciles, in seconds.
    public var intervalSeconds: Double
    /// Whether drift from git is applied (with a portal) rather than only reported.
    public var selfHeal: Bool
    /// The longest one reconcile may take, in seconds.
    public var reconcileTimeoutSeconds: Double

    /// The git repository of the tenant's manifests.
    public struct Source: Sendable, Equatable {
        public var url: String
        public var ref: String
        /// The folder of the manifests inside the repository.
        public var path: String
        /// OpenSSH allowed_signers or OpenPGP keyring files: only signed revisions are reconciled.
        public var allowedSigners: String?
        public var gpgKeyring: String?
    }

    /// The portal's API and the file holding its bearer token.
    public struct Portal: Sendable, Equatable {
        public var url: String
        public var tokenFile: String
    }

    /// The tenant's Entra ID app registration, and the file holding its credential.
    public struct Graph: Sendable, Equatable {
        public var tenantId: String
        public var clientId: String
        public var credential: Credential
        /// `global`, `usgov`, `usgov-dod` or `china`; nil for global.
        public var cloud: String?
        /// The sign-in and Graph hosts, when not the cloud's: `roomkeeper graph serve` on loopback.
        public var authorityHost: String?
        public var graphEndpoint: String?

        public enum Credential: Sendable, Equatable {
            /// A PEM file with the certificate and its private key: what Microsoft recommends.
            case certificateFile(String)
            case secretFile(String)
            /// A workload identity's federated token file.
            case federatedTokenFile(String)
        }
    }

    /// A webhook for drift: the file holding its URL (which may carry a secret), and the payload.
    public struct Notifications: Sendable, Equatable {
        public var urlFile: String
        /// `json` (the report) or `teams` (an Adaptive Card).
        public var format: String
    }
}
