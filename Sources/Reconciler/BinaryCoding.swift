import Foundation

/// A compact binary form for `Codable` values, for the state folder's read cache: a cold
/// process decodes tens of thousands of cached portal objects several times faster than from
/// JSON, and any `Codable` type is covered with no per-type code to forget a field in.
///
/// Layout: the magic `RKB1`, the table of key names, then the root value. A keyed container is
/// a count and, per field, its key's table index and its value; an unkeyed container is a count
/// and its elements. Every field and element is prefixed by its length plus one (0: nil), so a
/// reader can skip what it does not ask for. Integers are varints (signed ones zigzag), doubles
/// their IEEE bits, strings UTF-8. Every read is bounds-checked: damaged bytes throw, never trap.
enum BinaryCoding {
    static let magic: [UInt8] = Array("RKB1".utf8)

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let keys = KeyTable()
        let root = Node()
        try value.encode(to: NodeEncoder(node: root, keys: keys))
        var output = magic
        output.appendVarint(UInt64(keys.names.count))
        for name in keys.names { output.appendString(name) }
        root.writeField(into: &output)
        return output
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard bytes.starts(with: magic) else { throw BinaryCodingError.damaged("not a binary cache") }
        var reader = Reader(bytes: bytes, position: magic.count, end: bytes.count)
        let count = try reader.count()
        var names: [String] = []
        names.reserveCapacity(count)
        for _ in 0..<count { names.append(try reader.string(length: reader.count())) }
        let buffer = Buffer(bytes: bytes, keys: names)
        let root = try reader.field()
        return try T(from: ValueDecoder(buffer: buffer, value: root))
    }
}

enum BinaryCodingError: Error {
    case damaged(String)
}

// MARK: - Encoding

/// Key names, each written once and referred to by index.
private final class KeyTable {
    var indices: [String: Int] = [:]
    var names: [String] = []

    func index(_ name: String) -> Int {
        if let index = indices[name] { return index }
        indices[name] = names.count
        names.append(name)
        return names.count - 1
    }
}

/// One value being encoded: a scalar, a keyed or an unkeyed container, or nil. A class, since
/// containers are handed out and written to after the call that made them returns.
private final class Node {
    var scalar: [UInt8]?
    var fields: [(key: Int, value: Node)]?
    var elements: [Node]?
    var isNil = false
    private var cachedSize: Int?

    /// The encoded size of the value itself, without its length prefix.
    var size: Int {
        if let cachedSize { return cachedSize }
        var total = 0
        if let scalar {
            total = scalar.count
        } else if let fields {
            total = varintSize(UInt64(fields.count))
            for field in fields { total += varintSize(UInt64(field.key)) + field.value.fieldSize }
        } else if let elements {
            total = varintSize(UInt64(elements.count))
            for element in elements { total += element.fieldSize }
        }
        cachedSize = total
        return total
    }

    /// The size with the length prefix.
    var fieldSize: Int { isNil ? 1 : varintSize(UInt64(size + 1)) + size }

    func writeField(into output: inout [UInt8]) {
        guard !isNil else { return output.append(0) }
        output.appendVarint(UInt64(size + 1))
        if let scalar {
            output += scalar
        } else if let fields {
            output.appendVarint(UInt64(fields.count))
            for field in fields {
                output.appendVarint(UInt64(field.key))
                field.value.writeField(into: &output)
            }
        } else if let elements {
            output.appendVarint(UInt64(elements.count))
            for element in elements { element.writeField(into: &output) }
        }
    }
}

private func varintSize(_ value: UInt64) -> Int {
    var value = value
    var size = 1
    while value >= 0x80 {
        value >>= 7
        size += 1
    }
    return size
}

extension [UInt8] {
    fileprivate mutating func appendVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        append(UInt8(value))
    }

    fileprivate mutating func appendString(_ string: String) {
        appendVarint(UInt64(string.utf8.count))
        append(contentsOf: string.utf8)
    }
}

/// Scalars as their bytes.
private enum Scalar {
    static func bytes(_ value: Bool) -> [UInt8] { [value ? 1 : 0] }
    static func bytes(_ value: String) -> [UInt8] { Array(value.utf8) }
    static func bytes(_ value: Double) -> [UInt8] { withUnsafeBytes(of: value.bitPattern.littleEndian, Array.init) }
    static func bytes(signed value: Int64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
        return bytes
    }
    static func bytes(unsigned value: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendVarint(value)
        return bytes
    }

    /// The bytes of a scalar, or nil for a value that encodes itself through containers.
    static func bytes<T: Encodable>(of value: T) -> [UInt8]? {
        // Metatype equality is a pointer comparison; matching with `as` would cast per call.
        if T.self == String.self, let value = value as? String { return bytes(value) }
        if T.self == Bool.self, let value = value as? Bool { return bytes(value) }
        if T.self == Int.self, let value = value as? Int { return bytes(signed: Int64(value)) }
        if T.self == Double.self, let value = value as? Double { return bytes(value) }
        if T.self == Int64.self, let value = value as? Int64 { return bytes(signed: value) }
        if T.self == Int32.self, let value = value as? Int32 { return bytes(signed: Int64(value)) }
        if T.self == UInt64.self, let value = value as? UInt64 { return bytes(unsigned: value) }
        return nil
    }
}

private struct NodeEncoder: Encoder {
    let node: Node
    let keys: KeyTable
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if node.fields == nil { node.fields = [] }
        return KeyedEncodingContainer(KeyedEncoder<Key>(node: node, keys: keys))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if node.elements == nil { node.elements = [] }
        return UnkeyedEncoder(node: node, keys: keys)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueEncoder(node: node, keys: keys) }

    /// Encodes `value` into `node`: scalars directly, anything else through its own `encode(to:)`.
    static func encode(_ value: some Encodable, into node: Node, keys: KeyTable) throws {
        if let bytes = Scalar.bytes(of: value) {
            node.scalar = bytes
        } else {
            try value.encode(to: NodeEncoder(node: node, keys: keys))
        }
    }
}

private struct KeyedEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    let keys: KeyTable
    var codingPath: [any CodingKey] { [] }

    private func child(_ key: Key) -> Node { child(named: key.stringValue) }

    private func child(named name: String) -> Node {
        let child = Node()
        node.fields?.append((keys.index(name), child))
        return child
    }

    mutating func encodeNil(forKey key: Key) throws { child(key).isNil = true }
    mutating func encode(_ value: some Encodable, forKey key: Key) throws { try NodeEncoder.encode(value, into: child(key), keys: keys) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: child(key), keys: keys).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: child(key), keys: keys).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { NodeEncoder(node: child(named: "super"), keys: keys) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { NodeEncoder(node: child(key), keys: keys) }
}

private struct UnkeyedEncoder: UnkeyedEncodingContainer {
    let node: Node
    let keys: KeyTable
    var codingPath: [any CodingKey] { [] }
    var count: Int { node.elements?.count ?? 0 }

    private func child() -> Node {
        let child = Node()
        node.elements?.append(child)
        return child
    }

    mutating func encodeNil() throws { child().isNil = true }
    mutating func encode(_ value: some Encodable) throws { try NodeEncoder.encode(value, into: child(), keys: keys) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        NodeEncoder(node: child(), keys: keys).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { NodeEncoder(node: child(), keys: keys).unkeyedContainer() }
    mutating func superEncoder() -> any Encoder { NodeEncoder(node: child(), keys: keys) }
}

private struct SingleValueEncoder: SingleValueEncodingContainer {
    let node: Node
    let keys: KeyTable
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { node.isNil = true }
    mutating func encode(_ value: some Encodable) throws { try NodeEncoder.encode(value, into: node, keys: keys) }
}

// MARK: - Decoding

/// The bytes and the key table, shared by every decoder of one value.
private final class Buffer: Sendable {
    let bytes: [UInt8]
    let keys: [String]

    init(bytes: [UInt8], keys: [String]) {
        self.bytes = bytes
        self.keys = keys
    }
}

/// Where a value's bytes are; nil values have none.
private struct Value {
    var start: Int
    var end: Int
    var isNil: Bool
}

/// A bounds-checked cursor over a range of the bytes.
private struct Reader {
    let bytes: [UInt8]
    var position: Int
    let end: Int

    mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < end, shift < 64 {
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
        }
        throw BinaryCodingError.damaged("a number runs past its value")
    }

    /// A count or a length: a varint that fits in what is left.
    mutating func count() throws -> Int {
        let value = try varint()
        guard value <= UInt64(end - position) * 8 + 8 else { throw BinaryCodingError.damaged("a count larger than its value") }
        return Int(value)
    }

    mutating func string(length: Int) throws -> String {
        guard length <= end - position else { throw BinaryCodingError.damaged("a string runs past its value") }
        defer { position += length }
        return String(decoding: bytes[position..<position + length], as: UTF8.self)
    }

    /// A length-prefixed field or element, which the reader then steps over.
    mutating func field() throws -> Value {
        let prefix = try varint()
        guard prefix > 0 else { return Value(start: position, end: position, isNil: true) }
        guard prefix - 1 <= UInt64(end - position) else { throw BinaryCodingError.damaged("a value runs past its container") }
        let value = Value(start: position, end: position + Int(prefix - 1), isNil: false)
        position = value.end
        return value
    }
}

private struct ValueDecoder: Decoder {
    let buffer: Buffer
    let value: Value
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(try KeyedDecoder<Key>(buffer: buffer, value: value))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { try UnkeyedDecoder(buffer: buffer, value: value) }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { SingleValueDecoder(buffer: buffer, value: value) }

    func reader() throws -> Reader {
        guard !value.isNil else { throw BinaryCodingError.damaged("nil where a value was expected") }
        return Reader(bytes: buffer.bytes, position: value.start, end: value.end)
    }

    /// Decodes a value of `type`: scalars from their bytes, anything else through its own `init(from:)`.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        // Metatype equality is a pointer comparison; `is` would be a dynamic cast per call.
        if T.self == String.self { return try string() as! T }
        if T.self == Bool.self { return try bool() as! T }
        if T.self == Int.self { return Int(truncatingIfNeeded: try signed()) as! T }
        if T.self == Double.self { return try double() as! T }
        if T.self == Int64.self { return try signed() as! T }
        if T.self == Int32.self { return Int32(truncatingIfNeeded: try signed()) as! T }
        if T.self == UInt64.self {
            var reader = try reader()
            return try reader.varint() as! T
        }
        // Anything else reads itself; a nil only as a type that asks `decodeNil` (an Optional).
        return try T(from: self)
    }

    func string() throws -> String {
        var reader = try reader()
        return try reader.string(length: value.end - value.start)
    }

    func bool() throws -> Bool {
        var reader = try reader()
        return try reader.varint() != 0
    }

    func signed() throws -> Int64 {
        var reader = try reader()
        return try Self.signed(&reader)
    }

    func double() throws -> Double {
        guard !value.isNil, value.end - value.start == 8 else { throw BinaryCodingError.damaged("a number of the wrong size") }
        var bits: UInt64 = 0
        for index in 0..<8 { bits |= UInt64(buffer.bytes[value.start + index]) << (8 * UInt64(index)) }
        return Double(bitPattern: bits)
    }

    private static func signed(_ reader: inout Reader) throws -> Int64 {
        let raw = try reader.varint()
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }
}

/// A class, so that the cursor moves as fields are read through the non-mutating protocol.
private final class KeyedDecoder<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let buffer: Buffer
    /// Fields in the order written: synthesized decoding asks in that order, so the field after
    /// the last one found is tried first and a search is the exception.
    private let fields: [(name: String, value: Value)]
    private var next = 0
    var codingPath: [any CodingKey] { [] }

    init(buffer: Buffer, value: Value) throws {
        self.buffer = buffer
        var reader = try ValueDecoder(buffer: buffer, value: value).reader()
        let count = try reader.count()
        var fields: [(name: String, value: Value)] = []
        fields.reserveCapacity(count)
        for _ in 0..<count {
            let key = try reader.varint()
            guard key < UInt64(buffer.keys.count) else { throw BinaryCodingError.damaged("a key that is not in the table") }
            fields.append((buffer.keys[Int(key)], try reader.field()))
        }
        self.fields = fields
    }

    var allKeys: [Key] { fields.compactMap { Key(stringValue: $0.name) } }

    private func find(_ key: Key) -> Value? {
        let name = key.stringValue
        // The field after the last one found, the last one again (`decodeIfPresent` asks three
        // times), else a search.
        let index = if next < fields.count, fields[next].name == name {
            next
        } else if next > 0, fields[next - 1].name == name {
            next - 1
        } else {
            fields.firstIndex { $0.name == name }
        }
        guard let index else { return nil }
        next = index + 1
        return fields[index].value
    }

    private func require(_ key: Key) throws -> Value {
        guard let value = find(key) else {
            throw DecodingError.keyNotFound(key, DecodingError.Context(codingPath: [], debugDescription: "no field \(key.stringValue)"))
        }
        return value
    }

    func contains(_ key: Key) -> Bool { find(key) != nil }
    func decodeNil(forKey key: Key) throws -> Bool { try require(key).isNil }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try ValueDecoder(buffer: buffer, value: try require(key)).decode(type)
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String { try ValueDecoder(buffer: buffer, value: try require(key)).string() }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try ValueDecoder(buffer: buffer, value: try require(key)).bool() }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        Int(truncatingIfNeeded: try ValueDecoder(buffer: buffer, value: try require(key)).signed())
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try ValueDecoder(buffer: buffer, value: try require(key)).double() }

    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? {
        guard let value = find(key), !value.isNil else { return nil }
        return try ValueDecoder(buffer: buffer, value: value).string()
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try ValueDecoder(buffer: buffer, value: try require(key)).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(buffer: buffer, value: try require(key)).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        guard let field = fields.first(where: { $0.name == "super" }) else { throw BinaryCodingError.damaged("no super field") }
        return ValueDecoder(buffer: buffer, value: field.value)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder { ValueDecoder(buffer: buffer, value: try require(key)) }
}

private struct UnkeyedDecoder: UnkeyedDecodingContainer {
    let buffer: Buffer
    private var reader: Reader
    let count: Int?
    private(set) var currentIndex = 0
    var codingPath: [any CodingKey] { [] }
    var isAtEnd: Bool { currentIndex >= (count ?? 0) }

    init(buffer: Buffer, value: Value) throws {
        self.buffer = buffer
        reader = try ValueDecoder(buffer: buffer, value: value).reader()
        count = try reader.count()
    }

    private mutating func element() throws -> Value {
        guard !isAtEnd else { throw BinaryCodingError.damaged("more elements asked for than written") }
        currentIndex += 1
        return try reader.field()
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else { throw BinaryCodingError.damaged("more elements asked for than written") }
        var peek = reader
        guard try peek.field().isNil else { return false }
        _ = try element()
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try ValueDecoder(buffer: buffer, value: try element()).decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try ValueDecoder(buffer: buffer, value: try element()).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(buffer: buffer, value: try element()).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { ValueDecoder(buffer: buffer, value: try element()) }
}

private struct SingleValueDecoder: SingleValueDecodingContainer {
    let buffer: Buffer
    let value: Value
    var codingPath: [any CodingKey] { [] }

    func decodeNil() -> Bool { value.isNil }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try ValueDecoder(buffer: buffer, value: value).decode(type) }
    func decode(_ type: String.Type) throws -> String { try ValueDecoder(buffer: buffer, value: value).string() }
    func decode(_ type: Double.Type) throws -> Double { try ValueDecoder(buffer: buffer, value: value).double() }
}
