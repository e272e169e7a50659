import Foundation

/// Checks a YAML node against a `Shape`, strictly, reporting every problem with its position.
///
/// Unknown fields get a "did you mean"; plain scalars that YAML 1.1 or 1.2 would read as another
/// type (`yes`, `0123`, `~`) are errors where a string, boolean or integer is expected, never a
/// guess; a field that looks like a secret is refused without echoing its value.
struct ShapeChecker {
    /// The tree the checked nodes belong to, for messages.
    private let tree: YAMLTree
    /// Its storage: nodes are passed as indices into it, so that walking a document neither copies
    /// text nor counts references.
    private let storage: YAMLTree.Storage
    /// The shapes, compiled, and the shapes they were compiled from, for messages.
    private let table: ShapeTable.Storage
    private let shapes: [Shape]
    private var diagnostics: [Diagnostic] = []
    /// Where the checker is, from the document's root: read only to name a field in a message.
    private var path: [PathStep] = []

    /// A step from a node to one of its children.
    private enum PathStep {
        case field(ShapeTable.Run)
        case item(Int)
        /// A key of a free-form mapping, by its node.
        case key(Int32)
    }

    /// Field names that hold credentials; manifests live in git, so such a field is refused.
    static let secretFieldNames: Set<String> = [
        "token", "accesstoken", "bearertoken", "password", "secret", "clientsecret", "apikey", "privatekey",
        "credentials",
    ]

    /// Every problem of `node` against `shape`.
    static func diagnostics(for node: YAMLNode, against shape: Shape) -> [Diagnostic] {
        var table = ShapeTable()
        let entry = table.add(shape)
        return withChecker(for: node.tree, shapes: table) { $0.diagnostics(for: node, against: entry) }
    }

    /// Calls `body` with a checker for the documents of `tree` against the shapes of `table`; it
    /// reuses its storage from one document to the next.
    static func withChecker<Result>(
        for tree: YAMLTree, shapes table: ShapeTable, _ body: (inout ShapeChecker) -> Result
    ) -> Result {
        tree.withStorage { storage in
            table.withStorage { tableStorage in
                var checker = ShapeChecker(tree: tree, storage: storage, table: tableStorage, shapes: table.shapes)
                return body(&checker)
            }
        }
    }

    /// Every problem of `node`, a node of the checker's tree, against the shape `entry` of its table.
    mutating func diagnostics(for node: YAMLNode, against entry: Int32) -> [Diagnostic] {
        precondition(node.tree === tree, "the node belongs to another tree")
        diagnostics.removeAll(keepingCapacity: true)
        path.removeAll(keepingCapacity: true)
        check(node.index, against: entry)
        return diagnostics
    }

    private init(tree: YAMLTree, storage: YAMLTree.Storage, table: ShapeTable.Storage, shapes: [Shape]) {
        self.tree = tree
        self.storage = storage
        self.table = table
        self.shapes = shapes
    }

    /// Checks node `index`, found at `path`, against the shape `entry`.
    private mutating func check(_ index: Int32, against entry: Int32) {
        let shape = table[entry]
        switch shape.kind {
        case .string: checkString(index, entry)
        case .integer: checkInteger(index, shape)
        case .boolean: checkBoolean(index)
        case .list: checkList(index, entry)
        case .object: checkObject(index, entry)
        case .stringMap: checkStringMap(index, entry)
        }
    }

    private func record(_ index: Int32) -> YAMLTree.Record { storage[index] }

    /// Checks a child of the current node, one step down `path`.
    private mutating func check(_ index: Int32, at step: PathStep, against entry: Int32) {
        path.append(step)
        check(index, against: entry)
        path.removeLast()
    }

    /// The current node's path as messages name it: `spec.rooms[2]`, `metadata.labels.wing`.
    private var pathText: String {
        path.reduce(into: "") { text, step in
            switch step {
            case .field(let run):
                let name = String(decoding: table.bytes(of: run), as: UTF8.self)
                text += text.isEmpty ? name : ".\(name)"
            case .item(let offset): text += "[\(offset)]"
            case .key(let node): text += ".\(storage.string(of: storage[node]))"
            }
        }
    }

    /// The node, for a message: its location, text and summary.
    private func node(_ index: Int32) -> YAMLNode { YAMLNode(tree: tree, index: index) }

    private mutating func error(_ message: String, at index: Int32, hint: String? = nil) {
        diagnostics.append(.error(message, at: node(index).location, hint: hint))
    }

    private mutating func mismatch(_ index: Int32, _ entry: Int32) {
        error("'\(pathText)' must be \(shapes[Int(entry)].expectation), not \(node(index).summary)", at: index)
    }

    // MARK: - Scalars

    /// What YAML makes of a plain scalar's text.
    private func resolution(of record: YAMLTree.Record) -> PlainScalar.Resolution {
        PlainScalar.resolve(bytes: storage.bytes(of: record))
    }

    /// Whether the node is a string in every YAML reader's eyes; reports why not otherwise.
    private mutating func isString(_ index: Int32, _ entry: Int32) -> Bool {
        let record = record(index)
        guard record.kind == .scalar else {
            mismatch(index, entry)
            return false
        }
        guard record.style == .plain && !record.isExplicitString else { return true }
        let resolution = resolution(of: record)
        guard resolution != .string else { return true }
        let text = storage.string(of: record)
        let expectation = shapes[Int(entry)].expectation
        switch resolution {
        case .string:
            return true
        case .null:
            error(
                "'\(pathText)' must be \(expectation), not \(node(index).summary)", at: index,
                hint: "write a value, or remove the field")
        case .yaml11Bool:
            error(
                "'\(pathText)' must be \(expectation), but '\(text)' is a boolean in YAML 1.1", at: index,
                hint: "quote it if you mean the text: \"\(text)\"")
        case .bool:
            error(
                "'\(pathText)' must be \(expectation), not the boolean \(text)", at: index,
                hint: "quote it if you mean the text: \"\(text)\"")
        case .integer, .float:
            error(
                "'\(pathText)' must be \(expectation), not the number \(text.truncatedForMessage)", at: index,
                hint: "quote it to keep it as written: \"\(text.truncatedForMessage)\"")
        }
        return false
    }

    private mutating func checkString(_ index: Int32, _ entry: Int32) {
        guard isString(index, entry) else { return }
        let record = record(index)
        guard let problem = problem(with: storage.bytes(of: record), table[entry]) else { return }
        guard case .string(let format) = shapes[Int(entry)] else { return }
        let text = storage.string(of: record)
        switch problem {
        case .controlCharacter(let control):
            let code = "U+\(String(control.value, radix: 16, uppercase: true).leftPadded(to: 4))"
            if Self.isInvisible(control) {
                error(
                    "'\(pathText)' contains the invisible character \(code), which can make text read otherwise than it is "
                        + "(bidirectional override or zero-width, CVE-2021-42574)", at: index, hint: "remove it")
            } else {
                error("'\(pathText)' contains the control character \(code)", at: index, hint: "remove it")
            }
        case .tooLong(let maximumLength):
            // More bytes than the limit; the limit counts characters, which are fewer when not ASCII.
            if text.count > maximumLength {
                error("'\(pathText)' is \(text.count) characters long; the limit is \(maximumLength)", at: index)
            }
        case .malformed:
            switch format {
            case .text:
                break
            case .dnsLabel:
                error(
                    "'\(text.truncatedForMessage)' is not a valid name", at: index,
                    hint: "names are 1 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit"
                        + (Self.dnsLabelSuggestion(for: text).map { ", e.g. '\($0)'" } ?? ""))
            case .email:
                error(
                    "'\(text.truncatedForMessage)' is not a valid e-mail address", at: index,
                    hint: "write the full address, e.g. conf-lon-3a@contoso.com")
            case .url:
                error("'\(text.truncatedForMessage)' is not a valid URL", at: index, hint: "write it as https://host/path")
            case .date:
                error("'\(text.truncatedForMessage)' is not a date", at: index, hint: "write the day as YYYY-MM-DD, e.g. 2026-12-31")
            case .oneOf(let values) where values.count > 16:
                error(
                    "'\(pathText)' has an unknown value '\(text.truncatedForMessage)'", at: index,
                    hint: Suggestion.hint(for: text, in: values) ?? "known values: \(values.joined(separator: ", "))")
            case .oneOf(let values):
                error(
                    "'\(pathText)' must be \(format.expectation), not '\(text.truncatedForMessage)'",
                    at: index, hint: values.count == 1 ? nil : Suggestion.hint(for: text, in: values))
            }
        }
    }

    /// What is wrong with a string's text, judged on its bytes.
    private enum StringProblem: Equatable {
        case controlCharacter(Unicode.Scalar)
        /// More UTF-8 bytes than the limit on characters.
        case tooLong(maximumLength: Int)
        /// Not in the format.
        case malformed
    }

    private func problem(with bytes: UnsafeBufferPointer<UInt8>, _ shape: ShapeTable.Entry) -> StringProblem? {
        if let control = Self.firstControlCharacter(in: bytes) { return .controlCharacter(control) }
        let isWellFormed: Bool
        switch shape.format {
        case .text:
            return bytes.count > shape.limit ? .tooLong(maximumLength: shape.limit) : nil
        case .dnsLabel:
            isWellFormed = Self.isDNSLabel(bytes)
        case .email:
            isWellFormed = Self.isEmail(bytes)
        case .url:
            isWellFormed = (bytes.starts(with: "https://".utf8) || bytes.starts(with: "http://".utf8)) && !bytes.contains(UInt8(ascii: " "))
        case .date:
            isWellFormed = CalendarDay(String(decoding: bytes, as: UTF8.self)) != nil
        case .oneOf:
            isWellFormed = (shape.first..<shape.first + shape.count).contains { bytes.hasSameBytes(as: table.bytes(of: table.values[Int($0)])) }
        }
        return isWellFormed ? nil : .malformed
    }

    private mutating func checkInteger(_ index: Int32, _ shape: ShapeTable.Entry) {
        let range = shape.range
        func expectation() -> String { Shape.integer(range).expectation }
        let record = record(index)
        guard record.kind == .scalar else {
            error("'\(pathText)' must be \(expectation()), not \(node(index).summary)", at: index)
            return
        }
        guard record.style == .plain && !record.isExplicitString else {
            let text = storage.string(of: record)
            error(
                "'\(pathText)' must be \(expectation()), not the string \"\(text.truncatedForMessage)\"", at: index,
                hint: Int(text) != nil ? "remove the quotes" : nil)
            return
        }
        switch resolution(of: record) {
        case .integer(let value?):
            if !range.contains(value) {
                error("'\(pathText)' must be from \(range.lowerBound) to \(range.upperBound), not \(value)", at: index)
            }
        case .integer(nil):
            error(
                "'\(pathText)' must be a plain decimal integer, not \(storage.string(of: record).truncatedForMessage)", at: index,
                hint: "YAML readers disagree on octal, hexadecimal, '_' and ':' forms; write the number in decimal without leading zeros")
        default:
            error("'\(pathText)' must be \(expectation()), not \(node(index).summary)", at: index)
        }
    }

    private mutating func checkBoolean(_ index: Int32) {
        let record = record(index)
        guard record.kind == .scalar else {
            error("'\(pathText)' must be true or false, not \(node(index).summary)", at: index)
            return
        }
        guard record.style == .plain && !record.isExplicitString else {
            let text = storage.string(of: record)
            error(
                "'\(pathText)' must be true or false, not the string \"\(text.truncatedForMessage)\"", at: index,
                hint: ["true", "false"].contains(text.lowercased()) ? "remove the quotes" : nil)
            return
        }
        switch resolution(of: record) {
        case .bool: break
        case .yaml11Bool(let value):
            error(
                "'\(pathText)' must be true or false; '\(storage.string(of: record))' is a boolean only in YAML 1.1", at: index,
                hint: "write \(value)")
        default:
            error("'\(pathText)' must be true or false, not \(node(index).summary)", at: index)
        }
    }

    // MARK: - Containers

    private mutating func checkList(_ index: Int32, _ entry: Int32) {
        let shape = table[entry]
        let record = record(index)
        guard record.kind == .sequence else {
            if record.kind == .scalar, record.style == .plain, !record.isExplicitString, resolution(of: record) == .null,
                shape.limit == 0
            {
                return
            }
            mismatch(index, entry)
            return
        }
        let count = Int(record.count)
        if count < shape.limit {
            error("'\(pathText)' must list at least \(shape.limit == 1 ? "one item" : "\(shape.limit) items")", at: index)
        }
        let compares = shape.unique && count > 1
        var seen: [String: Int32] = [:]
        if compares { seen.reserveCapacity(count) }
        for offset in 0..<count {
            let element = storage.children[Int(record.payload) + offset]
            let before = diagnostics.count
            check(element, at: .item(offset), against: shape.first)
            let elementRecord = self.record(element)
            guard compares, diagnostics.count == before, elementRecord.kind == .scalar else { continue }
            let text = storage.string(of: elementRecord)
            let key = text.lowercasedIfNeeded
            if let first = seen[key] {
                diagnostics.append(
                    .error(
                        "'\(text.truncatedForMessage)' is listed twice in '\(pathText)'", at: node(element).location,
                        hint: "remove the second one", notes: [.init("first listed here", at: node(first).location)]))
            } else {
                seen[key] = element
            }
        }
    }

    private mutating func checkObject(_ index: Int32, _ entry: Int32) {
        let shape = table[entry]
        let record = record(index)
        guard record.kind == .mapping else {
            guard case .object(let object) = shapes[Int(entry)] else { return }
            error("'\(pathText)' must be a mapping (\(object.title)), not \(node(index).summary)", at: index)
            return
        }
        let fields = shape.first..<shape.first + shape.count
        // Which fields were given, as bits: an object shape has far fewer than 64 fields.
        var present: UInt64 = 0
        // The parser has reported a merge key; fields it would have merged are not missing.
        var hasMergeKey = false
        for position in stride(from: Int(record.payload), to: Int(record.payload + record.count), by: 2) {
            let key = storage.children[position]
            let keyRecord = self.record(key)
            guard keyRecord.kind == .scalar else { continue }
            let name = storage.bytes(of: keyRecord)
            guard let field = fields.first(where: { name.hasSameBytes(as: table.bytes(of: table.fields[Int($0)].name)) }) else {
                if keyRecord.style == .plain && storage.isScalar(keyRecord, reading: "<<") {
                    hasMergeKey = true
                    continue
                }
                unknownField(key, in: entry)
                continue
            }
            present |= 1 << UInt64(field - shape.first)
            let fieldShape = table.fields[Int(field)]
            check(storage.children[position + 1], at: .field(fieldShape.name), against: fieldShape.entry)
        }
        let allRequiredPresent = fields.allSatisfy { !table.fields[Int($0)].isRequired || present & (1 << UInt64($0 - shape.first)) != 0 }
        guard !allRequiredPresent || shape.hasChoice, case .object(let object) = shapes[Int(entry)] else { return }
        for (fieldIndex, field) in object.fields.enumerated()
        where field.isRequired && present & (1 << UInt64(fieldIndex)) == 0 && !hasMergeKey {
            error(
                "missing required field '\(field.name)' in \(object.title)", at: index,
                hint: "add '\(field.name):' with \(field.shape.expectation)")
        }
        if !object.exactlyOneOf.isEmpty {
            let given = object.exactlyOneOf.filter { name in
                object.fields.indices.contains { object.fields[$0].name == name && present & (1 << UInt64($0)) != 0 }
            }
            if given.count != 1 {
                let choices = object.exactlyOneOf.map { "'\($0)'" }.joined(separator: " or ")
                error("\(object.title) must have exactly one of \(choices)\(given.isEmpty ? "" : ", not \(given.count)")", at: index)
            }
        }
    }

    /// Reports a key no field of the object `entry` has: a secret never echoed, or an unknown
    /// field with a suggestion.
    private mutating func unknownField(_ key: Int32, in entry: Int32) {
        guard case .object(let object) = shapes[Int(entry)] else { return }
        let name = storage.string(of: record(key))
        // No known field holds a secret, so only unknown ones need this look.
        if Self.secretFieldNames.contains(name.lowercased().filter { $0 != "_" && $0 != "-" }) {
            diagnostics.append(
                Diagnostic(
                    .error, "'\(name)' looks like a secret, and secrets never belong in manifests", at: node(key).location,
                    hint: "remove it, give it to Roomkeeper through the environment or a file, and rotate it: it is in git history now",
                    showsSource: false))
            return
        }
        let known = object.fields.map(\.name)
        error(
            "unknown field '\(name.truncatedForMessage)' in \(object.title)", at: key,
            hint: Suggestion.hint(for: name, in: known) ?? "known fields: \(known.joined(separator: ", "))")
    }

    private mutating func checkStringMap(_ index: Int32, _ entry: Int32) {
        let record = record(index)
        guard record.kind == .mapping else {
            mismatch(index, entry)
            return
        }
        for position in stride(from: Int(record.payload), to: Int(record.payload + record.count), by: 2) {
            let key = storage.children[position]
            let keyRecord = self.record(key)
            guard keyRecord.kind == .scalar else { continue }
            if !Self.isLabelKey(storage.bytes(of: keyRecord)) {
                error(
                    "'\(storage.string(of: keyRecord).truncatedForMessage)' is not a valid label name", at: key,
                    hint: "label names are 1 to 63 letters, digits, '-', '_' and '.', optionally after a 'prefix/'")
            }
            check(storage.children[position + 1], at: .key(key), against: table[entry].first)
        }
    }

    // MARK: - Formats

    /// The first character no manifest text may hold, looked up on UTF-8 bytes: a C0 or C1
    /// control other than tab and line feed, or an invisible character that changes how text
    /// reads (`isInvisible`).
    static func firstControlCharacter(in bytes: UnsafeBufferPointer<UInt8>) -> Unicode.Scalar? {
        // Words of eight bytes with no byte below 0x20, no 0x7F and none of the lead bytes 0xC2
        // (C1 controls), 0xD8, 0xE2 and 0xEF (the invisible ones) are skipped; the rest is looked
        // at byte by byte.
        var start = 0
        if let base = bytes.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highBits = ones &* 0x80
            func hasZeroByte(_ word: UInt64) -> Bool { (word &- ones) & ~word & highBits != 0 }
            while start + 8 <= bytes.count {
                let word = UnsafeRawPointer(base + start).loadUnaligned(as: UInt64.self)
                let hasLowByte = (word &- ones &* 0x20) & ~word & highBits != 0
                if hasLowByte || hasZeroByte(word ^ (ones &* 0x7F)) || hasZeroByte(word ^ (ones &* 0xC2)) { break }
                if word & highBits != 0,
                    hasZeroByte(word ^ (ones &* 0xE2)) || hasZeroByte(word ^ (ones &* 0xEF)) || hasZeroByte(word ^ (ones &* 0xD8))
                {
                    break
                }
                start += 8
            }
        }
        var scalar: UInt32 = 0
        var pending = 0
        for byte in bytes[start...] {
            if (byte < 0x20 && byte != 0x09 && byte != 0x0A) || byte == 0x7F { return Unicode.Scalar(byte) }
            // Decode just enough UTF-8 to name the scalar (the bytes are valid UTF-8).
            if byte & 0xC0 == 0x80, pending > 0 {
                scalar = scalar << 6 | UInt32(byte & 0x3F)
                pending -= 1
                if pending == 0, let found = Unicode.Scalar(scalar), (0x80...0x9F).contains(scalar) || Self.isInvisible(found) { return found }
            } else if byte >= 0xC0 {
                pending = byte >= 0xF0 ? 3 : byte >= 0xE0 ? 2 : 1
                scalar = UInt32(byte & (0x7F >> (pending + 1)))
            }
        }
        return nil
    }

    /// Characters that do not show yet change how text reads, refused so that a display name
    /// reviewed in a pull request is the one the portal shows (Trojan Source, CVE-2021-42574):
    /// bidirectional overrides, embeddings, isolates and marks, and zero-width characters.
    static func isInvisible(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x061C, 0x200B...0x200F, 0x202A...0x202E, 0x2060, 0x2066...0x2069, 0xFEFF: true
        default: false
        }
    }

    static func isDNSLabel(_ bytes: some BidirectionalCollection<UInt8>) -> Bool {
        guard (1...63).contains(bytes.count), let first = bytes.first, let last = bytes.last,
            isLowerAlphanumeric(first), isLowerAlphanumeric(last)
        else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isLowerAlphanumeric(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// A valid label close to `text` (lower-cased, other characters turned into '-'), if any.
    static func dnsLabelSuggestion(for text: String) -> String? {
        let label = ManifestName.derived(from: text, fallback: "")
        return isDNSLabel(label.utf8) && label != text ? label : nil
    }

    /// A practical address check on bytes: one '@', a local part without spaces, quotes or
    /// brackets, and a domain of at least two dot-separated labels of letters, digits and '-'.
    static func isEmail(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count <= 254, let at = bytes.firstIndex(of: UInt8(ascii: "@")), at > 0, at <= 64 else { return false }
        var previous: UInt8 = 0
        for byte in bytes[..<at] {
            if byte < 0x20 || forbiddenInLocalPart(byte) || (byte == UInt8(ascii: ".") && previous == UInt8(ascii: ".")) { return false }
            previous = byte
        }
        guard bytes[0] != UInt8(ascii: "."), bytes[at - 1] != UInt8(ascii: ".") else { return false }
        // The domain: labels of 1 to 63 letters, digits and '-', not starting or ending with '-'.
        var labels = 0
        var length = 0
        previous = UInt8(ascii: ".")
        for byte in bytes[(at + 1)...] {
            if byte == UInt8(ascii: ".") {
                guard length > 0, previous != UInt8(ascii: "-") else { return false }
                labels += 1
                length = 0
            } else {
                guard isAlphanumeric(byte) || byte == UInt8(ascii: "-"), length < 63 else { return false }
                if length == 0, byte == UInt8(ascii: "-") { return false }
                length += 1
            }
            previous = byte
        }
        guard length > 0, previous != UInt8(ascii: "-") else { return false }
        return labels + 1 >= 2
    }

    /// Characters an unquoted local part may not hold (the '@' is found before).
    private static func forbiddenInLocalPart(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\""), UInt8(ascii: "("), UInt8(ascii: ")"),
            UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: ";"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "["),
            UInt8(ascii: "\\"), UInt8(ascii: "]"), UInt8(ascii: "@"):
            true
        default:
            false
        }
    }

    /// A label name: 1 to 63 letters, digits, '-', '_' and '.', optionally after a 'prefix/'.
    static func isLabelKey(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var prefixLength: Int?
        var length = 0
        for byte in bytes {
            if byte == UInt8(ascii: "/") {
                guard prefixLength == nil else { return false }
                prefixLength = length
                length = 0
            } else if isAlphanumeric(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".") {
                length += 1
            } else {
                return false
            }
        }
        if let prefixLength, !(1...253).contains(prefixLength) { return false }
        return (1...63).contains(length)
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
