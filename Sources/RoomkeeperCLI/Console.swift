import Foundation
import Synchronization

/// Where a command's words go: standard output and standard error for the process, or a buffer
/// for a test that runs a command in process (`Roomkeeper.run(_:)` under `Console.$current`).
/// Commands write through `Console.current`, never through `print` or the file handles.
public struct Console: Sendable {
    public enum Stream: Sendable {
        case output, error
    }

    private let sink: @Sendable (String, Stream) -> Void

    public init(_ sink: @escaping @Sendable (String, Stream) -> Void) { self.sink = sink }

    /// The process's own streams, unbuffered, so that lines reach a pipe in the order written.
    public static let standard = Console { text, stream in
        (stream == .output ? FileHandle.standardOutput : FileHandle.standardError).write(Data(text.utf8))
    }

    /// The console commands write to: the process's, unless a caller runs a command with another.
    @TaskLocal public static var current = Console.standard

    /// Writes `text` and `terminator` to standard output.
    public func out(_ text: String, terminator: String = "\n") { sink(text + terminator, .output) }

    /// Writes `text` and `terminator` to standard error.
    public func err(_ text: String, terminator: String = "\n") { sink(text + terminator, .error) }
}

/// A console that keeps what is written, for a test.
public final class CapturedConsole: Sendable {
    private let written = Mutex((output: "", error: ""))

    public init() {}

    public var console: Console {
        Console { [self] text, stream in
            self.written.withLock { if stream == .output { $0.output += text } else { $0.error += text } }
        }
    }

    public var output: String { written.withLock { $0.output } }
    public var error: String { written.withLock { $0.error } }
}
