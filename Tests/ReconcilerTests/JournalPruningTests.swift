import Foundation
import PortalAPI
import Reconciler
import StateStore
import TestSupport
import Testing

@Suite("Apply journals on disk")
struct JournalPruningTests {
    @Test("Finished journals beyond the newest 100 are pruned; unfinished ones stay for review")
    func pruning() async throws {
        let folder = try temporaryFolder("roomkeeper-journals")
        defer { try? FileManager.default.removeItem(at: folder) }
        for index in 0..<120 {
            let journal = try ApplyJournal(folder: folder, planId: String(format: "plan-%03d", index))
            await journal.record(.started, detail: "1 actions against the test portal")
            if index != 3 { await journal.record(.finished, detail: "done") }
        }
        _ = try ApplyJournal(folder: folder, planId: "plan-new")
        let kept = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(kept.count <= ApplyJournal.kept + 2, "\(kept.count) journals kept")
        #expect(kept.contains("plan-003.jsonl"), "the unfinished journal is kept until an apply reviews it")
        #expect(kept.contains("plan-new.jsonl"))
        #expect(ApplyJournal.interrupted(in: folder).map(\.planId).contains("plan-003"))
    }

    @Test("A plan id that could name a path opens no journal")
    func pathIds() throws {
        let folder = try temporaryFolder("roomkeeper-journals")
        defer { try? FileManager.default.removeItem(at: folder) }
        for id in ["../escape", "a/b", "", ".hidden", String(repeating: "a", count: 65)] {
            #expect(throws: (any Error).self) { _ = try ApplyJournal(folder: folder, planId: id) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test("A lease holder's control characters are escaped wherever the holder is named")
    func holderEscaped() {
        let held = LeaseHeldError(lease: Lease(holder: "ci\u{1B}[2J\u{07}runner", acquired: Date(), expires: Date()))
        #expect(!held.description.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(held.description.contains("ci\\u{1B}[2J\\u{7}runner"))
    }
}
