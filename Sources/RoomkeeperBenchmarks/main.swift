import CYAML
import Foundation
import Manifests

/// Release-build benchmarks: `swift run -c release roomkeeper-bench load|list|reconcile|fetch|directory|e2e|graph|tenants|console [options]`.
struct InMemoryTree: ManifestFileTree {
    let files: [String: [UInt8]]
    func yamlFiles() throws -> [String] { files.keys.sorted() }
    func contents(of path: String) throws -> [UInt8] { files[path] ?? [] }
}

func rawEventCount(_ bytes: [UInt8]) -> Int {
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) != 0 else { return 0 }
    defer { yaml_parser_delete(&parser) }
    var events = 0
    bytes.withUnsafeBufferPointer { buffer in
        guard let base = buffer.baseAddress else { return }
        yaml_parser_set_input_string(&parser, base, buffer.count)
        var event = yaml_event_t()
        while yaml_parser_parse(&parser, &event) != 0 {
            events += 1
            let done = event.type == YAML_STREAM_END_EVENT
            yaml_event_delete(&event)
            if done { break }
        }
    }
    return events
}

func seconds(_ work: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    work()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

func peakMemoryMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

let arguments = CommandLine.arguments.dropFirst()

/// The integer after `name` on the command line, or `value`.
func option(_ name: String, default value: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.endIndex,
        let number = Int(arguments[index + 1])
    else { return value }
    return number
}

/// Why a benchmark stopped: something it runs failed, or it missed a goal. Thrown, not an
/// `exit(1)` on the spot, so that the benchmark's own cleanup (the servers it started, its
/// folders) runs first; main then prints it and exits 1.
/// Reads with `read` every half second until `done` says so; after `minutes`, fails with what
/// `gaveUp` makes of the last reading.
func poll<Reading>(
    minutes: Double, _ read: () async throws -> Reading, until done: (Reading) -> Bool, gaveUp: (Reading?) -> String
) async throws -> Reading {
    let deadline = Date().addingTimeInterval(minutes * 60)
    var last: Reading?
    while Date() < deadline {
        let reading = try await read()
        if done(reading) { return reading }
        last = reading
        try await Task.sleep(for: .milliseconds(500))
    }
    throw BenchmarkFailure(gaveUp(last))
}

struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

do {
    try await runBenchmark()
} catch {
    print("roomkeeper-bench: \(error)")
    exit(1)
}

func runBenchmark() async throws {
    switch arguments.first {
    case "load":
        try loadBenchmark()
    case "list":
        try await listBenchmark()
    case "reconcile":
        try await reconcileBenchmark()
    case "fetch":
        try await fetchBenchmark()
    case "directory":
        try await directoryBenchmark()
    case "e2e":
        try await endToEndBenchmark()
    case "graph":
        try await graphDriftBenchmark()
    case "tenants":
        try await tenantsBenchmark()
    case "console":
        try await consoleBenchmark()
    default:
        print(
            """
            usage: roomkeeper-bench load [--sites N] [--runs N] [--workers N]
                   roomkeeper-bench directory [--users N] [--groups N] [--rooms N] [--passes N]
                   roomkeeper-bench e2e [--sites N]
                   roomkeeper-bench graph [--sites N] [--users N] [--repeat N]
                   roomkeeper-bench console [--sites N] [--users N] [--repeat N]
                   roomkeeper-bench tenants [--tenants N] [--rooms N] [--replicas N] [--lease SECONDS] [--tenant-concurrency N]
                   roomkeeper-bench list [--devices N] [--page N]
                   roomkeeper-bench reconcile [--sites N] [--concurrency N]
                   roomkeeper-bench fetch [--sites N] [--commits N]
            """)
        exit(64)
    }
}
