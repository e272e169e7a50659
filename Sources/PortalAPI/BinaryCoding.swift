import Foundation

/// A compact binary form for `Codable` values, for the state folder's read caches (the portal's
/// and the Graph directory's): a cold process decodes tens of thousands of cached objects
/// several times faster than from JSON, and any `Codable` type is covered with no per-type code
/// to forget a field in.
///
/// Layout: the magic `RKB2`, the offset of the key table (4 bytes), the root value, then the
/// table of key names. A keyed container is a count (4 bytes) and, per field, its key's table
/// index and its value; an unkeyed container is a count and its elements. Every field and
/// element is prefixed by its length plus one in 4 bytes (0: nil), so a reader can skip what it
/// does not ask for. Integers are varints (signed ones zigzag), doubles their IEEE bits,
/// strings UTF-8. Every read is bounds-checked: damaged bytes throw, never trap.
///
/// The encoder writes straight into one buffer and fills in lengths and counts as values end;
/// it therefore needs containers written in nesting order, as synthesized `Codable` does, and
/// throws (rather than writes a damaged file) for code that returns to a container it left.
public enum BinaryCoding {
    static let magic: [UInt8] = Array("RKB2".utf8)

    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        let writer = Writer()
        writer.bytes = magic
        let tableOffsetAt = writer.reserve32()
        let prefixAt = writer.reserve32()
        let root = ValueEncoder(writer: writer)
        try root.encode(value)
        root.finish()
        writer.closeField(prefixAt: prefixAt, isNil: root.isNil)
        if let failure = writer.failure { throw BinaryCodingError.unsupported(failure) }
        writer.patch32(tableOffsetAt, writer.bytes.count)
        writer.bytes.appendVarint(UInt64(writer.keyNames.count))
        for name in writer.keyNames { writer.bytes.appendString(name) }
        return writer.bytes
    }

    public static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard bytes.starts(with: magic) else { throw BinaryCodingError.damaged("not a binary cache") }
        var header = Reader(bytes: bytes, position: magic.count, end: bytes.count)
        let tableOffset = try header.uint32()
        guard tableOffset >= header.position, tableOffset <= bytes.count else { throw BinaryCodingError.damaged("a key table out of place") }
        var table = Reader(bytes: bytes, position: tableOffset, end: bytes.count)
        let count = try table.count()
        var names: [String] = []
        names.reserveCapacity(count)
        for _ in 0..<count { names.append(try table.string(length: table.count())) }
        let buffer = Buffer(bytes: bytes, keys: names)
        var reader = Reader(bytes: bytes, position: header.position, end: tableOffset)
        let root = try reader.field()
        return try T(from: ValueDecoder(buffer: buffer, value: root))
    }
}

public enum BinaryCodingError: Error {
    case damaged(String)
    case unsupported(String)
}

// MARK: - Encoding

/// The buffer being written, the key names met so far, and the first misuse seen.
private final class Writer {
    var bytes: [UInt8] = []
    var keyIndices: [String: Int] = [:]
    var keyNames: [String] = []
    var failure: String?

    func keyIndex(_ name: String) -> Int {
        if let index = keyIndices[name] { return index }
        keyIndices[name] = keyNames.count
        keyNames.append(name)
        return keyNames.count - 1
    }

    /// Appends 4 bytes to fill in later; returns where they are.
    func reserve32() -> Int {
        bytes.append(contentsOf: [0, 0, 0, 0])
        return bytes.count - 4
    }

    func patch32(_ position: Int, _ value: Int) {
        let value = UInt32(truncatingIfNeeded: value)
        for index in 0..<4 { bytes[position + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
    }

    /// Fills in the length prefix at `prefixAt` for the value written after it.
    func closeField(prefixAt: Int, isNil: Bool) {
        patch32(prefixAt, isNil ? 0 : bytes.count - (prefixAt + 4) + 1)
    }
}

/// A container being written: its count, filled in as fields are added, and the field whose
/// value may still be being written (through a nested container), closed when the container
/// moves on or ends.
private final class ContainerWriter {
    let writer: Writer
    private let countAt: Int
    private var count = 0
    private var open: (prefixAt: Int, value: ValueEncoder)?
    private(set) var isClosed = false

    init(writer: Writer) {
        self.writer = writer
        countAt = writer.reserve32()
    }

    /// Starts a field (with its key's index, in a keyed container): closes the one before.
    func beginField(key: String?) -> ValueEncoder {
        if isClosed { writer.failure = writer.failure ?? "a container was written to after it ended" }
        closeOpenField()
        if let key { writer.bytes.appendVarint(UInt64(writer.keyIndex(key))) }
        let prefixAt = writer.reserve32()
        count += 1
        writer.patch32(countAt, count)
        let value = ValueEncoder(writer: writer)
        open = (prefixAt, value)
        return value
    }

    /// Writes a whole value as the next field.
    func field(key: String?, _ value: some Encodable) throws {
        let encoder = beginField(key: key)
        try encoder.encode(value)
        closeOpenField()
    }

    func nilField(key: String?) {
        beginField(key: key).isNil = true
        closeOpenField()
    }

    func closeOpenField() {
        guard let (prefixAt, value) = open else { return }
        value.finish()
        writer.closeField(prefixAt: prefixAt, isNil: value.isNil)
        open = nil
    }

    /// Ends the container: its last field is closed and nothing more may be added.
    func close() {
        closeOpenField()
        isClosed = true
    }
}

/// An encoder for one value, written where the buffer ends when it starts.
private final class ValueEncoder: Encoder {
    let writer: Writer
    private var container: ContainerWriter?
    var isNil = false
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(writer: Writer) {
        self.writer = writer
    }

    /// Scalars as their bytes; anything else through its own `encode(to:)`.
    func encode<T: Encodable>(_ value: T) throws {
        if let bytes = Scalar.bytes(of: value) {
            writer.bytes += bytes
        } else {
            try value.encode(to: self)
        }
    }

    /// Ends the value: closes its container.
    func finish() { container?.close() }

    private func openContainer() -> ContainerWriter {
        // A second request (`Tagged` adds its entity tag to its resource's fields) continues the first.
        if let container { return container }
        let opened = ContainerWriter(writer: writer)
        container = opened
        return opened
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(KeyedWriter<Key>(container: openContainer()))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { UnkeyedWriter(container: openContainer()) }
    func singleValueContainer() -> any SingleValueEncodingContainer { SingleValueWriter(value: self) }
}

private struct KeyedWriter<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let container: ContainerWriter
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { container.nilField(key: key.stringValue) }
    mutating func encode(_ value: some Encodable, forKey key: Key) throws { try container.field(key: key.stringValue, value) }
    mutating func encode(_ value: String, forKey key: Key) throws { try container.field(key: key.stringValue, value) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        container.beginField(key: key.stringValue).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        container.beginField(key: key.stringValue).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { container.beginField(key: "super") }
    mutating func superEncoder(forKey key: Key) -> any Encoder { container.beginField(key: key.stringValue) }
}

private struct UnkeyedWriter: UnkeyedEncodingContainer {
    let container: ContainerWriter
    private(set) var count = 0
    var codingPath: [any CodingKey] { [] }

    init(container: ContainerWriter) {
        self.container = container
    }

    mutating func encodeNil() throws {
        count += 1
        container.nilField(key: nil)
    }

    mutating func encode(_ value: some Encodable) throws {
        count += 1
        try container.field(key: nil, value)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        count += 1
        return container.beginField(key: nil).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        count += 1
        return container.beginField(key: nil).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        count += 1
        return container.beginField(key: nil)
    }
}

private struct SingleValueWriter: SingleValueEncodingContainer {
    let value: ValueEncoder
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil() throws { value.isNil = true }
    mutating func encode(_ value: some Encodable) throws { try self.value.encode(value) }
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

    mutating func uint32() throws -> Int {
        guard end - position >= 4 else { throw BinaryCodingError.damaged("a length runs past its value") }
        var value = 0
        for index in 0..<4 { value |= Int(bytes[position + index]) << (8 * index) }
        position += 4
        return value
    }

    /// A container's count: 4 bytes, each item taking at least 4.
    mutating func containerCount() throws -> Int {
        let value = try uint32()
        guard value <= (end - position) / 4 else { throw BinaryCodingError.damaged("a count larger than its container") }
        return value
    }

    mutating func string(length: Int) throws -> String {
        guard length <= end - position else { throw BinaryCodingError.damaged("a string runs past its value") }
        defer { position += length }
        return String(decoding: bytes[position..<position + length], as: UTF8.self)
    }

    /// A length-prefixed field or element, which the reader then steps over.
    mutating func field() throws -> Value {
        let prefix = try uint32()
        guard prefix > 0 else { return Value(start: position, end: position, isNil: true) }
        guard prefix - 1 <= end - position else { throw BinaryCodingError.damaged("a value runs past its container") }
        let value = Value(start: position, end: position + prefix - 1, isNil: false)
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
        let count = try reader.containerCount()
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
        let index =
            if next < fields.count, fields[next].name == name {
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
        count = try reader.containerCount()
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
