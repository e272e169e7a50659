import Foundation
import PortalAPI
import TestSupport
import Testing

@Suite("roomkeeper apply, end to end")
struct ApplyCommandTests {
    @Test("Plans, asks, applies everything and converges: a second plan has no changes")
    func applyConverges() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let declined = try await workspace.run(["apply", "contoso"], input: "no\n")
        #expect(declined.status == 1)
        #expect(declined.output.contains("Only 'yes' is accepted."))
        #expect(declined.errors.contains("apply cancelled; nothing was applied"))
        #expect(try await workspace.run(["plan", "contoso"]).status == 2, "declining changed nothing")

        let applied = try await workspace.run(["apply", "contoso"], input: "yes\n")
        #expect(applied.status == 0, "\(applied.errors)")
        #expect(applied.output.contains("[31/31] done enroll Device/sea-10b-compute"))
        #expect(applied.output.contains("Apply complete: 31 actions done."))
        let lines = applied.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(lines.contains("done              31"))
        #expect(lines.contains("not attempted      0"))

        let plan = try await workspace.run(["plan", "contoso"])
        #expect(plan.status == 0)
        #expect(plan.output.contains("Plan: no changes."))
        let again = try await workspace.run(["apply", "contoso", "--auto-approve"])
        #expect(again.status == 0)
        #expect(!again.output.contains("Apply complete"), "nothing to do, nothing done")
    }

    @Test("Invalid manifests apply nothing: every diagnostic is listed and no portal is opened")
    func invalidManifests() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try FileManager.default.copyItem(at: examples("invalid"), to: workspace.state.appendingPathComponent("invalid"))
        let result = try await workspace.run(["apply", "invalid", "--auto-approve"])
        #expect(result.status == 1)
        #expect(result.errors.contains("shapes/unknown-fields.yaml:8:3: error: unknown field 'roms' in RoomGroup spec"))
        #expect(result.errors.contains("invalid: 69 errors; nothing was applied"))
        #expect(!FileManager.default.fileExists(atPath: workspace.state.appendingPathComponent("embedded-portal.sqlite").path))
    }

    @Test("A saved plan applies as reviewed, and is refused once the manifests or a touched object changed")
    func savedPlans() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        #expect(try await workspace.run(["plan", "contoso", "--out", "first.json"]).status == 2)
        #expect(try await workspace.run(["plan", "contoso", "--out", "second.json"]).status == 2)

        try workspace.edit("sites/london.yaml") { $0.replacingOccurrences(of: "London / Floor 3", with: "London, third floor") }
        let edited = try await workspace.run(["apply", "first.json"])
        #expect(edited.status == 1)
        #expect(edited.errors.contains("the manifests in contoso changed since the plan was made"))
        #expect(edited.errors.contains("Nothing was applied"))
        try workspace.edit("sites/london.yaml") { $0.replacingOccurrences(of: "London, third floor", with: "London / Floor 3") }

        let applied = try await workspace.run(["apply", "first.json"])
        #expect(applied.status == 0, "\(applied.errors)")
        #expect(applied.output.contains("Apply complete: 31 actions done."))
        #expect(!applied.output.contains("Only 'yes'"), "a saved plan was reviewed already")
        // Its first line says which plan goes to which portal.
        #expect(applied.output.hasPrefix("Roomkeeper apply of the plan saved in first.json for contoso, made "), "\(applied.output.prefix(200))")
        #expect(
            applied.output.split(separator: "\n").first?.hasSuffix(
                "to the embedded portal (\(workspace.state.path)/embedded-portal.sqlite)") == true)

        let stale = try await workspace.run(["apply", "second.json"])
        #expect(stale.status == 1)
        #expect(stale.errors.contains("roomkeeper: error: RoomGroup/london-floor-3 now exists in the portal; the plan would create it again"))
        #expect(stale.errors.contains("the saved plan is stale: 31 objects it touches changed"))
    }

    @Test("The deletion guard refuses a mass delete until --allow-mass-delete")
    func deletionGuard() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        #expect(try await workspace.run(["apply", "contoso", "--auto-approve"]).status == 0)
        try workspace.edit("roomkeeper.yaml") { $0.replacingOccurrences(of: "maxDeletes: 5", with: "maxDeletes: 0") }
        try workspace.edit("sites/london.yaml") {
            $0.replacingOccurrences(of: "name: london-floor-3", with: "name: london-level-3")
                .replacingOccurrences(of: "London / Floor 3", with: "London / Level 3")
        }

        let refused = try await workspace.run(["apply", "contoso", "--auto-approve"])
        #expect(refused.status == 1)
        #expect(refused.output.contains("Refused: the plan deletes 1 objects; the deletion guard allows 0."))
        #expect(refused.errors.contains("the plan must not be applied as it is"))

        let forced = try await workspace.run(["apply", "contoso", "--auto-approve", "--allow-mass-delete"])
        #expect(forced.status == 0, "\(forced.errors)")
        #expect(forced.output.contains("done delete RoomGroup/london-floor-3"))
        #expect(forced.output.contains("done create RoomGroup/london-level-3"))
    }

    @Test("While another reconciler holds the lease, apply names it and changes nothing")
    func leaseHeld() async throws {
        let portal = try await RunningPortal.start(seed: TestTenant.seed(), tokens: TestTenant.tokens)
        let workspace = try Workspace()
        defer { workspace.remove() }
        let token = TestTenant.tokens[TestTenant.administrator] ?? ""
        _ = try await portal.client(token: token).acquireLease(
            "reconciler", LeaseRequest(holder: "ci-runner-7", durationSeconds: 600, secret: "secret-of-ci-runner-7"))
        let result = try await workspace.run(
            ["apply", "contoso", "--auto-approve", "--portal", portal.url], environment: ["ROOMKEEPER_TOKEN": token])
        let audit = try await portal.service.store.audit(after: 0, limit: 10_000)
        await portal.stopAndRemove()
        #expect(result.status == 1)
        #expect(result.errors.contains("another reconciler is at work: the reconciler lease is held by ci-runner-7 since"))
        #expect(result.errors.contains("nothing was applied"))
        #expect(!audit.contains { $0.actor == TestTenant.administrator }, "no write reached the portal")
        #expect(!result.output.contains(token) && !result.errors.contains(token))
    }

    @Test("An apply cut off before its end is reported by the next one")
    func interruptedRunIsReported() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let journals = workspace.state.appendingPathComponent("journal")
        try FileManager.default.createDirectory(at: journals, withIntermediateDirectories: true)
        try """
        {"event":"started","plan":"p-cut","time":"2026-11-25T09:00:00Z"}
        {"action":"create RoomGroup/london-floor-3","event":"intended","plan":"p-cut","time":"2026-11-25T09:00:01Z"}
        {"action":"create RoomGroup/paris-al
        """.write(to: journals.appendingPathComponent("p-cut.jsonl"), atomically: true, encoding: .utf8)
        let result = try await workspace.run(["apply", "contoso", "--auto-approve"])
        #expect(result.status == 0, "\(result.errors)")
        #expect(
            result.errors.contains(
                "note: an earlier apply (plan p-cut) was cut off after 0 confirmed actions; 1 were sent without an answer (create RoomGroup/london-floor-3)"
            ))
        let next = try await workspace.run(["apply", "contoso", "--auto-approve"])
        #expect(!next.errors.contains("p-cut"), "reported once")
    }
}
