import Foundation

/// Checks a YAML node against a `Shape`, strictly, reporting every problem with its position.
///
/// Unknown fields get a "did you mean"; plain scalars that YAML 1.1 or 1.2 would read as another
/// type (`yes`, `0123`, `~`) are errors where a string, boolean or integer is expected, never a
/// guess; a field that looks like a secret is refused without echoing its value.
struct ShapeChecker {
    private(set) var diagnostics: [Diagnostic] = []

    /// Field names that hold credentials; manifests live in git, so such a field is refused.
    static let secretFieldNames: Set<String> = [
        "token", "accesstoken", "bearertoken", "password", "secret", "clientsecret", "apikey", "privatekey",
        "credentials",
    ]

    /// Checks `node`; `path` names it in messages (`spec.rooms[2]`) and is built only for a message.
    mutating func check(_ node: YAMLNode, against shape: Shape, path: () -> String) {
        switch shape {
        case .string(let format): checkString(node, format: format, path: path)
        case .integer(let range): checkInteger(node, range: range, path: path)
        case .boolean: checkBoolean(node, path: path)
        case .list(let item, let minimumCount, let unique):
            checkList(node, item: item, minimumCount: minimumCount, unique: unique, path: path)
        case .object(let object): checkObject(node, object, path: path)
        case .stringMap: checkStringMap(node, path: path)
        }
    }

    private mutating func error(_ message: String, at node: YAMLNode, hint: String? = nil) {
        diagnostics.append(.error(message, at: node.location, hint: hint))
    }

    private mutating func mismatch(_ node: YAMLNode, _ shape: Shape, path: () -> String) {
        error("'\(path())' must be \(shape.expectation), not \(node.summary)", at: node)
    }

    // MARK: - Scalars

    /// The node's text when it is a string in every YAML reader's eyes; reports and returns nil otherwise.
    private mutating func stringValue(
        _ node: YAMLNode, expectation: @autoclosure () -> String, path: () -> String
    ) -> String? {
        guard node.kind == .scalar, let text = node.text else {
            error("'\(path())' must be \(expectation()), not \(node.summary)", at: node)
            return nil
        }
        guard node.isPlainScalar else { return text }
        switch PlainScalar.resolve(text) {
        case .string:
            return text
        case .null:
            error("'\(path())' must be \(expectation()), not \(node.summary)", at: node,
                  hint: "write a value, or remove the field")
        case .yaml11Bool:
            error("'\(path())' must be \(expectation()), but '\(text)' is a boolean in YAML 1.1", at: node,
                  hint: "quote it if you mean the text: \"\(text)\"")
        case .bool:
            error("'\(path())' must be \(expectation()), not the boolean \(text)", at: node,
                  hint: "quote it if you mean the text: \"\(text)\"")
        case .integer, .float:
            error("'\(path())' must be \(expectation()), not the number \(text.truncatedForMessage)", at: node,
                  hint: "quote it to keep it as written: \"\(text.truncatedForMessage)\"")
        }
        return nil
    }

    private mutating func checkString(_ node: YAMLNode, format: StringFormat, path: () -> String) {
        guard let text = stringValue(node, expectation: format.expectation, path: path) else { return }
        if let control = Self.firstControlCharacter(in: text) {
            error("'\(path())' contains the control character U+\(String(control.value, radix: 16, uppercase: true).leftPadded(to: 4))",
                  at: node, hint: "remove it")
            return
        }
        switch format {
        case .text(let maximumLength):
            // Characters never outnumber UTF-8 bytes, so most strings skip the grapheme count.
            if text.utf8.count > maximumLength, text.count > maximumLength {
                error("'\(path())' is \(text.count) characters long; the limit is \(maximumLength)", at: node)
            }
        case .dnsLabel:
            if !Self.isDNSLabel(text) {
                error("'\(text.truncatedForMessage)' is not a valid name", at: node,
                      hint: "names are 1 to 63 lower-case letters, digits and '-', starting and ending with a letter or digit"
                        + (Self.dnsLabelSuggestion(for: text).map { ", e.g. '\($0)'" } ?? ""))
            }
        case .email:
            if !Self.isEmail(text) {
                error("'\(text.truncatedForMessage)' is not a valid e-mail address", at: node,
                      hint: "write the full address, e.g. conf-lon-3a@contoso.com")
            }
        case .url:
            if !(text.hasPrefix("https://") || text.hasPrefix("http://")) || text.contains(" ") {
                error("'\(text.truncatedForMessage)' is not a valid URL", at: node, hint: "write it as https://host/path")
            }
        case .date:
            if CalendarDay(text) == nil {
                error("'\(text.truncatedForMessage)' is not a date", at: node, hint: "write the day as YYYY-MM-DD, e.g. 2026-12-31")
            }
        case .oneOf(let values):
            if !values.contains(text) {
                if values.count > 16 {
                    error("'\(path())' has an unknown value '\(text.truncatedForMessage)'", at: node,
                          hint: Suggestion.hint(for: text, in: values) ?? "known values: \(values.joined(separator: ", "))")
                } else {
                    error("'\(path())' must be \(format.expectation), not '\(text.truncatedForMessage)'",
                          at: node, hint: values.count == 1 ? nil : Suggestion.hint(for: text, in: values))
                }
            }
        }
    }

    private mutating func checkInteger(_ node: YAMLNode, range: ClosedRange<Int>, path: () -> String) {
        func expectation() -> String { Shape.integer(range).expectation }
        guard node.kind == .scalar, let text = node.text else {
            error("'\(path())' must be \(expectation()), not \(node.summary)", at: node)
            return
        }
        guard node.isPlainScalar else {
            error("'\(path())' must be \(expectation()), not the string \"\(text.truncatedForMessage)\"", at: node,
                  hint: Int(text) != nil ? "remove the quotes" : nil)
            return
        }
        switch PlainScalar.resolve(text) {
        case .integer(let value?):
            if !range.contains(value) {
                error("'\(path())' must be from \(range.lowerBound) to \(range.upperBound), not \(value)", at: node)
            }
        case .integer(nil):
            error("'\(path())' must be a plain decimal integer, not \(text.truncatedForMessage)", at: node,
                  hint: "YAML readers disagree on octal, hexadecimal, '_' and ':' forms; write the number in decimal without leading zeros")
        default:
            error("'\(path())' must be \(expectation()), not \(node.summary)", at: node)
        }
    }

    private mutating func checkBoolean(_ node: YAMLNode, path: () -> String) {
        guard node.kind == .scalar, let text = node.text else {
            error("'\(path())' must be true or false, not \(node.summary)", at: node)
            return
        }
        guard node.isPlainScalar else {
            error("'\(path())' must be true or false, not the string \"\(text.truncatedForMessage)\"", at: node,
                  hint: ["true", "false"].contains(text.lowercased()) ? "remove the quotes" : nil)
            return
        }
        switch PlainScalar.resolve(text) {
        case .bool: break
        case .yaml11Bool(let value):
            error("'\(path())' must be true or false; '\(text)' is a boolean only in YAML 1.1", at: node,
                  hint: "write \(value)")
        default:
            error("'\(path())' must be true or false, not \(node.summary)", at: node)
        }
    }

    // MARK: - Containers

    private mutating func checkList(_ node: YAMLNode, item: Shape, minimumCount: Int, unique: Bool, path: () -> String) {
        guard node.kind == .sequence else {
            if node.isPlainScalar, PlainScalar.resolve(node.text ?? "") == .null, minimumCount == 0 { return }
            mismatch(node, .list(item, minimumCount: minimumCount, unique: unique), path: path)
            return
        }
        let elements = node.elements
        if elements.count < minimumCount {
            error("'\(path())' must list at least \(minimumCount == 1 ? "one item" : "\(minimumCount) items")", at: node)
        }
        var seen: [String: YAMLNode] = [:]
        let compares = unique && elements.count > 1
        for (offset, element) in elements.enumerated() {
            let before = diagnostics.count
            check(element, against: item, path: { "\(path())[\(offset)]" })
            guard compares, diagnostics.count == before, let text = element.text else { continue }
            let key = text.lowercasedIfNeeded
            if let first = seen[key] {
                diagnostics.append(.error(
                    "'\(text.truncatedForMessage)' is listed twice in '\(path())'", at: element.location,
                    hint: "remove the second one", notes: [.init("first listed here", at: first.location)]))
            } else {
                seen[key] = element
            }
        }
    }

    private mutating func checkObject(_ node: YAMLNode, _ object: ObjectShape, path: () -> String) {
        guard node.kind == .mapping else {
            error("'\(path())' must be a mapping (\(object.title)), not \(node.summary)", at: node)
            return
        }
        // Which fields were given, as bits: an object shape has far fewer than 64 fields.
        var present: UInt64 = 0
        var presentNames: [String] = []
        let entries = node.entries
        // The parser has reported a merge key; fields it would have merged are not missing.
        let hasMergeKey = entries.contains { $0.key.isPlainScalar && $0.key.text?.sameText(as: "<<") == true }
        for (key, value) in entries {
            guard let name = key.text, !(key.isPlainScalar && name.sameText(as: "<<")) else { continue }
            guard let fieldIndex = object.fields.firstIndex(where: { $0.name.sameText(as: name) }) else {
                // No known field holds a secret, so only unknown ones need this look.
                if Self.secretFieldNames.contains(name.lowercased().filter { $0 != "_" && $0 != "-" }) {
                    diagnostics.append(Diagnostic(
                        .error, "'\(name)' looks like a secret, and secrets never belong in manifests", at: key.location,
                        hint: "remove it, give it to Roomkeeper through the environment or a file, and rotate it: it is in git history now",
                        showsSource: false))
                    continue
                }
                let known = object.fields.map(\.name)
                error("unknown field '\(name.truncatedForMessage)' in \(object.title)", at: key,
                      hint: Suggestion.hint(for: name, in: known) ?? "known fields: \(known.joined(separator: ", "))")
                continue
            }
            present |= 1 << UInt64(fieldIndex)
            if !object.exactlyOneOf.isEmpty { presentNames.append(name) }
            check(value, against: object.fields[fieldIndex].shape, path: {
                let parent = path()
                return parent.isEmpty ? name : "\(parent).\(name)"
            })
        }
        for (index, field) in object.fields.enumerated() where field.isRequired && present & (1 << UInt64(index)) == 0 && !hasMergeKey {
            error("missing required field '\(field.name)' in \(object.title)", at: node,
                  hint: "add '\(field.name):' with \(field.shape.expectation)")
        }
        if !object.exactlyOneOf.isEmpty {
            let given = object.exactlyOneOf.filter(presentNames.contains)
            if given.count != 1 {
                let choices = object.exactlyOneOf.map { "'\($0)'" }.joined(separator: " or ")
                error("\(object.title) must have exactly one of \(choices)\(given.isEmpty ? "" : ", not \(given.count)")", at: node)
            }
        }
    }

    private mutating func checkStringMap(_ node: YAMLNode, path: () -> String) {
        guard node.kind == .mapping else {
            mismatch(node, .stringMap, path: path)
            return
        }
        for (key, value) in node.entries {
            guard let name = key.text else { continue }
            if !Self.isLabelKey(name) {
                error("'\(name.truncatedForMessage)' is not a valid label name", at: key,
                      hint: "label names are 1 to 63 letters, digits, '-', '_' and '.', optionally after a 'prefix/'")
            }
            checkString(value, format: .text(maximumLength: 63), path: { "\(path()).\(name)" })
        }
    }

    // MARK: - Formats

    /// The first C0 or C1 control character other than tab and line feed, looked up on UTF-8 bytes.
    static func firstControlCharacter(in text: String) -> Unicode.Scalar? {
        var text = text
        return text.withUTF8 { bytes in
            var previous: UInt8 = 0
            for byte in bytes {
                if (byte < 0x20 && byte != 0x09 && byte != 0x0A) || byte == 0x7F { return Unicode.Scalar(byte) }
                if previous == 0xC2, (0x80...0x9F).contains(byte) { return Unicode.Scalar(byte) }
                previous = byte
            }
            return nil
        }
    }

    static func isDNSLabel(_ text: String) -> Bool {
        let bytes = text.utf8
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
        return isDNSLabel(label) && label != text ? label : nil
    }

    /// A practical address check on bytes: one '@', a local part without spaces, quotes or
    /// brackets, and a domain of at least two dot-separated labels of letters, digits and '-'.
    static func isEmail(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
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
    static func isLabelKey(_ text: String) -> Bool {
        let bytes = text.utf8
        let pieces = bytes.split(separator: UInt8(ascii: "/"), maxSplits: 2, omittingEmptySubsequences: false)
        guard pieces.count <= 2, let name = pieces.last, (1...63).contains(name.count) else { return false }
        if pieces.count == 2 && (pieces[0].isEmpty || pieces[0].count > 253) { return false }
        return pieces.allSatisfy { piece in
            piece.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
        }
    }
}

extension String {
    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}
