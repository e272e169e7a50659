import Foundation
import TestSupport
import Testing

/// The inputs fuzzing kept (Tests/FuzzRegressions: seeds and any crash once found and fixed) and
/// the broken examples, replayed through the same function libFuzzer drives (scripts/fuzz).
@Suite("Fuzzing regressions")
struct FuzzRegressionTests {
    @Test("Every kept fuzz input and broken example loads, renders and writes back without a crash")
    func replay() async throws {
        let regressions = repositoryRoot.appendingPathComponent("Tests/FuzzRegressions")
        let kept = try FileManager.default.contentsOfDirectory(atPath: regressions.path).filter { !$0.hasPrefix(".") }
        #expect(kept.count >= 40)
        let result = try await runProcess(
            Roomkeeper.built("ManifestFuzzer"),
            [
                regressions.path, repositoryRoot.appendingPathComponent("examples/invalid/syntax").path,
                repositoryRoot.appendingPathComponent("examples/invalid/shapes").path,
            ])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("replayed \(kept.count + 17) inputs without a crash"), "\(result.output)")
    }
}
