import Reconciler
import Reports
import Testing

@Suite("Plans as Markdown, for pull request comments")
struct PlanMarkdownTests {
    private func plan(actions: [PlannedAction], findings: [Finding] = []) -> Plan {
        Plan(source: "tenants/contoso", sourceRevision: "sha256:abc", portal: "https://portal.example.net", actions: actions, findings: findings)
    }

    @Test("Summary, a row per action with its changes, and what needs a person")
    func layout() {
        let markdown = PlanRenderer.markdown(
            plan(
                actions: [
                    PlannedAction(
                        type: .create, target: ObjectReference(kind: .manifest(.roomGroup), name: "london-floor-3"), reason: "",
                        changes: [FieldChange(field: "rooms", added: ["a@contoso.com"])]),
                    PlannedAction(
                        type: .update, target: ObjectReference(kind: .manifest(.role), name: "av"), reason: "",
                        changes: [FieldChange(field: "displayName", before: "AV", after: "AV engineers")]),
                ],
                findings: [
                    Finding(
                        severity: .warning, target: ObjectReference(kind: .manifest(.device), name: "d"), message: "missing", remedy: "install it")
                ]))
        let lines = markdown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first == "### Roomkeeper plan")
        #expect(lines.contains("**Plan: 1 to create, 1 to update.**"))
        #expect(lines.contains("| + | `RoomGroup/london-floor-3` | create | rooms: +a@contoso.com |"))
        #expect(lines.contains("| ~ | `Role/av` | update | displayName: AV → AV engineers |"))
        #expect(lines.contains("<details><summary>Needs a person (1)</summary>"))
        #expect(lines.contains("- **warning** `Device/d`: missing<br>install it"))
    }

    @Test("Hostile strings from manifests or the portal cannot inject markup, HTML or table cells")
    func escaping() {
        let hostile = "<img src=x onerror=alert(1)> | [click](http://evil) **bold** `code`\n# heading"
        let markdown = PlanRenderer.markdown(
            plan(actions: [
                PlannedAction(
                    type: .update, target: ObjectReference(kind: .manifest(.roomGroup), name: "g`|x"), reason: "",
                    changes: [FieldChange(field: "description", before: nil, after: hostile)])
            ]))
        #expect(!markdown.contains("<img"))
        #expect(!markdown.contains("[click](http"))
        #expect(!markdown.contains("**bold**"))
        #expect(markdown.contains("&lt;img src=x onerror=alert\\(1\\)&gt; \\| \\[click\\]\\(http&#8203;://evil\\) \\*\\*bold\\*\\*"))
        #expect(markdown.contains("`RoomGroup/g'/x`"))
        let row = markdown.split(separator: "\n").first { $0.hasPrefix("| ~ |") }
        #expect(row?.filter { $0 == "|" }.count == 5 + 1, "the escaped pipe adds no cell")
    }

    @Test("Display names neither ping people nor become links: @mentions and autolinks are broken, e-mail addresses kept whole")
    func mentionsAndAutolinks() {
        let hostile = "@contoso/security-team please approve https://evil.example/login or www.evil.example (cc @admin)"
        let markdown = PlanRenderer.markdown(
            plan(actions: [
                PlannedAction(
                    type: .update, target: ObjectReference(kind: .manifest(.roomGroup), name: "g"), reason: "",
                    changes: [FieldChange(field: "displayName", before: "conf-lon-3a@contoso.com", after: hostile)])
            ]))
        #expect(!markdown.contains("@contoso/security-team") && !markdown.contains("@admin"), "\(markdown)")
        #expect(markdown.contains("@&#8203;contoso/security-team") && markdown.contains("@&#8203;admin"))
        #expect(!markdown.contains("https://") && markdown.contains("https&#8203;://evil.example/login"))
        #expect(!markdown.lowercased().contains("www.") && markdown.contains("www&#8203;.evil.example"))
        #expect(markdown.contains("conf-lon-3a@contoso.com"), "an address is no mention: \(markdown)")
    }

    @Test("A very large plan lists the first actions and says how many more there are")
    func truncation() {
        let actions = (0..<(PlanRenderer.markdownActionLimit + 7)).map {
            PlannedAction(type: .create, target: ObjectReference(kind: .manifest(.roomGroup), name: "g\($0)"), reason: "")
        }
        let markdown = PlanRenderer.markdown(plan(actions: actions))
        #expect(markdown.split(separator: "\n").filter { $0.hasPrefix("| + |") }.count == PlanRenderer.markdownActionLimit)
        #expect(markdown.contains("…and 7 more actions"))
    }
}
