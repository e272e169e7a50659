import Foundation
import Manifests
import Reconciler
import Testing

@Suite("Saved plans")
struct SavedPlanTests {
    @Test("A saved plan is written as before: origins side by side, locations as strings; an older origin still reads")
    func wireFormat() throws {
        var plan = Plan(source: "https://git.example.com/rooms.git@main", portal: "https://portal.example.com")
        plan.origin = .git(GitOrigin(url: "https://git.example.com/rooms.git", commit: "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"))
        plan.findings = [
            Finding(
                .memberDisabled, severity: .warning, target: ObjectReference(kind: .manifest(.roleAssignment), name: "ops"), message: "m",
                remedy: "r",
                location: SourceLocation(file: "c:/rooms/ops.yaml", line: 4, column: 7))
        ]
        let text = try SavedPlan.encode(plan)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let origin = try #require(object["origin"] as? [String: Any])
        #expect(
            origin["url"] as? String == "https://git.example.com/rooms.git" && origin["ref"] as? String == "main" && origin["path"] as? String == "")
        #expect(((object["findings"] as? [[String: Any]])?.first?["location"] as? String) == "c:/rooms/ops.yaml:4:7")
        let read = try SavedPlan.decode(Data(text.utf8))
        #expect(read.origin == plan.origin && read.findings == plan.findings)

        plan.origin = .folder("examples/contoso")
        let folder = try SavedPlan.encode(plan)
        #expect(folder.contains(#""folder" : "examples/contoso""#))
        #expect(try SavedPlan.decode(Data(folder.utf8)).origin == .folder("examples/contoso"))

        // An origin written before ref and path were always recorded: main, at the root.
        let older = text.replacingOccurrences(of: #""path" : "","#, with: "").replacingOccurrences(of: #""ref" : "main","#, with: "")
        #expect(older != text)
        #expect(try SavedPlan.decode(Data(older.utf8)).origin?.git?.ref == "main")
    }

    @Test("A file that is not a plan, a plan of another format, or an id Roomkeeper never writes is refused with why")
    func refusals() throws {
        #expect(throws: SavedPlanError.notAPlan) { try SavedPlan.decode(Data("{}".utf8)) }
        let plan = try SavedPlan.encode(Plan(source: "s", portal: "p"))
        let future = plan.replacingOccurrences(of: #""formatVersion" : "\#(Plan.currentFormatVersion)""#, with: #""formatVersion" : "9.0""#)
        #expect(throws: SavedPlanError.otherFormat("9.0")) { try SavedPlan.decode(Data(future.utf8)) }
        #expect(SavedPlanError.otherFormat("9.0").message(path: "plan.json").contains("run plan again"))
    }
}
