// Incremental reads, after Microsoft Graph's delta query
// (learn.microsoft.com/graph/delta-query-overview): `GET /v1/{collection}/delta` pages through
// every object the caller may see and ends with an `@odata.deltaLink` holding a delta token;
// asking again with that token returns only the objects written since (an object the caller can
// no longer see, or that was deleted, comes as `{"id", "@removed"}`), and a new token.
// A token the portal can no longer honour answers 410 Gone: start again without one.

/// Where a collection's last read ended: opaque, issued by the portal, carried back verbatim.
public struct DeltaToken: Codable, Sendable, Hashable {
    public var value: String

    public init(_ value: String) {
        self.value = value
    }
}

/// What a delta read of one collection found.
public struct CollectionChanges<R: PortalResource>: Sendable {
    /// Objects written since the token, as they are now (every object, when read without one).
    public var changed: [Tagged<R>]
    /// Ids of objects deleted since the token, or moved out of the caller's sight.
    public var removed: [String]
    /// Where this read ended, for the next one.
    public var token: DeltaToken

    public init(changed: [Tagged<R>], removed: [String], token: DeltaToken) {
        self.changed = changed
        self.removed = removed
        self.token = token
    }

    /// Adds a page's entries.
    public mutating func record(_ entries: [DeltaEntry<R>]) {
        for entry in entries {
            switch entry {
            case .present(let object): changed.append(object)
            case .removed(let id): removed.append(id)
            }
        }
    }
}

/// One entry of a delta page: an object as it is now, or the id of one that is gone.
public enum DeltaEntry<R: PortalResource>: Codable, Sendable {
    case present(Tagged<R>)
    case removed(id: String)

    private enum Key: String, CodingKey {
        case id
        case removed = "@removed"
    }

    /// The `@removed` annotation's body: why the object left the caller's view.
    private struct Removal: Codable {
        var reason: String
    }

    public init(from decoder: any Decoder) throws {
        // Objects outnumber removals: try the object first, so most entries are read once.
        do {
            self = .present(try Tagged<R>(from: decoder))
        } catch let notAnObject {
            let container = try decoder.container(keyedBy: Key.self)
            guard container.contains(.removed) else { throw notAnObject }
            self = .removed(id: try container.decode(String.self, forKey: .id))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .present(let object):
            try object.encode(to: encoder)
        case .removed(let id):
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(id, forKey: .id)
            // Graph's reasons are "changed" (may come back) and "deleted"; the portal cannot
            // tell a deletion from a loss of sight without saying more than the caller may know.
            try container.encode(Removal(reason: "changed"), forKey: .removed)
        }
    }
}

/// One page of a delta read: entries, and either the next page's link or, on the last page, the
/// delta link to ask from next time.
public struct DeltaPage<R: PortalResource>: Codable, Sendable {
    public var value: [DeltaEntry<R>]
    public var nextLink: String?
    public var deltaLink: String?

    public init(value: [DeltaEntry<R>], nextLink: String?, deltaLink: String?) {
        self.value = value
        self.nextLink = nextLink
        self.deltaLink = deltaLink
    }

    private enum CodingKeys: String, CodingKey {
        case value
        case nextLink = "@odata.nextLink"
        case deltaLink = "@odata.deltaLink"
    }
}
