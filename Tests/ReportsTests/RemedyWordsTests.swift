import Foundation
import Reconciler
import Reports
import Testing

@Suite("Remedies in words")
struct RemedyWordsTests {
    private static func item(_ name: String, revert: Bool, adopt: Bool, byHand: String? = nil) -> DriftItem {
        DriftItem(
            state: .changed, cause: .manual, target: ObjectReference(kind: .manifest(.roomGroup), name: name), explanation: "", since: Date(),
            remedies: (revert ? [.revert] : []) + (adopt ? [.adopt] : []) + [.snooze(until: "2026-12-06")]
                + (byHand.map { [.byHand(instructions: $0)] } ?? []))
    }

    @Test("The command line gets commands quoted for a shell and a snooze line for roomkeeper.yaml; the core only said what is possible")
    func commandLine() {
        let words = RemedyWords(Self.item("lobby", revert: true, adopt: true))
        #expect(words.revert == "roomkeeper apply --target 'RoomGroup/lobby'")
        #expect(words.adopt == "roomkeeper export --select 'RoomGroup/lobby' --into .")
        #expect(words.snooze == #"- {target: "RoomGroup/lobby", until: 2026-12-06, reason: "why it can wait"}"#)
        let hostile = RemedyWords(Self.item("it's\"; rm -rf ~", revert: true, adopt: false, byHand: "unenroll it"))
        #expect(hostile.revert == #"roomkeeper apply --target 'RoomGroup/it'\''s"; rm -rf ~'"#)
        #expect(hostile.adopt == nil && hostile.byHand == "unenroll it")
        #expect(hostile.snooze?.contains(#"target: "RoomGroup/it's\"; rm -rf ~""#) == true)
    }
}
