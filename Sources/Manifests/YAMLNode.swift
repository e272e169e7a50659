/// How a scalar was written. Only `plain` scalars are subject to YAML's type resolution
/// (`yes`, `0123`, `null`); quoted and block scalars are always strings.
public enum ScalarStyle: UInt8, Sendable {
    case plain
    case singleQuoted
    case doubleQuoted
    case literal
    case folded
}

/// The nodes of one parsed YAML file, stored flat for speed: a node is an index into `records`;
/// a container's children are a run of `children`.
///
/// Immutable once built, so it is safe to share across tasks.
public final class YAMLTree: Sendable {
    struct Record: Sendable {
        var kind: YAMLNode.Kind
        var style: ScalarStyle
        /// Written with the `!!str` tag: a string whatever it looks like.
        var isExplicitString: Bool
        var line: Int32
        var column: Int32
        /// The scalar's index in `scalars`, or the container's first index in `children`.
        var payload: Int32
        /// Number of children (for a mapping, two per entry: key then value).
        var count: Int32
    }

    public let file: String
    let records: [Record]
    let children: [Int32]
    let scalars: [String]
    let roots: [Int32]

    init(file: String, records: [Record], children: [Int32], scalars: [String], roots: [Int32]) {
        self.file = file
        self.records = records
        self.children = children
        self.scalars = scalars
        self.roots = roots
    }

    /// The root node of each document in the file, in order; empty documents are left out.
    public var documents: [YAMLNode] { roots.map { YAMLNode(tree: self, index: $0) } }
}

/// A node of a parsed YAML file: a scalar, a sequence or a mapping, with its source location.
public struct YAMLNode: Sendable {
    public enum Kind: UInt8, Sendable {
        case scalar
        case sequence
        case mapping
    }

    let tree: YAMLTree
    let index: Int32

    private var record: YAMLTree.Record { tree.records[Int(index)] }

    public var kind: Kind { record.kind }

    /// Where the node starts in its file.
    public var location: SourceLocation {
        let record = record
        return SourceLocation(file: tree.file, line: Int(record.line), column: Int(record.column))
    }

    /// The scalar's text as written (after YAML unescaping); nil for containers.
    public var text: String? {
        let record = record
        return record.kind == .scalar ? tree.scalars[Int(record.payload)] : nil
    }

    public var style: ScalarStyle { record.style }

    /// Whether YAML would resolve this scalar's type from its text (unquoted and untagged).
    public var isPlainScalar: Bool {
        let record = record
        return record.kind == .scalar && record.style == .plain && !record.isExplicitString
    }

    /// A sequence's items; empty for other nodes. A view into the tree: no copying.
    public var elements: Children {
        let record = record
        guard record.kind == .sequence else { return Children(tree: tree, start: 0, count: 0) }
        return Children(tree: tree, start: Int(record.payload), count: Int(record.count))
    }

    /// A mapping's entries in written order; empty for other nodes. A view into the tree: no copying.
    public var entries: Entries {
        let record = record
        let count = record.kind == .mapping ? Int(record.count) : 0
        return Entries(nodes: Children(tree: tree, start: Int(record.payload), count: count))
    }

    /// The items of a sequence, as a collection over the tree's storage.
    public struct Children: RandomAccessCollection, Sendable {
        let tree: YAMLTree
        let start: Int
        public let count: Int
        public var startIndex: Int { 0 }
        public var endIndex: Int { count }
        public subscript(position: Int) -> YAMLNode { YAMLNode(tree: tree, index: tree.children[start + position]) }
    }

    /// The key-value pairs of a mapping, as a collection over the tree's storage.
    public struct Entries: RandomAccessCollection, Sendable {
        /// Keys and values, interleaved.
        let nodes: Children
        public var startIndex: Int { 0 }
        public var endIndex: Int { nodes.count / 2 }
        public subscript(position: Int) -> (key: YAMLNode, value: YAMLNode) { (nodes[2 * position], nodes[2 * position + 1]) }
    }

    /// The value for a scalar key in a mapping; nil when absent or when this is not a mapping.
    public subscript(key: String) -> YAMLNode? {
        let record = record
        guard record.kind == .mapping else { return nil }
        let start = Int(record.payload)
        for position in stride(from: start, to: start + Int(record.count), by: 2) {
            let keyRecord = tree.records[Int(tree.children[position])]
            if keyRecord.kind == .scalar, tree.scalars[Int(keyRecord.payload)].sameText(as: key) {
                return YAMLNode(tree: tree, index: tree.children[position + 1])
            }
        }
        return nil
    }

    /// How the node reads in a message: "a mapping", "a list", "the string \"x\"", "the number 3".
    public var summary: String {
        switch kind {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar:
            let text = text ?? ""
            guard isPlainScalar else { return "the string \"\(text.truncatedForMessage)\"" }
            switch PlainScalar.resolve(text) {
            case .null: return text.isEmpty ? "nothing" : "null"
            case .bool: return "the boolean \(text)"
            case .yaml11Bool: return "'\(text)'"
            case .integer, .float: return "the number \(text.truncatedForMessage)"
            case .string: return "the string \"\(text.truncatedForMessage)\""
            }
        }
    }
}

extension String {
    /// At most 60 characters, for quoting user input in a one-line message.
    var truncatedForMessage: String {
        count <= 60 ? self : String(prefix(57)) + "..."
    }
}

extension String {
    /// `==`, with the lengths compared first: keys and field names mostly differ in length, and
    /// that test costs far less than a comparison of their text.
    @inline(__always)
    func sameText(as other: String) -> Bool {
        utf8.count == other.utf8.count && self == other
    }
}
