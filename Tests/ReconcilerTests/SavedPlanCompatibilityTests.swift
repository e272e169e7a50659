import Foundation
import Reconciler
import Testing

@Suite("Plans saved by the previous release")
struct SavedPlanCompatibilityTests {
    @Test("A 1.2 plan reads: its action ids, kinds and sentence blockers come back as types")
    func formatOneTwo() throws {
        let saved = #"""
            {"formatVersion": "1.2", "id": "0b1c", "source": "contoso", "portal": "embedded portal (x)",
             "createdAt": "2026-11-25T10:00:00Z", "findings": [], "unmanaged": [],
             "blockers": ["the plan deletes 6 objects; the deletion guard allows 5. Review the deletions, then run with --allow-mass-delete"],
             "actions": [{"id": "delete RoomGroup/lobby", "type": "delete", "target": {"kind": "RoomGroup", "name": "lobby", "portalId": "rg-1"},
                          "reason": "no longer declared", "changes": [], "fingerprint": "\"3\"", "dependsOn": [], "stage": 9}]}
            """#
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let plan = try decoder.decode(Plan.self, from: Data(saved.utf8))
        #expect(plan.actions.first?.id == ActionID(.delete, ObjectReference(kind: .manifest(.roomGroup), name: "lobby")))
        #expect(plan.actions.first?.target.kind == .manifest(.roomGroup))
        #expect(
            plan.blockers == [
                .recorded("the plan deletes 6 objects; the deletion guard allows 5. Review the deletions, then run with --allow-mass-delete")
            ])
        #expect(!plan.isApplyable)
    }
}
