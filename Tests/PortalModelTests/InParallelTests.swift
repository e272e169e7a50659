import PortalModel
import Testing

@Suite("Work in parallel")
struct InParallelTests {
    @Test("Results come back in the order of the work, whichever ends first")
    func order() {
        let work: [@Sendable () -> Int] = (0..<7).map { index in
            {
                // Later items do less, so they tend to end first.
                (0..<(7 - index) * 20_000).reduce(index) { sum, _ in sum &+ 0 }
            }
        }
        #expect(inParallel(work) == Array(0..<7))
        let (text, number) = inParallel({ String(repeating: "a", count: 3) }, { 42 })
        #expect(text == "aaa" && number == 42)
        #expect(inParallel([@Sendable () -> Int]()).isEmpty)
    }
}
