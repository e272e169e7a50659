import Foundation
import Synchronization

/// What a finished child process printed and how it exited.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var output: String
    public var errors: String
}

/// Runs a program to completion, capturing standard output and standard error; standard input
/// is `input`, or empty.
///
/// The waiting happens on a thread of its own, never on Swift's cooperative pool nor on
/// Dispatch's global queues: a test that blocked a pool thread (two on a 2-core machine) could
/// starve the in-process portal that the program talks to; and on Linux the global queues do not
/// add threads for blocked ones, so a few processes awaited at once could leave none for
/// Foundation's own process bookkeeping, and every wait would stall until timeouts broke it.
public func runProcess(
    _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil,
    input: String = ""
) async throws -> ProcessResult {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(
                with: Result {
                    try runProcessBlocking(executable, arguments, environment: environment, in: directory, input: input)
                })
        }
    }
}

private func runProcessBlocking(
    _ executable: URL, _ arguments: [String], environment: [String: String]?, in directory: URL?, input: String
) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    if let environment { process.environment = environment }
    if let directory { process.currentDirectoryURL = directory }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let standardInput = Pipe()
    process.standardInput = standardInput
    try process.run()
    standardInput.fileHandleForWriting.write(Data(input.utf8))
    try standardInput.fileHandleForWriting.close()
    // Drain both pipes before waiting, so a chatty child cannot block on a full pipe.
    let errorData = Mutex(Data())
    let drained = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        errorData.withLock { $0 = data }
        drained.signal()
    }
    let outputData = output.fileHandleForReading.readDataToEndOfFile()
    drained.wait()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
        errors: errorData.withLock { String(decoding: $0, as: UTF8.self) })
}

/// Runs a Python 3 program given as text, with `arguments`.
public func runPython(_ script: String, _ arguments: [String]) async throws -> ProcessResult {
    try await runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script] + arguments)
}
