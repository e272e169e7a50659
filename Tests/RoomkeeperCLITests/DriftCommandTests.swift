import Foundation
import PortalAPI
import PortalEmulator
import TestSupport
import Testing

@Suite("roomkeeper drift and export, end to end")
struct DriftCommandTests {
    /// Edits the workspace's embedded portal as a person would in the portal: as Megan Bowen.
    static func asPerson(_ workspace: Workspace) async throws -> EmbeddedPortal {
        let path = workspace.state.appendingPathComponent("embedded-portal.sqlite").path
        return EmbeddedPortal(service: PortalService(store: try PortalStore(path: path)), databasePath: path, actingAs: "megan.bowen@contoso.com")
    }

    /// Applies examples/contoso, then renames the London floor 3 group in the portal as a person
    /// would; returns that person's view of the portal.
    @discardableResult
    private static func applyThenRenameByHand(_ workspace: Workspace, to name: String) async throws -> EmbeddedPortal {
        #expect(try await workspace.run(["apply", "contoso", "--auto-approve"]).status == 0)
        let megan = try await asPerson(workspace)
        let group = try #require(try await megan.roomGroupsBesidesDefault().first { $0.resource.manifestName == "london-floor-3" })
        var edited = group.resource
        edited.displayName = name
        _ = try await megan.replace(edited, ifMatch: group.etag)
        return megan
    }

    private static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    /// Snoozes, in the exported repository, the second main unit the example tenant has in one
    /// room (which export cannot declare), so that the repository is in sync with the portal.
    private static func snoozeSecondUnit(_ workspace: Workspace) throws {
        let policy = workspace.state.appendingPathComponent("exported/roomkeeper.yaml")
        let text = try String(contentsOf: policy, encoding: .utf8)
        try text.replacingOccurrences(
            of: "spec: {}",
            with: "spec:\n  snooze:\n    - {target: \"Device/PCSIN7A1001\", until: 2099-12-31, reason: \"a second main unit, on site next week\"}"
        )
        .write(to: policy, atomically: true, encoding: .utf8)
    }

    @Test("Exit 2 with drift, 0 in sync, 1 on error; the JSON report is versioned and names each item's cause")
    func exitCodesAndJSON() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let before = try await workspace.run(["drift", "contoso", "--format", "json"])
        #expect(before.status == 2, "\(before.errors)")
        let report = try Self.json(before.output)
        #expect(report["formatVersion"] as? String == "1.3")
        let items = try #require(report["items"] as? [[String: Any]])
        let role = try #require(items.first { ($0["target"] as? [String: Any])?["name"] as? String == "helpdesk" })
        #expect(role["state"] as? String == "missing")
        #expect(role["cause"] as? String == "convergence")
        #expect((role["fingerprint"] as? String)?.count == 16)
        // For a scheduler that fails on any status but 0, found drift can exit 0; 1 stays an error.
        let forJob = try await workspace.run(["drift", "contoso", "--drift-exit-code", "0"])
        #expect(forJob.status == 0 && forJob.output.contains("missing"), "\(forJob.errors)")
        #expect(try await workspace.run(["drift", "contoso", "--drift-exit-code", "1"]).errors.contains("must be 0 or 2"))

        #expect(try await workspace.run(["apply", "contoso", "--auto-approve"]).status == 0)
        // Export what the portal holds now: the exported repository matches it, but for the one
        // device export could not declare, a second main unit reporting from one room. That is
        // never silent.
        let exported = try await workspace.run(["export", "--out", "exported"])
        #expect(exported.status == 0, "\(exported.errors)")
        #expect(exported.output.contains("Exported 94 objects"))
        #expect(exported.errors.contains("Device/PCSIN7A1001: not exported: reports from conf-sin-7b@contoso.com, whose main unit is DLSIN7B1002"))
        let second = try await workspace.run(["drift", "exported", "--format", "json"])
        #expect(second.status == 2, "\(second.output)\(second.errors)")
        let secondItems = try #require(try Self.json(second.output)["items"] as? [[String: Any]])
        #expect(secondItems.count == 1)
        #expect(
            (secondItems.first?["explanation"] as? String)?.hasPrefix("a second main unit in conf-sin-7b@contoso.com, teamsRoom PCSIN7A1001") == true,
            "\(secondItems)")
        try Self.snoozeSecondUnit(workspace)
        let inSync = try await workspace.run(["drift", "exported"])
        #expect(inSync.status == 0, "\(inSync.output)\(inSync.errors)")
        #expect(inSync.output.contains("In sync. The portal matches git."))

        let invalid = try await workspace.run(["drift", "missing-folder"])
        #expect(invalid.status == 1)
        // A portal nobody listens for fails the check after a few bounded retries, not minutes later.
        // Its retries show at the default level, info; as JSON, numbers stay numbers.
        let unreachable = try await workspace.run(
            ["drift", "contoso", "--portal", "http://127.0.0.1:\(try freeLoopbackPort())", "--log-format", "json"],
            environment: ["ROOMKEEPER_TOKEN": "t"])
        #expect(unreachable.status == 1)
        #expect(unreachable.errors.contains("could not reach the portal"))
        let logLines = unreachable.errors.split(separator: "\n").compactMap { try? Self.json(String($0)) }
        let retry = try #require(logLines.first { $0["message"] as? String == "Retrying a portal request" }, "\(unreachable.errors)")
        #expect(retry["attempt"] is Int && retry["waitSeconds"] is NSNumber && retry["level"] as? String == "info", "\(retry)")
        let quiet = try await workspace.run(
            ["drift", "contoso", "--portal", "http://127.0.0.1:\(try freeLoopbackPort())", "--log-level", "warning"],
            environment: ["ROOMKEEPER_TOKEN": "t"])
        #expect(quiet.status == 1 && !quiet.errors.contains("Retrying"), "\(quiet.errors)")
        try await RunningPortal.with(seed: TestTenant.seed(), tokens: TestTenant.tokens) { portal in
            let refused = try await workspace.run(["drift", "contoso", "--portal", portal.url], environment: ["ROOMKEEPER_TOKEN": "wrong"])
            #expect(refused.status == 1)
            #expect(refused.errors.contains("cannot read the portal at \(portal.url)"))
            #expect(!refused.errors.contains("wrong"), "the token is never printed")
        }
    }

    @Test("A person's edit in the portal is reported as manual with the field's before and after; apply heals it")
    func handEditIsReportedAndHealed() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await Self.applyThenRenameByHand(workspace, to: "London floor 3 (renamed by hand)")

        let drift = try await workspace.run(["drift", "contoso"])
        #expect(drift.status == 2)
        #expect(drift.output.contains("~ RoomGroup/london-floor-3  changed  [manual]"))
        #expect(drift.output.contains("changed in the portal by megan.bowen@contoso.com"))
        #expect(drift.output.contains("displayName: \"London floor 3 (renamed by hand)\" -> \"London / Floor 3\""))
        #expect(drift.output.contains("revert: roomkeeper apply --target 'RoomGroup/london-floor-3'"))

        // A target that names no kind is refused before anything is read, with the kinds there are.
        let misspelt = try await workspace.run(["apply", "contoso", "--auto-approve", "--target", "RoomGroups/london-floor-3"])
        #expect(misspelt.status == 64 && misspelt.errors.contains("is not KIND/NAME; KIND is one of RoomGroup, Role"), "\(misspelt.errors)")
        let healed = try await workspace.run(["apply", "contoso", "--auto-approve", "--target", "RoomGroup/london-floor-3"])
        #expect(healed.status == 0, "\(healed.errors)")
        let after = try await workspace.run(["drift", "contoso", "--format", "json"])
        let items = try #require(try Self.json(after.output)["items"] as? [[String: Any]])
        #expect(!items.contains { ($0["target"] as? [String: Any])?["name"] as? String == "london-floor-3" })

        // A person deletes a managed group: the audit log names them, so it is their edit, not
        // git waiting to be applied.
        let megan = try await Self.asPerson(workspace)
        let group = try #require(try await megan.roomGroupsBesidesDefault().first { $0.resource.manifestName == "london-floor-5" })
        try await megan.delete(PortalRoomGroup.self, id: group.resource.id, ifMatch: group.etag)
        let deleted = try await workspace.run(["drift", "contoso", "--format", "json"])
        let deletedItems = try #require(try Self.json(deleted.output)["items"] as? [[String: Any]])
        let missing = try #require(deletedItems.first { ($0["target"] as? [String: Any])?["name"] as? String == "london-floor-5" })
        #expect(missing["state"] as? String == "missing" && missing["cause"] as? String == "manual", "\(missing)")
        #expect(missing["changedBy"] as? String == "megan.bowen@contoso.com")
        #expect((missing["explanation"] as? String)?.hasPrefix("deleted in the portal by megan.bowen@contoso.com on ") == true)
        #expect(try await workspace.run(["apply", "contoso", "--auto-approve"]).status == 0, "apply creates it again")
    }

    @Test("The HTML report is one well-formed page that escapes hostile strings from the portal")
    func htmlEscapesHostileStrings() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let hostile = "<script>alert('x')</script> \"><img src=x onerror=alert(1)> & ]]> <!-- |"
        // The display name, since an ignore rule leaves this group's description to people.
        let megan = try await Self.applyThenRenameByHand(workspace, to: hostile)
        _ = try await megan.create(
            PortalRoomGroup(id: "", displayName: "</code></td><script>evil()</script>", roomIds: []), idempotencyKey: nil)

        let result = try await workspace.run(["drift", "contoso", "--format", "html", "--out", "report.html"])
        #expect(result.status == 2)
        let page = try String(contentsOf: workspace.state.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(page == result.output, "--out writes the format its extension names")
        #expect(!page.contains("<script"))
        #expect(!page.contains("<img"))
        #expect(!page.contains("src=\"") && !page.contains("url("), "no external assets")
        #expect(page.components(separatedBy: "href=\"").dropFirst().allSatisfy { $0.hasPrefix("#") }, "links only within the page")
        // A strict XML parser reads the page, and finds the hostile text as text.
        let check = try await runPython(
            """
            import sys, xml.dom.minidom
            dom = xml.dom.minidom.parse(sys.argv[1])
            assert not dom.getElementsByTagName("script"), "a script element"
            assert not dom.getElementsByTagName("img"), "an img element"
            assert not dom.getElementsByTagName("link"), "an external stylesheet"
            print("ok")
            """, [workspace.state.appendingPathComponent("report.html").path])
        #expect(check.status == 0, "\(check.errors)")
        #expect(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt; &amp; ]]&gt; &lt;!-- |"))
        #expect(page.contains("&lt;/code&gt;&lt;/td&gt;&lt;script&gt;evil()&lt;/script&gt;"), "unmanaged names are escaped too")

        let markdown = try await workspace.run(["drift", "contoso", "--format", "markdown"])
        #expect(!markdown.output.contains("<script"))
        #expect(!markdown.output.contains("<img"))
    }

    @Test("Notifications reach the webhook once when drift appears and once when it clears, retried through a 503")
    func notificationsOncePerChange() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let receiver = try await WebhookReceiver.start(failures: 1)
        defer { Task { await receiver.stop() } }
        #expect(try await workspace.run(["apply", "contoso", "--auto-approve"]).status == 0)
        #expect(try await workspace.run(["export", "--out", "exported"]).status == 0)
        try Self.snoozeSecondUnit(workspace)
        let notify = ["--history", "drift.jsonl"]
        let environment = ["ROOMKEEPER_NOTIFY_URL": receiver.url]

        // In sync, with no earlier message: nothing to say.
        #expect(try await workspace.run(["drift", "exported"] + notify, environment: environment).status == 0)
        #expect(receiver.attempts == 0)

        // Drift appears (the contoso repository does not declare the rogue device): one message, after one 503.
        let appeared = try await workspace.run(["drift", "contoso"] + notify, environment: environment)
        #expect(appeared.status == 2)
        #expect(appeared.errors.contains("notified http://127.0.0.1:"), "\(appeared.errors)")
        #expect(!appeared.errors.contains("/hooks/drift"), "the URL's path may hold a secret and is not shown")
        #expect(receiver.received.count == 1)
        #expect(receiver.attempts == 2)
        let message = try Self.json(try #require(receiver.received.first))
        #expect((message["notification"] as? [String: Any])?["event"] as? String == "appeared")
        #expect((message["notification"] as? [String: Any])?["appeared"] as? [String] == ["Device/ROGUE-0001"])
        #expect((message["report"] as? [String: Any])?["formatVersion"] as? String == "1.3")

        // The same drift again: no message.
        #expect(try await workspace.run(["drift", "contoso"] + notify, environment: environment).status == 2)
        #expect(receiver.received.count == 1)

        // It clears: one message, as a Teams card this time.
        let cleared = try await workspace.run(["drift", "exported", "--notify-format", "teams"] + notify, environment: environment)
        #expect(cleared.status == 0)
        #expect(receiver.received.count == 2)
        let card = try Self.json(receiver.received[1])
        #expect(card["type"] as? String == "message")
        let attachment = try #require((card["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        #expect(receiver.received[1].contains("Drift cleared"))

        // Each check left a line in the history.
        let history = try String(contentsOf: workspace.state.appendingPathComponent("drift.jsonl"), encoding: .utf8)
        #expect(history.split(separator: "\n").count == 4)
    }

    @Test("A webhook that keeps failing makes the check exit 1, and the next check tries again")
    func failedNotificationIsRetriedNextTime() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let receiver = try await WebhookReceiver.start(failures: 100)
        defer { Task { await receiver.stop() } }
        let environment = ["ROOMKEEPER_NOTIFY_URL": receiver.url]
        let first = try await workspace.run(["drift", "contoso", "--history", "drift.jsonl"], environment: environment)
        #expect(first.status == 1)
        #expect(first.errors.contains("the drift notification was not delivered"))
        #expect(first.errors.contains("answered 503"))
        let attempts = receiver.attempts
        #expect(attempts == 4, "bounded retries")
        _ = try await workspace.run(["drift", "contoso", "--history", "drift.jsonl"], environment: environment)
        #expect(receiver.attempts == attempts * 2, "undelivered, so the next check sends again")
    }

    @Test("Export writes one file per kind in a stable order, refuses to overwrite, and --select picks objects")
    func exportFiles() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        #expect(try await workspace.run(["apply", "contoso", "--auto-approve"]).status == 0)
        #expect(try await workspace.run(["export", "--out", "one"]).status == 0)
        #expect(try await workspace.run(["export", "--out", "two"]).status == 0)
        let one = workspace.state.appendingPathComponent("one")
        let files = try FileManager.default.contentsOfDirectory(atPath: one.path).sorted()
        #expect(files == ["devices.yaml", "role-assignments.yaml", "roles.yaml", "room-groups.yaml", "roomkeeper.yaml", "update-rings.yaml"])
        for file in files {
            let first = try String(contentsOf: one.appendingPathComponent(file), encoding: .utf8)
            let second = try String(contentsOf: workspace.state.appendingPathComponent("two/\(file)"), encoding: .utf8)
            #expect(first == second, "\(file) is written the same way every time")
        }
        #expect(try await workspace.run(["validate", "one"]).status == 0)
        let plan = try await workspace.run(["plan", "one"])
        #expect(plan.status == 0, "\(plan.output)")

        let again = try await workspace.run(["export", "--out", "one"])
        #expect(again.status == 1)
        #expect(again.errors.contains("pass --force to overwrite"))

        let adopted = try await workspace.run(["export", "--out", "adopted", "--select", "Device/ROGUE-0001"])
        #expect(adopted.status == 0, "\(adopted.errors)")
        let device = try String(contentsOf: workspace.state.appendingPathComponent("adopted/devices.yaml"), encoding: .utf8)
        #expect(device.contains("name: rogue-0001"))
        #expect(device.contains("serialNumber: ROGUE-0001"))
        #expect(!FileManager.default.fileExists(atPath: workspace.state.appendingPathComponent("adopted/roomkeeper.yaml").path))
        let nothing = try await workspace.run(["export", "--out", "none", "--select", "RoomGroup/no-such-group"])
        #expect(nothing.status == 1)
    }

    @Test("Exporting a tenant nobody manages yet gives manifests a plan only adopts, with no field changes")
    func exportBootstrapsFromHandMadeObjects() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let megan = try await Self.asPerson(workspace)
        // The embedded portal is created on first use; a plan creates it.
        _ = try await workspace.run(["plan", "contoso"])
        _ = try await megan.create(PortalRoomGroup(id: "", displayName: "Lobby screens", roomIds: ["conf-lon-3a@contoso.com"]), idempotencyKey: nil)
        #expect(try await workspace.run(["export", "--out", "bootstrap"]).status == 0)
        let policy = try String(contentsOf: workspace.state.appendingPathComponent("bootstrap/roomkeeper.yaml"), encoding: .utf8)
        #expect(policy.contains("roomGroups: true"))
        let groups = try String(contentsOf: workspace.state.appendingPathComponent("bootstrap/room-groups.yaml"), encoding: .utf8)
        #expect(groups.contains("name: lobby-screens"))
        let plan = try await workspace.run(["plan", "bootstrap", "--format", "json"])
        let actions = try #require(try Self.json(plan.output)["actions"] as? [[String: Any]])
        #expect(!actions.isEmpty)
        for action in actions where action["type"] as? String == "update" {
            let fields = (action["changes"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(fields == ["managedBy"], "only ownership changes: \(action["target"] ?? "")")
        }
    }

    @Test("Adopting into git rewrites only the declaring document, adds undeclared objects, and clears the drift")
    func adoptIntoGit() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        try await Self.applyThenRenameByHand(workspace, to: "London 3 (kept)")
        let london = workspace.repository.appendingPathComponent("sites/london.yaml")
        let before = try String(contentsOf: london, encoding: .utf8)

        let invalid = try await workspace.run(["export", "--select", "RoomGroup/london-floor-3", "--into", "contoso", "--out", "x"])
        #expect(invalid.status != 0, "--into and --out together are refused")
        let adopted = try await workspace.run(
            ["export", "--select", "RoomGroup/london-floor-3", "--select", "Device/ROGUE-0001", "--into", "contoso"])
        #expect(adopted.status == 0, "\(adopted.errors)")
        #expect(adopted.output.contains("sites/london.yaml, adopted.yaml"))

        let after = try String(contentsOf: london, encoding: .utf8)
        #expect(after.contains("displayName: London 3 (kept)"))
        #expect(after.hasPrefix("# Room groups for London."), "the file's opening comment stays")
        // Every other document of the file is untouched, byte for byte.
        let otherBefore = before.components(separatedBy: "\n---").dropFirst()
        let otherAfter = after.components(separatedBy: "\n---").dropFirst()
        #expect(Array(otherBefore) == Array(otherAfter))
        #expect(
            try String(contentsOf: workspace.repository.appendingPathComponent("adopted.yaml"), encoding: .utf8).contains("serialNumber: ROGUE-0001"))

        #expect(try await workspace.run(["validate", "contoso"]).status == 0)
        let drift = try await workspace.run(["drift", "contoso", "--format", "json"])
        #expect(drift.status == 0, "git now says what the portal holds: \(drift.output.prefix(600))")

        // A repository that does not load is not adopted into: its errors are shown, nothing is written.
        try "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: broken}\nspec: {displayName: 7: 8}\n"
            .write(to: workspace.repository.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        let adoptedBefore = try String(contentsOf: workspace.repository.appendingPathComponent("adopted.yaml"), encoding: .utf8)
        let refused = try await workspace.run(["export", "--select", "Device/ROGUE-0001", "--into", "contoso"])
        #expect(refused.status == 1 && refused.errors.contains("broken.yaml:") && refused.errors.contains("nothing was adopted"), "\(refused.errors)")
        #expect(try String(contentsOf: workspace.repository.appendingPathComponent("adopted.yaml"), encoding: .utf8) == adoptedBefore)
    }
}
