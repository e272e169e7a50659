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
/// a container's children are a run of `children`; a scalar's text is a run of `text`.
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
        /// A scalar's first byte in `text`, or a container's first index in `children`.
        var payload: Int32
        /// A scalar's length in bytes, or a container's number of children (two per mapping entry).
        var count: Int32
    }

    public let file: String
    let records: [Record]
    let children: [Int32]
    /// Every scalar's text.
    let text: ScalarText
    let roots: [Int32]

    init(file: String, records: [Record], children: [Int32], text: ScalarText, roots: [Int32]) {
        self.file = file
        self.records = records
        self.children = children
        self.text = text
        self.roots = roots
    }

    /// The root node of each document in the file, in order; empty documents are left out.
    public var documents: [YAMLNode] { roots.map { YAMLNode(tree: self, index: $0) } }

    /// Calls `body` with a view of the tree's storage that is valid only during the call: walking
    /// it neither copies text nor counts references.
    func withStorage<Result>(_ body: (Storage) -> Result) -> Result {
        records.withUnsafeBufferPointer { records in
            children.withUnsafeBufferPointer { children in
                text.withUnsafeBufferPointer { text in body(Storage(records: records, children: children, text: text)) }
            }
        }
    }

    /// The tree's storage, borrowed for the length of a `withStorage` call.
    struct Storage {
        let records: UnsafeBufferPointer<Record>
        let children: UnsafeBufferPointer<Int32>
        let text: UnsafeBufferPointer<UInt8>

        subscript(node: Int32) -> Record { records[Int(node)] }

        /// The UTF-8 bytes of the scalar `record`.
        func bytes(of record: Record) -> UnsafeBufferPointer<UInt8> { text.run(from: record.payload, count: record.count) }

        func string(of record: Record) -> String { String(decoding: bytes(of: record), as: UTF8.self) }

        /// Whether `record` is a scalar that reads `name`.
        func isScalar(_ record: Record, reading name: String) -> Bool {
            record.kind == .scalar && bytes(of: record).spell(name)
        }
    }
}

/// The UTF-8 text of a file's scalars, one after another: a key or value becomes a `String` only
/// when something asks for it, and keys are compared byte for byte.
struct ScalarText: Sendable {
    private var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// Appends a scalar's bytes; returns the range they take.
    mutating func append(_ scalar: UnsafeBufferPointer<UInt8>) -> (start: Int32, count: Int32) {
        let start = bytes.count
        bytes.append(contentsOf: scalar)
        return (Int32(start), Int32(scalar.count))
    }

    /// Calls `body` with the bytes of the scalar `record`.
    func withBytes<Result>(of record: YAMLTree.Record, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        bytes.withUnsafeBufferPointer { body($0.run(from: record.payload, count: record.count)) }
    }

    func withUnsafeBufferPointer<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        bytes.withUnsafeBufferPointer(body)
    }

    /// The scalar `record`'s text.
    func string(of record: YAMLTree.Record) -> String {
        withBytes(of: record) { String(decoding: $0, as: UTF8.self) }
    }

    /// Whether `record` is a scalar that reads `name`.
    func isScalar(_ record: YAMLTree.Record, reading name: String) -> Bool {
        record.kind == .scalar && withBytes(of: record) { $0.spell(name) }
    }

    /// Whether two records are scalars with the same text.
    func areSame(_ first: YAMLTree.Record, _ second: YAMLTree.Record) -> Bool {
        guard first.kind == .scalar, second.kind == .scalar else { return false }
        return withBytes(of: first) { firstBytes in withBytes(of: second) { $0.hasSameBytes(as: firstBytes) } }
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// The `count` bytes from `start`: a scalar's text or a name in a table of them.
    @inline(__always)
    func run(from start: Int32, count: Int32) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: self[Int(start)..<Int(start) + Int(count)])
    }

    /// Whether these bytes are the UTF-8 of `text`.
    @inline(__always)
    func spell(_ text: String) -> Bool {
        count == text.utf8.count
            && (text.utf8.withContiguousStorageIfAvailable { hasSameBytes(as: $0) } ?? text.utf8.elementsEqual(self))
    }

    /// Whether both buffers hold the same bytes, compared eight at a time: keys and field names
    /// are short, and a call to `memcmp` costs more than comparing them.
    @inline(__always)
    func hasSameBytes(as other: UnsafeBufferPointer<UInt8>) -> Bool {
        guard count == other.count else { return false }
        guard let base = baseAddress, let otherBase = other.baseAddress else { return true }
        var index = 0
        while index + 8 <= count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            guard word == UnsafeRawPointer(otherBase + index).loadUnaligned(as: UInt64.self) else { return false }
            index += 8
        }
        while index < count {
            guard base[index] == otherBase[index] else { return false }
            index += 1
        }
        return true
    }
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
        return record.kind == .scalar ? tree.text.string(of: record) : nil
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
        let value = tree.withStorage { storage -> Int32? in
            let record = storage[index]
            guard record.kind == .mapping else { return nil }
            let start = Int(record.payload)
            for position in stride(from: start, to: start + Int(record.count), by: 2)
            where storage.isScalar(storage[storage.children[position]], reading: key) {
                return storage.children[position + 1]
            }
            return nil
        }
        return value.map { YAMLNode(tree: tree, index: $0) }
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
