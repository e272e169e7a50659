/// Shapes compiled into flat tables of plain values. The checker walks them through buffers
/// borrowed for a file, so checking a document copies no shape and counts no references;
/// messages still read the `Shape` each entry was compiled from.
struct ShapeTable {
    /// What the checker needs of one shape on its hot path.
    struct Entry {
        enum Kind: UInt8 {
            case string, integer, boolean, list, object, stringMap
        }

        enum Format: UInt8 {
            case text, dnsLabel, email, url, date, oneOf
        }

        var kind: Kind
        var format = Format.text
        /// A list's items must differ.
        var unique = false
        /// Exactly one of some of an object's fields must be given.
        var hasChoice = false
        /// A list's least number of items; a text's greatest number of characters.
        var limit = 0
        /// An integer's allowed values.
        var range = 0...0
        /// A list's item entry, a string map's value entry, an object's first field or a
        /// `oneOf` string's first value.
        var first: Int32 = 0
        /// An object's number of fields or a `oneOf` string's number of values.
        var count: Int32 = 0
    }

    /// A run of `bytes`: a field name or a value a string may take.
    struct Run {
        var start: Int32
        var count: Int32
    }

    /// A field of an object entry.
    struct Field {
        var name: Run
        var entry: Int32
        var isRequired: Bool
    }

    private(set) var entries: [Entry] = []
    private(set) var fields: [Field] = []
    private(set) var values: [Run] = []
    private(set) var bytes: [UInt8] = []
    /// The shape each entry was compiled from, for messages.
    private(set) var shapes: [Shape] = []

    /// Adds `shape` and every shape within it; returns its entry.
    mutating func add(_ shape: Shape) -> Int32 {
        let index = Int32(entries.count)
        entries.append(Entry(kind: .boolean))
        shapes.append(shape)
        var entry: Entry
        switch shape {
        case .string(let format):
            entry = Entry(kind: .string)
            switch format {
            case .text(let maximumLength):
                entry.limit = maximumLength
            case .dnsLabel: entry.format = .dnsLabel
            case .email: entry.format = .email
            case .url: entry.format = .url
            case .date: entry.format = .date
            case .oneOf(let allowed):
                entry.format = .oneOf
                entry.first = Int32(values.count)
                entry.count = Int32(allowed.count)
                for value in allowed { values.append(run(value)) }
            }
        case .integer(let range):
            entry = Entry(kind: .integer, range: range)
        case .boolean:
            entry = Entry(kind: .boolean)
        case .list(let item, let minimumCount, let unique):
            entry = Entry(kind: .list, unique: unique, limit: minimumCount, first: add(item))
        case .object(let object):
            let children = object.fields.map { add($0.shape) }
            entry = Entry(
                kind: .object, hasChoice: !object.exactlyOneOf.isEmpty, first: Int32(fields.count), count: Int32(object.fields.count))
            for (field, child) in zip(object.fields, children) {
                fields.append(Field(name: run(field.name), entry: child, isRequired: field.isRequired))
            }
        case .stringMap:
            entry = Entry(kind: .stringMap, first: add(.string(.text(maximumLength: 63))))
        }
        entries[Int(index)] = entry
        return index
    }

    private mutating func run(_ text: String) -> Run {
        let start = bytes.count
        bytes.append(contentsOf: text.utf8)
        return Run(start: Int32(start), count: Int32(bytes.count - start))
    }

    /// Calls `body` with the tables, borrowed for the length of the call.
    func withStorage<Result>(_ body: (Storage) -> Result) -> Result {
        entries.withUnsafeBufferPointer { entries in
            fields.withUnsafeBufferPointer { fields in
                values.withUnsafeBufferPointer { values in
                    bytes.withUnsafeBufferPointer { bytes in
                        body(Storage(entries: entries, fields: fields, values: values, bytes: bytes))
                    }
                }
            }
        }
    }

    /// The tables, borrowed for the length of a `withStorage` call.
    struct Storage {
        let entries: UnsafeBufferPointer<Entry>
        let fields: UnsafeBufferPointer<Field>
        let values: UnsafeBufferPointer<Run>
        let bytes: UnsafeBufferPointer<UInt8>

        subscript(entry: Int32) -> Entry { entries[Int(entry)] }

        func bytes(of run: Run) -> UnsafeBufferPointer<UInt8> { bytes.run(from: run.start, count: run.count) }
    }
}
