/// Whose state Roomkeeper keeps: a portal, known by its endpoint (`Portal.endpointDescription`),
/// or a tenant's directory read through Graph where the portal has no API. The state folder's
/// read caches, inventory records and drift histories are kept per identity.
public enum PortalIdentity: Hashable, Sendable, CustomStringConvertible {
    case portal(endpoint: String)
    case directory(tenantKey: String)

    /// The key files are named by, as it has always been written: the endpoint, or
    /// `directory <tenant key>`.
    public var key: String {
        switch self {
        case .portal(let endpoint): endpoint
        case .directory(let tenantKey): "directory \(tenantKey)"
        }
    }

    public var description: String { key }
}

extension Portal {
    public var identity: PortalIdentity { .portal(endpoint: endpointDescription) }
}

extension DirectorySource {
    public var identity: PortalIdentity { .directory(tenantKey: tenantKey) }
}
