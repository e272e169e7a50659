import CYAML

/// Limits that keep a hostile or runaway file from exhausting memory or time.
public struct YAMLLimits: Sendable {
    /// Deepest nesting of sequences and mappings.
    public var maximumDepth: Int
    /// Aliases may add at most this many nodes to a file, or ten times the nodes it has, if more.
    /// A "billion laughs" file trips it after a few thousand nodes instead of expanding.
    public var minimumAliasBudget: Int

    public init(maximumDepth: Int = 64, minimumAliasBudget: Int = 10_000) {
        self.maximumDepth = maximumDepth
        self.minimumAliasBudget = minimumAliasBudget
    }
}

/// Parses YAML with libyaml's event API into a `YAMLTree` that keeps every node's position.
///
/// Strict on purpose: duplicate keys, merge keys (`<<`), non-scalar keys, unknown tags,
/// recursive or undefined aliases and excessive alias expansion are errors, each at its place.
/// A syntax error ends the file (libyaml cannot resume), keeping the documents before it.
public enum YAMLParser {
    public static func parse(
        _ source: SourceText, limits: YAMLLimits = YAMLLimits()
    ) -> (tree: YAMLTree, diagnostics: [Diagnostic]) {
        var composer = Composer(source: source, limits: limits)
        source.bytes.withUnsafeBufferPointer { composer.run($0) }
        let tree = YAMLTree(
            file: source.path, records: composer.records, children: composer.children,
            text: composer.text, roots: composer.roots)
        return (tree, composer.diagnostics)
    }
}

private struct Composer {
    struct Frame {
        var node: Int32
        var pendingStart: Int
    }

    let source: SourceText
    let limits: YAMLLimits
    var records: [YAMLTree.Record] = []
    var children: [Int32] = []
    var text: ScalarText
    var roots: [Int32] = []
    var diagnostics: [Diagnostic] = []

    /// Nodes the aliases seen so far add to the file once expanded.
    private var aliasExpansion = 0
    private var anchors: [String: Int32] = [:]
    private var stack: [Frame] = []
    private var pending: [Int32] = []
    private var documentFailed = false
    /// Set when reading on would cost more than the file can be worth: libyaml is not fed again.
    private var abandoned = false
    /// Events left for this file: a real manifest yields fewer events than it has bytes.
    private var eventBudget: Int

    init(source: SourceText, limits: YAMLLimits) {
        self.source = source
        self.limits = limits
        eventBudget = source.bytes.count + 1_000
        records.reserveCapacity(source.bytes.count / 8)
        text = ScalarText(capacity: source.bytes.count / 2)
    }

    mutating func run(_ bytes: UnsafeBufferPointer<UInt8>) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) != 0 else {
            diagnostics.append(.error("the YAML parser could not start (out of memory)", at: nil))
            return
        }
        defer { yaml_parser_delete(&parser) }
        if let base = bytes.baseAddress {
            yaml_parser_set_input_string(&parser, base, bytes.count)
        } else {
            var empty: UInt8 = 0
            yaml_parser_set_input_string(&parser, &empty, 0)
        }
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) != 0 else {
                reportSyntaxError(parser)
                return
            }
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { return }
            eventBudget -= 1
            guard eventBudget >= 0 else {
                fail(
                    "the file yields more YAML events than it has bytes", line: Int32(clamping: event.start_mark.line + 1),
                    column: Int32(clamping: event.start_mark.column + 1), hint: "the rest of the file was not read")
                return
            }
            handle(&event)
            // libyaml's scanner slows down with every level of flow nesting: a file nested past the
            // limit is dropped at once rather than scanned to its end.
            if abandoned { return }
        }
    }

    private mutating func handle(_ event: inout yaml_event_t) {
        let line = Int32(clamping: event.start_mark.line + 1)
        let column = Int32(clamping: event.start_mark.column + 1)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            anchors.removeAll(keepingCapacity: true)
            stack.removeAll(keepingCapacity: true)
            pending.removeAll(keepingCapacity: true)
            documentFailed = false
        case YAML_DOCUMENT_END_EVENT:
            if !documentFailed, let root = pending.first, !isEmptyScalar(root) {
                roots.append(root)
            }
            pending.removeAll(keepingCapacity: true)
        case YAML_SCALAR_EVENT:
            guard !documentFailed else { return }
            let data = event.data.scalar
            guard let explicitString = checkTag(data.tag, line: line, column: column) else { return }
            let style: ScalarStyle
            switch data.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let range = text.append(UnsafeBufferPointer(start: data.value, count: data.value == nil ? 0 : data.length))
            let index = addRecord(
                .init(
                    kind: .scalar, style: style, isExplicitString: explicitString, line: line, column: column,
                    payload: range.start, count: range.count))
            register(anchor: data.anchor, for: index)
            attach(index)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            guard !documentFailed else { return }
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let tag = isMapping ? event.data.mapping_start.tag : event.data.sequence_start.tag
            guard checkTag(tag, line: line, column: column, container: true) != nil else { return }
            guard stack.count < limits.maximumDepth else {
                fail(
                    "nesting is deeper than \(limits.maximumDepth) levels", line: line, column: column,
                    hint: "manifests are a few levels deep; this file is malformed or hostile, and the rest of it was not read")
                abandoned = true
                return
            }
            let index = addRecord(
                .init(
                    kind: isMapping ? .mapping : .sequence, style: .plain, isExplicitString: false,
                    line: line, column: column, payload: 0, count: 0))
            register(anchor: isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor, for: index)
            stack.append(Frame(node: index, pendingStart: pending.count))
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard !documentFailed, let frame = stack.popLast() else { return }
            close(frame)
        case YAML_ALIAS_EVENT:
            guard !documentFailed else { return }
            let name = event.data.alias.anchor.map { String(cString: $0) } ?? ""
            guard let target = anchors[name] else {
                fail(
                    "alias '*\(name)' refers to no anchor defined before it", line: line, column: column,
                    hint: "define '&\(name)' earlier in the same document")
                return
            }
            guard !stack.contains(where: { $0.node == target }) else {
                fail(
                    "alias '*\(name)' refers to a node that contains it", line: line, column: column,
                    hint: "recursive structures cannot be manifests")
                return
            }
            let budget = max(limits.minimumAliasBudget, records.count * 10)
            guard let size = expandedSize(of: target, limit: budget - aliasExpansion) else {
                fail(
                    "aliases expand this file beyond \(budget) nodes", line: line, column: column,
                    hint: "a file that multiplies aliases like this (a 'billion laughs' document) is rejected, not expanded")
                return
            }
            aliasExpansion += size
            attach(target)
        default:
            break
        }
    }

    private mutating func addRecord(_ record: YAMLTree.Record) -> Int32 {
        records.append(record)
        return Int32(records.count - 1)
    }

    /// How many nodes `node` stands for once the aliases in it are expanded, counted up to
    /// `limit`; nil when it stands for more. Counting stops at the limit, so it costs no more than
    /// the expansion it guards against.
    private func expandedSize(of node: Int32, limit: Int) -> Int? {
        var size = 0
        var unvisited = [node]
        while let next = unvisited.popLast() {
            size += 1
            guard size <= limit else { return nil }
            let record = records[Int(next)]
            if record.kind != .scalar {
                unvisited.append(contentsOf: children[Int(record.payload)..<Int(record.payload) + Int(record.count)])
            }
        }
        return size
    }

    private mutating func attach(_ node: Int32) {
        pending.append(node)
    }

    private mutating func register(anchor: UnsafeMutablePointer<yaml_char_t>?, for node: Int32) {
        guard let anchor else { return }
        anchors[String(cString: anchor)] = node
    }

    /// Whether a tag is acceptable; returns whether it forces a string (`!!str`), nil on error.
    private mutating func checkTag(
        _ tag: UnsafeMutablePointer<yaml_char_t>?, line: Int32, column: Int32, container: Bool = false
    ) -> Bool? {
        guard let tag else { return false }
        let name = String(cString: tag)
        if name == "tag:yaml.org,2002:str" && !container { return true }
        if container && (name == "tag:yaml.org,2002:map" || name == "tag:yaml.org,2002:seq") { return false }
        let shown = name.hasPrefix("tag:yaml.org,2002:") ? "!!" + name.dropFirst(18) : name
        fail(
            "tag '\(shown)' is not supported", line: line, column: column,
            hint: container ? "remove the tag" : "remove the tag; use quotes (or '!!str') to force a string")
        return nil
    }

    private mutating func close(_ frame: Frame) {
        let node = Int(frame.node)
        let start = children.count
        let items = frame.pendingStart..<pending.count
        // Indices rather than a slice of `pending`: a slice alive across the removal below would
        // make that removal copy the whole array.
        if records[node].kind == .mapping { checkKeys(items) }
        children.append(contentsOf: pending[items])
        pending.removeLast(items.count)
        records[node].payload = Int32(start)
        records[node].count = Int32(children.count - start)
        attach(frame.node)
    }

    /// Reports non-scalar keys, merge keys and duplicate keys. Ordinary mappings have a handful
    /// of keys, so they are compared pairwise; large ones go through a hash table.
    private mutating func checkKeys(_ items: Range<Int>) {
        let keyCount = items.count / 2
        var seen: [String: Int32] = [:]
        let useTable = keyCount > 16
        for position in 0..<keyCount {
            let keyNode = pending[items.lowerBound + 2 * position]
            let key = records[Int(keyNode)]
            guard key.kind == .scalar else {
                diagnostics.append(.error("a mapping key must be a plain name, not a list or mapping", at: location(of: key)))
                continue
            }
            if key.style == .plain, text.isScalar(key, reading: "<<") {
                diagnostics.append(
                    .error(
                        "merge keys ('<<') are not supported", at: location(of: key),
                        hint: "write the fields out, or put an alias ('*name') on a whole value"))
                continue
            }
            var first: Int32?
            if useTable {
                let name = text.string(of: key)
                first = seen[name]
                if first == nil { seen[name] = keyNode }
            } else {
                for earlierPosition in 0..<position {
                    let earlier = pending[items.lowerBound + 2 * earlierPosition]
                    if text.areSame(records[Int(earlier)], key) {
                        first = earlier
                        break
                    }
                }
            }
            if let first {
                diagnostics.append(
                    .error(
                        "duplicate key '\(text.string(of: key).truncatedForMessage)'", at: location(of: key),
                        hint: "remove one of them; YAML keeps only the last, silently",
                        notes: [.init("first written here", at: location(of: records[Int(first)]))]))
            }
        }
    }

    private func location(of record: YAMLTree.Record) -> SourceLocation {
        SourceLocation(file: source.path, line: Int(record.line), column: Int(record.column))
    }

    private func isEmptyScalar(_ node: Int32) -> Bool {
        let record = records[Int(node)]
        return record.kind == .scalar && record.style == .plain && record.count == 0
    }

    private mutating func fail(_ message: String, line: Int32, column: Int32, hint: String? = nil) {
        documentFailed = true
        diagnostics.append(
            .error(
                message, at: SourceLocation(file: source.path, line: Int(line), column: Int(column)), hint: hint))
    }

    private mutating func reportSyntaxError(_ parser: yaml_parser_t) {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        var location: SourceLocation
        if parser.error == YAML_READER_ERROR {
            location = source.location(ofByteOffset: parser.problem_offset)
        } else {
            location = SourceLocation(
                file: source.path, line: parser.problem_mark.line + 1, column: parser.problem_mark.column + 1)
        }
        let character = source.line(location.line).flatMap { line -> Character? in
            let index = location.column - 1
            guard index >= 0, index < line.count else { return nil }
            return line[line.index(line.startIndex, offsetBy: index)]
        }
        if character == "\t" || problem.contains("tab") {
            diagnostics.append(
                .error(
                    "tab character in indentation", at: location, hint: "YAML indents with spaces; replace the tab with spaces"))
            return
        }
        var message = "YAML syntax error: \(problem)"
        var notes: [Diagnostic.Note] = []
        if let context = parser.context.map({ String(cString: $0) }) {
            message += " (\(context))"
            notes.append(
                .init(
                    context,
                    at: SourceLocation(file: source.path, line: parser.context_mark.line + 1, column: parser.context_mark.column + 1)))
        }
        diagnostics.append(.error(message, at: location, hint: syntaxHint(for: problem, reader: parser.error == YAML_READER_ERROR), notes: notes))
    }

    private func syntaxHint(for problem: String, reader: Bool) -> String? {
        if reader && problem.contains("UTF-8") { return "save the file as UTF-8" }
        if reader && problem.contains("control characters") {
            return "remove the control character; use \\uXXXX in a double-quoted string if you need it"
        }
        if problem.contains("mapping values are not allowed") { return "quote a value that contains ': ', or check the indentation" }
        if problem.contains("did not find expected key") || problem.contains("did not find expected '-'") {
            return "check the indentation of this line against the lines above it"
        }
        if problem.contains("could not find expected ':'") { return "a key needs ':' after it; a multi-line value needs quotes or '|'" }
        if problem.contains("found undefined tag handle") { return "remove the tag" }
        return nil
    }
}
