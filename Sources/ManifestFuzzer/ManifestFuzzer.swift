import Foundation
import Manifests
import Reports

/// One fuzz input, loaded as a manifest file and as the repository policy, its diagnostics
/// rendered with source lines: whatever the bytes, this must return, never trap or hang.
func fuzzOne(_ bytes: [UInt8]) {
    for name in ["fuzz.yaml", ManifestLoader.policyFileName] {
        let tree = OneFileTree(path: name, bytes: bytes)
        let result = ManifestLoader.load(from: tree, workers: 1)
        _ = DiagnosticRenderer(style: TerminalStyle(usesColor: false)).render(result.diagnostics, sources: result.sources)
        for manifest in result.manifests.all {
            _ = try? YAMLWriter.write([manifest.yamlValue])
        }
    }
}

/// A repository of one file.
struct OneFileTree: ManifestFileTree {
    let path: String
    let bytes: [UInt8]

    func yamlFiles() throws -> [String] { [path] }
    func contents(of path: String) throws -> [UInt8] { bytes }
}

#if FUZZING
    /// libFuzzer's entry point (`swift build -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING`; see scripts/fuzz).
    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
        fuzzOne(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
        return 0
    }

    /// libFuzzer's driver, from its runtime (compiler-rt).
    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    /// SwiftPM links an executable's entry point as `<module>_main`; here it hands over to libFuzzer.
    @_cdecl("ManifestFuzzer_main")
    public func fuzzerMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
        var argc = argc
        var argv = argv
        return runFuzzerDriver(&argc, &argv, fuzzerTestOneInput)
    }
#else
    /// Without libFuzzer: replays the files (or folders of files) named on the command line, as the
    /// regression tests do with the inputs a fuzzing run kept.
    @main
    struct ReplayCorpus {
        static func main() throws {
            var count = 0
            for argument in CommandLine.arguments.dropFirst() {
                let url = URL(fileURLWithPath: argument)
                let files = (try? FileManager.default.contentsOfDirectory(at: url, includingPropertiesForKeys: nil)) ?? [url]
                for file in files {
                    fuzzOne(Array(try Data(contentsOf: file)))
                    count += 1
                }
            }
            print("replayed \(count) inputs without a crash")
        }
    }
#endif
