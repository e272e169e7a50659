import Foundation
import TestSupport
import Testing

/// The README's walk-through against a tenant's directory: `roomkeeper graph serve` as the
/// tenant (a real process, the token endpoint and Graph on one loopback port), the embedded
/// portal for the portal-only kinds, and the commands with --graph.
@Suite("roomkeeper with --graph, end to end")
struct GraphCommandTests {
    static let tenantId = "8c3d2f1e-5a6b-4c7d-9e0f-1a2b3c4d5e6f"
    static let clientId = "2f9e8d7c-6b5a-4e3d-8c2b-1a0f9e8d7c6b"

    /// Starts the emulator with the Contoso directory and an app that signs in with `secret`,
    /// granted `grant` beyond the fixture's read permissions.
    private static func serve(_ workspace: Workspace, secret: String, grant: [String] = []) async throws -> (BackgroundProcess, [String: String]) {
        let secretFile = workspace.state.appendingPathComponent("app-secret")
        try secret.write(to: secretFile, atomically: true, encoding: .utf8)
        let server = try BackgroundProcess(
            Roomkeeper.executable,
            ["graph", "serve", "--listen", "127.0.0.1:0", "--client-id", clientId, "--client-secret-file", secretFile.path]
                + grant.flatMap { ["--grant", $0] },
            environment: workspace.environment)
        let line = try #require(try await server.line(containing: "listening on http://"), "no start line:\n\(server.printed)")
        let url = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") }).description
        let environment = [
            "AZURE_TENANT_ID": tenantId, "AZURE_CLIENT_ID": clientId, "AZURE_CLIENT_SECRET": secret, "AZURE_AUTHORITY_HOST": url,
            "ROOMKEEPER_GRAPH_ENDPOINT": url,
        ]
        return (server, environment)
    }

    @Test("validate and plan check members, rooms and room lists against the directory, with exact diagnostics")
    func directoryChecks() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let secret = "app-secret-\(UUID().uuidString)"
        let (server, graph) = try await Self.serve(workspace, secret: secret)
        defer { Task { _ = try? await server.terminate() } }

        let valid = try await workspace.run(["validate", "contoso", "--graph"], environment: graph)
        #expect(valid.status == 0, "\(valid.errors)")
        #expect(
            valid.output.contains(
                "rings/rings.yaml:20:9: warning: UpdateRing/early-sites: 1 room without a Teams Rooms Pro licence: conf-par-1b@contoso.com (basic)"))

        let plain = try await workspace.run(["plan", "contoso"])
        let checked = try await workspace.run(["plan", "contoso", "--graph"], environment: graph)
        #expect(checked.status == 2, "\(checked.errors)")
        #expect(checked.output.components(separatedBy: "\n").last { !$0.isEmpty } == plain.output.components(separatedBy: "\n").last { !$0.isEmpty })

        try workspace.edit("access/assignments.yaml") {
            $0.replacingOccurrences(
                of: "    - user: isaiah.langer@contoso.com\n    - group: sg-emea-facilities",
                with:
                    "    - user: isaiah.langer@contoso.com\n    - user: adele.vance@contoso.com\n    - group: sg-emea-facilities\n    - group: All Contoso"
            )
        }
        try workspace.edit("sites/paris.yaml") {
            $0.replacingOccurrences(of: "    - conf-par-1d@contoso.com\n", with: "    - conf-par-1d@contoso.com\n    - conf-lyo-1a@contoso.com\n")
                + "---\napiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata:\n  name: paris-all-rooms\nspec:\n  displayName: Paris\n  selector:\n    roomList: Berlin rooms\n"
        }
        let invalid = try await workspace.run(["validate", "contoso", "--graph"], environment: graph)
        #expect(invalid.status == 1)
        let expected = [
            "access/assignments.yaml:29:7: error: RoleAssignment/emea-site-leads: user adele.vance@contoso.com's account is disabled in the directory",
            "access/assignments.yaml:31:7: error: RoleAssignment/emea-site-leads: group All Contoso <all@contoso.com>",
            "sites/paris.yaml:16:7: error: RoomGroup/paris-floor-1: conf-lyo-1a@contoso.com is not a room mailbox in the tenant's directory",
            "sites/paris.yaml:53:15: error: RoomGroup/paris-all-rooms: the directory has no room list with the address or name 'Berlin rooms'",
        ]
        for line in expected { #expect(invalid.output.contains(line), "missing: \(line)\n\(invalid.output)") }
        #expect(invalid.output.contains("hint: remove the member, or enable the account first"))

        let refused = try await workspace.run(["plan", "contoso", "--graph"], environment: graph)
        #expect(refused.status == 1)
        #expect(refused.output.contains("user adele.vance@contoso.com's account is disabled in the directory"))
    }

    @Test("access names the Entra role holders Graph reports, and export writes a room group per room list")
    func accessAndExport() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (server, graph) = try await Self.serve(workspace, secret: "app-secret-\(UUID().uuidString)")
        defer { Task { _ = try? await server.terminate() } }
        #expect(try await workspace.run(["apply", "contoso", "--auto-approve", "--graph"], environment: graph).status == 0)

        let access = try await workspace.run(["access", "--graph", "--format", "markdown", "--user", "alex.wilber@contoso.com"], environment: graph)
        #expect(access.status == 0, "\(access.errors)")
        #expect(access.output.contains("| alex.wilber@contoso.com | Entra role Teams Administrator"), "\(access.output)")
        let lead = try await workspace.run(["access", "--graph", "--format", "json", "--user", "isaiah.langer@contoso.com"], environment: graph)
        #expect(lead.output.contains("emea-facilities@contoso.com"), "grants through sg-emea-facilities, whose members Graph lists")

        let out = workspace.state.appendingPathComponent("exported")
        let export = try await workspace.run(["export", "--graph", "--room-lists", "--out", out.path], environment: graph)
        #expect(export.status == 0, "\(export.errors)")
        let groups = try String(contentsOf: out.appendingPathComponent("room-groups.yaml"), encoding: .utf8)
        #expect(groups.contains("roomList: rooms-paris@contoso.com"))
        #expect(groups.contains("name: paris-rooms"))
        let replanned = try await workspace.run(["validate", out.path, "--graph"], environment: graph)
        #expect(replanned.status == 0, "\(replanned.output)")
    }

    @Test("A wrong secret fails with Entra's reason, naming tenant and client, and never shows the secret")
    func wrongSecret() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (server, started) = try await Self.serve(workspace, secret: "app-secret-\(UUID().uuidString)")
        defer { Task { _ = try? await server.terminate() } }
        var graph = started
        let wrong = "wrong-secret-\(UUID().uuidString)"
        graph["AZURE_CLIENT_SECRET"] = wrong
        let result = try await workspace.run(["plan", "contoso", "--graph"], environment: graph)
        #expect(result.status == 1)
        #expect(result.errors.contains("AADSTS7000215"), "\(result.errors)")
        #expect(result.errors.contains("tenant \(Self.tenantId)"))
        #expect(result.errors.contains("client \(Self.clientId)"))
        #expect(result.errors.contains("nothing was changed"))
        #expect(!(result.errors + result.output).contains(wrong))

        graph["AZURE_FEDERATED_TOKEN_FILE"] = "/var/run/secrets/token"
        let ambiguous = try await workspace.run(["validate", "contoso", "--graph"], environment: graph)
        #expect(ambiguous.status == 1)
        #expect(ambiguous.errors.contains("choose one way to sign in"))
    }

    @Test("With no portal API: plan is a checklist, apply walks a person through it, drift reports the portal as not observable")
    func withoutPortal() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let (server, started) = try await Self.serve(workspace, secret: "app-secret-\(UUID().uuidString)")
        defer { Task { _ = try? await server.terminate() } }
        var graph = started
        graph["ROOMKEEPER_PORTAL_URL"] = ""

        let validate = try await workspace.run(["validate", "contoso", "--graph"], environment: graph)
        #expect(validate.status == 0, "warnings only: \(validate.output)")
        #expect(validate.output.contains("sites/seattle-devices.yaml:28:9: warning: Device/sea-10b-compute: not registered"))
        #expect(validate.output.hasSuffix("policy from roomkeeper.yaml, 5 warnings\n"), "\(validate.output)")
        #expect(
            validate.output.contains(
                "warning: Device/rogue-0001: Windows Autopilot has unknown serial number ROGUE-0001 with the Teams Rooms group tag MTR-contoso"))

        let plan = try await workspace.run(["plan", "contoso", "--graph"], environment: graph)
        #expect(plan.status == 2, "\(plan.errors)")
        #expect(plan.output.contains("The Pro Management portal has no API for these: do them in the portal, in this order."))
        #expect(
            plan.output.contains(
                """
                 19. Assign Site Lead: EMEA site leads
                     Settings > Roles > Site Lead > Assignments > Add
                       Assignment name: EMEA site leads
                       E-mail notifications: On
                       Member (user): isaiah.langer@contoso.com
                       Member (security group): sg-emea-facilities
                       Scope (room group): London / All rooms
                       Scope (room group): Paris / All rooms
                       after step 3, 6
                """), "\(plan.output)")
        #expect(plan.output.contains("Rooms > Seattle 10A (conf-sea-10a@contoso.com) > Status > Enroll"))
        // What is real is checked for real in the same run: devices against Intune and Autopilot.
        #expect(
            plan.output.contains(
                "warning: Device/sea-10b-compute: not registered: neither Intune nor Windows Autopilot has dell serial number DLSEA10B1002"))
        #expect(plan.output.contains("its Autopilot group tag is 'Contoso-Kiosk', which does not start with MTR-"))
        #expect(
            plan.output.contains("Intune has MTR-SEA10C-HUB (microsoft corporation serial number MSSEA10C9001) signed in as conf-sea-10c@contoso.com")
        )
        #expect(plan.output.contains("note: Device/lon-3d-compute: offline: MTR-HPLON3D1004 last synced with Intune 400 hours ago"))
        #expect(plan.output.hasSuffix("Checklist: 100 steps in the portal.\n"))
        // Each main unit Autopilot has needs the resource account assigned, for Autologin.
        #expect(
            plan.output.contains(
                """
                 71. Assign conf-lon-3a@contoso.com to PCLON3A1001 for Autologin
                     Planning > Autopilot devices > PCLON3A1001 > Assign account
                       Resource account: conf-lon-3a@contoso.com
                """), "\(plan.output)")

        let ticket = try await workspace.run(["plan", "contoso", "--graph", "--format", "markdown"], environment: graph)
        #expect(
            ticket.output.contains("- [ ] **19. Assign Site Lead: EMEA site leads**: Settings &gt; Roles &gt; Site Lead &gt; Assignments &gt; Add"))

        let refused = try await workspace.run(["apply", "contoso", "--graph", "--auto-approve"], environment: graph)
        #expect(refused.status == 1)
        #expect(refused.errors.contains("the portal has no API, so its 100 checklist steps are for a person"))

        let walked = try await workspace.run(
            ["apply", "contoso", "--graph", "--walk-through", "--confirmed-by", "megan.bowen@contoso.com"], input: "y\ns\ny\nq\n",
            environment: graph)
        #expect(walked.status == 2)
        #expect(walked.output.contains("98 steps left: roomkeeper plan --graph lists them."))
        let replanned = try await workspace.run(["plan", "contoso", "--graph"], environment: graph)
        #expect(replanned.output.hasSuffix("Checklist: 98 steps in the portal (2 confirmed earlier).\n"))
        #expect(!replanned.output.contains("Create the update ring Early sites"), "confirmed steps are left out")
        #expect(replanned.output.contains("Create the update ring IT pilot"), "a skipped step stays")

        let drift = try await workspace.run(["drift", "contoso", "--graph", "--format", "json"], environment: graph)
        #expect(drift.status == 2, "the directory and devices need a person")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(drift.output.utf8)) as? [String: Any])
        #expect((report["items"] as? [Any])?.isEmpty == true, "nothing of the portal is reported missing or deleted")
        let unknown = try #require(report["notObservable"] as? [[String: Any]])
        #expect(unknown.contains { $0["kind"] as? String == "RoomGroup" && $0["declared"] as? Int == 12 })
        #expect(report["checklistStepsLeft"] as? Int == 98)
        let text = try await workspace.run(["drift", "contoso", "--graph"], environment: graph)
        #expect(text.output.contains("The portal has no API: only the tenant's directory and devices were compared with git."))

        // Everything done in the portal; then git takes a person's access away: the checklist
        // says to take it away in the portal, before anything else.
        let everything = try await workspace.run(
            ["apply", "contoso", "--graph", "--walk-through"], input: String(repeating: "y\n", count: 110), environment: graph)
        #expect(everything.output.contains("Every step is confirmed."), "\(everything.output.suffix(300))")
        try workspace.edit("access/assignments.yaml") { $0.replacingOccurrences(of: "    - user: isaiah.langer@contoso.com\n", with: "") }
        let removal = try await workspace.run(["plan", "contoso", "--graph"], environment: graph)
        #expect(
            removal.output.contains(
                """
                  1. Take away from the assignment EMEA site leads what git no longer lists
                     Settings > Roles > Site Lead > Assignments > EMEA site leads > Edit
                       Remove member (user): isaiah.langer@contoso.com
                """), "\(removal.output)")
        #expect(removal.output.contains("  2. Assign Site Lead: EMEA site leads"), "the assignment as git has it now")
    }

    @Test(
        "With devices.autopilotGroupTag, apply sets the Autopilot group tag through Graph; without the write permission the action fails and says why"
    )
    func groupTags() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try workspace.edit("roomkeeper.yaml") { $0 + "  devices:\n    autopilotGroupTag: MTR-contoso\n" }

        let (readOnly, readOnlyGraph) = try await Self.serve(workspace, secret: "app-secret-\(UUID().uuidString)")
        // Another profile's tag is replaced only where git confirms it on the device.
        let unconfirmed = try await workspace.run(["plan", "contoso", "--graph"], environment: readOnlyGraph)
        #expect(!unconfirmed.output.contains("setGroupTag"), "\(unconfirmed.output)")
        #expect(unconfirmed.output.contains("'Contoso-Kiosk', which belongs to another deployment profile"), "\(unconfirmed.output)")
        try workspace.edit("sites/paris-devices.yaml") {
            $0.replacingOccurrences(of: "name: par-2b-compute\nspec:\n", with: "name: par-2b-compute\nspec:\n  replacesGroupTag: Contoso-Kiosk\n")
        }
        let plan = try await workspace.run(["plan", "contoso", "--graph"], environment: readOnlyGraph)
        #expect(plan.status == 2)
        #expect(plan.output.contains("Device/par-2b-compute  setGroupTag"), "\(plan.output)")
        #expect(plan.output.contains(#"groupTag: "Contoso-Kiosk" -> "MTR-contoso""#))
        let refused = try await workspace.run(["apply", "contoso", "--graph", "--auto-approve"], environment: readOnlyGraph)
        #expect(refused.status == 1)
        #expect(refused.output.contains("Authorization_RequestDenied"), "\(refused.output)")
        _ = try await readOnly.terminate()

        let (server, graph) = try await Self.serve(
            workspace, secret: "app-secret-\(UUID().uuidString)", grant: ["DeviceManagementServiceConfig.ReadWrite.All"])
        defer { Task { _ = try? await server.terminate() } }
        let applied = try await workspace.run(["apply", "contoso", "--graph", "--auto-approve"], environment: graph)
        #expect(applied.status == 0, "\(applied.output)\n\(applied.errors)")
        let after = try await workspace.run(["plan", "contoso", "--graph"], environment: graph)
        #expect(!after.output.contains("setGroupTag"), "the tag is set: \(after.output)")
        #expect(!after.output.contains("Contoso-Kiosk"))
    }

    @Test("The embedded portal never combines with writes to the real Microsoft Graph: apply and self-heal refuse before any request")
    func emulatedPortalRealGraph() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let realTenant = [
            "AZURE_TENANT_ID": "7b6f1a2c-0d3e-4f5a-9b8c-1d2e3f4a5b6c", "AZURE_CLIENT_ID": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
            "AZURE_CLIENT_SECRET": "not-a-real-secret",
        ]
        let apply = try await workspace.run(["apply", "contoso", "--graph", "--auto-approve"], environment: realTenant)
        #expect(apply.status == 1)
        #expect(
            apply.errors.contains("the embedded portal is an emulator, and --graph reads the real tenant at https://graph.microsoft.com"),
            "\(apply.errors)")
        let controller = try await workspace.run(
            ["controller", "contoso", "--graph", "--self-heal", "--listen", "127.0.0.1:0"], environment: realTenant)
        #expect(controller.status == 1)
        #expect(controller.errors.contains("the embedded portal is an emulator"), "\(controller.errors)")
        #expect(!FileManager.default.fileExists(atPath: workspace.state.appendingPathComponent("embedded-portal.sqlite").path), "nothing was opened")
    }
}
