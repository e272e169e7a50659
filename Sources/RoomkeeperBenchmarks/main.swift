import CYAML
import Foundation
import Manifests

/// `swift run -c release roomkeeper-bench load [--sites N]`: loads a generated repository of
/// 20,000 rooms' worth of manifests and compares the full load (parse, check, decode, validate)
/// with libyaml's raw event parse of the same bytes.
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
guard arguments.first == "load" else {
    print("usage: roomkeeper-bench load [--sites N] [--runs N] [--workers N]")
    exit(64)
}
func option(_ name: String, default value: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.endIndex,
          let number = Int(arguments[index + 1]) else { return value }
    return number
}
let repository = GeneratedRepository(sites: option("--sites", default: 200))
let runs = option("--runs", default: 5)
let files = Dictionary(uniqueKeysWithValues: repository.files().map { ($0.path, Array($0.text.utf8)) })
let tree = InMemoryTree(files: files)
let megabytes = Double(files.values.reduce(0) { $0 + $1.count }) / 1_048_576
print("repository: \(repository.roomCount) rooms, \(files.count) files, \(String(format: "%.1f", megabytes)) MiB")

let cores = ProcessInfo.processInfo.activeProcessorCount
var rawBest = Double.infinity
let onlyWorkers = option("--workers", default: 0)
var loadBest: [Int: Double] = onlyWorkers > 0 ? [onlyWorkers: .infinity] : [1: .infinity, cores: .infinity]
var events = 0
var manifests = 0
var diagnostics = 0
for _ in 0..<runs {
    rawBest = min(rawBest, seconds { events = files.values.reduce(0) { $0 + rawEventCount($1) } })
    for workers in loadBest.keys.sorted() {
        let time = seconds {
            let result = ManifestLoader.load(from: tree, workers: workers)
            manifests = result.manifests.counts.values.reduce(0, +)
            diagnostics = result.diagnostics.count
        }
        loadBest[workers] = min(loadBest[workers] ?? .infinity, time)
    }
}
func figures(_ time: Double) -> String {
    "\(String(format: "%.3f", time)) s, \(String(format: "%.1f", megabytes / time)) MiB/s"
}
print("libyaml raw event parse, 1 thread: \(figures(rawBest)) (\(events) events)")
for workers in loadBest.keys.sorted() {
    let time = loadBest[workers] ?? .infinity
    print("roomkeeper full load, \(workers) thread\(workers == 1 ? "" : "s"):  \(figures(time)), \(String(format: "%.2f", rawBest / time)) x raw speed (\(manifests) manifests, \(diagnostics) diagnostics)")
}
print("best of \(runs) runs; peak memory \(String(format: "%.0f", peakMemoryMiB())) MiB")
if diagnostics > 0 {
    print("error: the generated repository should be valid")
    exit(1)
}
