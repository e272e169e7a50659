import Foundation

/// The collections of the portal contract, named as in URLs and JSON (`/v1/roomGroups`).
public enum PortalCollection: String, CaseIterable, Sendable, Codable, Hashable {
    case rooms
    case devices
    case roles
    case roleAssignments
    case roomGroups
    case updateRings
    case users
    case groups
}

/// An object of the portal contract, stored and listed by collection and identified by `id`.
public protocol PortalResource: Codable, Sendable, Equatable {
    static var collection: PortalCollection { get }
    var id: String { get set }
}

/// An object whose last writer the portal records, as Microsoft Graph's `lastModifiedBy` does.
/// The portal sets both fields on every write and ignores them in requests; drift reports use
/// them to tell a person's edit in the portal from a change in git not yet applied.
public protocol ModificationStamped {
    /// The user principal name of the last writer.
    var lastModifiedBy: String? { get set }
    var lastModifiedDateTime: Date? { get set }
}

/// An object that Roomkeeper can create and change, and so can mark as its own.
public protocol OwnedResource: PortalResource, ModificationStamped {
    /// `roomkeeper` on objects Roomkeeper created or adopted; nil on hand-made ones.
    var managedBy: String? { get set }
    /// The `metadata.name` of the manifest that declares the object.
    var manifestName: String? { get set }
    /// Set by `metadata.protected`: Roomkeeper deletes the object only when git declares it absent.
    var protected: Bool? { get set }
}

extension ModificationStamped {
    /// The object without the portal's last-writer stamp: what a writer sent, to compare with what it reads back.
    public var unstamped: Self {
        var copy = self
        copy.lastModifiedBy = nil
        copy.lastModifiedDateTime = nil
        return copy
    }
}

/// The ownership marker Roomkeeper writes on its objects.
public enum Ownership {
    public static let roomkeeper = "roomkeeper"
}

/// A resource with the entity tag of the version it was read at, as lists and reads return it
/// (`@odata.etag` in JSON, `ETag` on single reads). Send the tag back in `If-Match` to write.
public struct Tagged<Resource: PortalResource>: Sendable, Equatable {
    public var resource: Resource
    public var etag: String

    public init(_ resource: Resource, etag: String) {
        self.resource = resource
        self.etag = etag
    }
}

extension Tagged: Codable {
    private enum TagKey: String, CodingKey {
        case etag = "@odata.etag"
    }

    public init(from decoder: any Decoder) throws {
        resource = try Resource(from: decoder)
        etag = try decoder.container(keyedBy: TagKey.self).decode(String.self, forKey: .etag)
    }

    public func encode(to encoder: any Encoder) throws {
        try resource.encode(to: encoder)
        var container = encoder.container(keyedBy: TagKey.self)
        try container.encode(etag, forKey: .etag)
    }
}

/// One page of a collection, as Microsoft Graph shapes it: the items and, while there are more,
/// the link to the next page, to be followed verbatim.
public struct Page<Item: Codable & Sendable>: Codable, Sendable {
    public var value: [Item]
    public var nextLink: String?

    public init(value: [Item], nextLink: String?) {
        self.value = value
        self.nextLink = nextLink
    }

    private enum CodingKeys: String, CodingKey {
        case value
        case nextLink = "@odata.nextLink"
    }
}
