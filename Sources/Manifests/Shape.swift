/// The expected shape of a manifest value: one description that drives both the strict checker
/// (`ShapeChecker`) and the JSON Schema that editors use (`JSONSchema`), so the two never disagree.
public indirect enum Shape: Sendable {
    case string(StringFormat)
    case integer(ClosedRange<Int>)
    case boolean
    /// A list; `minimumCount` items at least; `unique` when it is a set (compared case-insensitively).
    case list(Shape, minimumCount: Int = 0, unique: Bool = true)
    case object(ObjectShape)
    /// A mapping of free-form string keys to string values (labels).
    case stringMap

    /// How the expected value reads in a message: "an e-mail address", "true or false".
    var expectation: String {
        switch self {
        case .string(let format): format.expectation
        case .integer(let range): "an integer from \(range.lowerBound) to \(range.upperBound)"
        case .boolean: "true or false"
        case .list(let item, _, _): "a list of \(item.plural)"
        case .object: "a mapping"
        case .stringMap: "a mapping of names to strings"
        }
    }

    private var plural: String {
        switch self {
        case .string(let format): format.plural
        case .integer: "integers"
        case .boolean: "booleans"
        case .list: "lists"
        case .object: "mappings"
        case .stringMap: "mappings"
        }
    }
}

/// What a string must look like.
public enum StringFormat: Sendable {
    case text(maximumLength: Int)
    /// A lower-case DNS label: the identity of a manifest.
    case dnsLabel
    case email
    case url
    /// A calendar day, `YYYY-MM-DD`.
    case date
    case oneOf([String])

    var expectation: String {
        switch self {
        case .text: "a string"
        case .dnsLabel: "a lower-case DNS label"
        case .email: "an e-mail address"
        case .url: "a URL"
        case .date: "a date (YYYY-MM-DD)"
        case .oneOf(let values) where values.count == 1: values[0]
        case .oneOf(let values) where values.count > 16: "one of \(values.count) known values"
        case .oneOf(let values): "one of " + values.joined(separator: ", ")
        }
    }

    var plural: String {
        switch self {
        case .text: "strings"
        case .dnsLabel: "names"
        case .email: "e-mail addresses"
        case .url: "URLs"
        case .date: "dates"
        case .oneOf: "values"
        }
    }
}

/// A field of an object: its name, shape, whether it must be present, and what it means.
public struct FieldShape: Sendable {
    public var name: String
    public var shape: Shape
    public var isRequired: Bool
    public var summary: String

    public init(_ name: String, _ shape: Shape, required: Bool = false, _ summary: String) {
        self.name = name
        self.shape = shape
        self.isRequired = required
        self.summary = summary
    }
}

/// A mapping with known fields; any other field is an error.
public struct ObjectShape: Sendable {
    /// How the object is named in messages, e.g. "RoomGroup spec".
    public var title: String
    public var fields: [FieldShape]
    /// Names of which exactly one must be present (e.g. a member is a `user` or a `group`).
    public var exactlyOneOf: [String]

    public init(_ title: String, fields: [FieldShape], exactlyOneOf: [String] = []) {
        // The checker keeps which fields it saw in the bits of a UInt64.
        precondition(fields.count <= 64, "an object shape has at most 64 fields")
        self.title = title
        self.fields = fields
        self.exactlyOneOf = exactlyOneOf
    }

    func field(named name: String) -> FieldShape? { fields.first { $0.name == name } }
}

/// Fields the emulators' fixture formats (`portal serve --seed`, `graph serve --seed`) share, so
/// the two describe a user, a room and a device alike.
public enum FixtureFields {
    public static let userPrincipalName = FieldShape("userPrincipalName", .string(.email), required: true, "The user's UPN.")
    public static let userDisplayName = FieldShape("displayName", .string(.text(maximumLength: 256)), required: true, "The user's name.")
    public static let objectId = FieldShape("id", .string(.text(maximumLength: 64)), "The directory object id; derived from the UPN when absent.")
    public static let roomDisplayName = FieldShape("displayName", .string(.text(maximumLength: 256)), required: true, "The room's name.")
    public static let capacity = FieldShape("capacity", .integer(0...10_000), "Seats.")
    public static let serialNumber = FieldShape("serialNumber", .string(.text(maximumLength: 128)), required: true, "Hardware serial number.")
    public static let model = FieldShape("model", .string(.text(maximumLength: 128)), "Model.")
}
