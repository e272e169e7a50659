import CYAML
import Foundation
import Manifests

/// Loads a generated repository of 20,000 rooms' worth of manifests and compares the full load
/// (parse, check, decode, validate) with libyaml's raw event parse of the same bytes.
func loadBenchmark() throws {
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
        print(
            "roomkeeper full load, \(workers) thread\(workers == 1 ? "" : "s"):  \(figures(time)), \(String(format: "%.2f", rawBest / time)) x raw speed (\(manifests) manifests, \(diagnostics) diagnostics)"
        )
    }
    print("best of \(runs) runs; peak memory \(String(format: "%.0f", peakMemoryMiB())) MiB")
    if diagnostics > 0 {
        throw BenchmarkFailure("error: the generated repository should be valid")
    }
}
