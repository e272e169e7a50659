import CYAML

/// A YAML value to write: what `YAMLWriter` turns into text.
public indirect enum YAMLValue: Sendable {
    case string(String)
    case bool(Bool)
    case int(Int)
    case list([YAMLValue])
    /// Entries in the order given; writers choose a stable order.
    case mapping([(key: String, value: YAMLValue)])
}

/// Why libyaml's emitter refused to write.
public struct YAMLWriterError: Error, CustomStringConvertible {
    public var description: String
}

/// Writes YAML with libyaml's emitter, so quoting and escaping are libyaml's, not hand-made.
///
/// A string that any YAML reader could take for another type (`yes`, `0123`, `null`, `1e3`) is
/// always double-quoted, so what is written reads back as the same string everywhere.
public enum YAMLWriter {
    /// The documents as one YAML stream, separated by `---`.
    public static func write(_ documents: [YAMLValue]) throws -> String {
        let output = OutputBuffer()
        let emitter = UnsafeMutablePointer<yaml_emitter_t>.allocate(capacity: 1)
        defer { emitter.deallocate() }
        guard yaml_emitter_initialize(emitter) != 0 else { throw YAMLWriterError(description: "out of memory") }
        defer { yaml_emitter_delete(emitter) }
        yaml_emitter_set_output(
            emitter,
            { data, buffer, size in
                guard let data, let buffer else { return 0 }
                Unmanaged<OutputBuffer>.fromOpaque(data).takeUnretainedValue().bytes
                    .append(contentsOf: UnsafeBufferPointer(start: buffer, count: size))
                return 1
            }, Unmanaged.passUnretained(output).toOpaque())
        yaml_emitter_set_unicode(emitter, 1)
        yaml_emitter_set_width(emitter, -1)
        yaml_emitter_set_indent(emitter, 2)

        let writer = EventWriter(emitter: emitter)
        try withExtendedLifetime(output) {
            try writer.emit { yaml_stream_start_event_initialize(&$0, YAML_UTF8_ENCODING) }
            for (offset, document) in documents.enumerated() {
                try writer.emit { yaml_document_start_event_initialize(&$0, nil, nil, nil, offset == 0 ? 1 : 0) }
                try writer.write(document)
                try writer.emit { yaml_document_end_event_initialize(&$0, 1) }
            }
            try writer.emit { yaml_stream_end_event_initialize(&$0) }
        }
        return String(decoding: output.bytes, as: UTF8.self)
    }

    /// Collects the emitter's output; lives only for one `write` call on one thread.
    private final class OutputBuffer {
        var bytes: [UInt8] = []
    }

    private struct EventWriter {
        let emitter: UnsafeMutablePointer<yaml_emitter_t>

        /// Builds an event with `initialize` and hands it to the emitter, which takes ownership.
        func emit(_ initialize: (inout yaml_event_t) -> Int32) throws {
            var event = yaml_event_t()
            guard initialize(&event) != 0, yaml_emitter_emit(emitter, &event) != 0 else {
                let problem = emitter.pointee.problem.map { String(cString: $0) } ?? "out of memory"
                throw YAMLWriterError(description: problem)
            }
        }

        func write(_ value: YAMLValue) throws {
            switch value {
            case .string(let text):
                let style = PlainScalar.resolve(text) == .string ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE
                try scalar(text, style: style)
            case .bool(let flag): try scalar(flag ? "true" : "false", style: YAML_PLAIN_SCALAR_STYLE)
            case .int(let number): try scalar(String(number), style: YAML_PLAIN_SCALAR_STYLE)
            case .list(let items):
                let style = items.isEmpty ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE
                try emit { yaml_sequence_start_event_initialize(&$0, nil, nil, 1, style) }
                for item in items { try write(item) }
                try emit { yaml_sequence_end_event_initialize(&$0) }
            case .mapping(let entries):
                let style = entries.isEmpty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE
                try emit { yaml_mapping_start_event_initialize(&$0, nil, nil, 1, style) }
                for (key, value) in entries {
                    try write(.string(key))
                    try write(value)
                }
                try emit { yaml_mapping_end_event_initialize(&$0) }
            }
        }

        private func scalar(_ text: String, style: yaml_scalar_style_t) throws {
            var bytes = Array(text.utf8)
            let count = Int32(clamping: bytes.count)
            try bytes.withUnsafeMutableBufferPointer { buffer in
                var placeholder: UInt8 = 0
                let base = buffer.baseAddress ?? withUnsafeMutablePointer(to: &placeholder) { $0 }
                try emit { yaml_scalar_event_initialize(&$0, nil, nil, base, count, 1, 1, style) }
            }
        }
    }
}
