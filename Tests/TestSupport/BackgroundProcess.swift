import Foundation
import Synchronization

/// A long-running child process (a server), whose output can be awaited line by line.
public final class BackgroundProcess: Sendable {
    private let process: Process
    private let output = Collected()

    /// What the process printed, appended from the pipe's reader.
    private final class Collected: Sendable {
        let text = Mutex("")
    }

    public init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        self.process = process
        let output = self.output
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            // At end of file the handler would be called again and again; and a dispatch source
            // left on a descriptor that is closed later (when the pipe goes) can crash libdispatch's
            // event loop. Stop reading there.
            guard !data.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    /// Whether the process is still running.
    public var isRunning: Bool { process.isRunning }

    public var processIdentifier: Int32 { process.processIdentifier }

    /// Everything the process printed so far (standard output and error together).
    public var printed: String { output.text.withLock { $0 } }

    /// Starts a Python script that prints `listening on PORT` once it serves on 127.0.0.1;
    /// returns the process and the port, or throws (stopping it) when it never says so.
    public static func pythonServer(_ script: String, arguments: [String], name: String) async throws -> (process: BackgroundProcess, port: String) {
        let process = try BackgroundProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-u", "-c", script] + arguments)
        guard let line = try await process.line(containing: "listening on"), let port = line.split(separator: " ").last else {
            try await process.kill()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "\(name) did not start: \(process.printed)"])
        }
        return (process, String(port))
    }

    /// The first whole printed line containing `text`, waiting up to `timeout` seconds; nil if
    /// none came. A line still being written is not looked at: an unbuffered `print` may arrive in
    /// pieces ("listening on", then the port), and half a line read early is a wrong answer.
    public func line(containing text: String, timeout: Double = 120) async throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            // "\r\n" is one Character in Swift: split on any newline, and drop a last line not yet ended.
            let output = printed
            let lines = output.split(whereSeparator: \.isNewline)
            let complete = output.last?.isNewline == true ? lines[...] : lines.dropLast()
            if let line = complete.first(where: { $0.contains(text) }) { return String(line) }
            guard process.isRunning else { return nil }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    /// Sends SIGKILL, for servers that do not stop on SIGTERM (git-daemon inherits an ignored
    /// SIGTERM from the test process), and waits until it has gone.
    public func kill() async throws {
        Foundation.kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
    }

    /// Waits for the process to exit by itself, and returns its status.
    public func exitStatus() async throws -> Int32 {
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return process.terminationStatus
    }

    /// Sends SIGTERM and waits for the exit status.
    public func terminate() async throws -> Int32 {
        process.terminate()
        return try await exitStatus()
    }
}
