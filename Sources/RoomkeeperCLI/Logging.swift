import ArgumentParser
import Foundation
import Logging

/// `--log-level` and `--log-format`, which every command takes. Log lines go to standard error;
/// reports and plans go to standard output, so the two never mix.
struct LoggingOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    @Option(help: "Log format: text, or json (one object per line: time, level, label, message, and typed fields).")
    var logFormat: LogFormat = .text

    /// Sends every logger of the process to standard error in this format and at this level.
    func bootstrap() { LoggingSystem.bootstrap(logFormat.handler(level: logLevel)) }
}

/// A command that takes `LoggingOptions`; `Roomkeeper.execute()` bootstraps logging from them.
protocol LoggingCommand {
    var logging: LoggingOptions { get }
}

/// How log lines are written: text for people, or one JSON object per line for log collectors.
enum LogFormat: String, Sendable, CaseIterable, ExpressibleByArgument {
    case text, json

    /// A log handler factory for `LoggingSystem.bootstrap`.
    func handler(level: Logger.Level) -> @Sendable (String) -> any LogHandler {
        switch self {
        case .text:
            return { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            }
        case .json:
            return { label in JSONLogHandler(label: label, logLevel: level) }
        }
    }
}

// swift-format-ignore: AvoidRetroactiveConformances
// `--log-level` parses swift-log's own levels; neither package declares the conformance.
extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Writes each record as one line of JSON to standard error: `time`, `level`, `label`, `message`,
/// and the metadata as fields that keep their types (numbers and booleans are not strings).
struct JSONLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    private let label: String

    init(label: String, logLevel: Logger.Level) {
        self.label = label
        self.logLevel = logLevel
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: Any] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) { fields[key] = Self.json(value) }
        fields["time"] = Date().formatted(.iso8601)
        fields["level"] = event.level.rawValue
        fields["message"] = "\(event.message)"
        fields["label"] = label
        guard let line = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        FileHandle.standardError.write(line + Data("\n".utf8))
    }

    /// A metadata value as JSON: integers, finite floating-point numbers and booleans keep their
    /// type; anything else is its description.
    static func json(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let text): return text
        case .array(let values): return values.map(json)
        case .dictionary(let values): return values.mapValues(json)
        case .stringConvertible(let value):
            switch value {
            case let flag as Bool: return flag
            case let number as any BinaryInteger: return Int(exactly: number) ?? number.description
            case let number as Double where number.isFinite: return number
            default: return value.description
            }
        }
    }
}
