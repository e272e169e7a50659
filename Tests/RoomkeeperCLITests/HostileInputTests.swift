import Foundation
import TestSupport
import Testing

/// A corpus of malformed and malicious manifests, each run through the real command line: every
/// broken one must end in a precise diagnostic and exit 1 without opening the portal; every
/// valid one carrying hostile text must come out escaped in Markdown and HTML reports. None may
/// crash or hang.
@Suite("Hostile and broken input")
struct HostileInputTests {
    struct Case: Sendable {
        var name: String
        var files: [String: [UInt8]]
    }

    private static func group(name: String = "lobby", displayName: String = "Lobby", extra: String = "") -> String {
        """
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: \(name)}
        spec:
          displayName: \(displayName)
          rooms: [conf-lon-3a@contoso.com]
        \(extra)
        """
    }

    private static func text(_ name: String, _ yaml: String) -> Case { Case(name: name, files: ["broken.yaml": Array(yaml.utf8)]) }

    /// Manifests that must be refused, by category; at least 100 in all.
    static func brokenCorpus() -> [Case] {
        var corpus: [Case] = []
        // Syntax.
        let syntax = [
            "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: lobby\n", "spec: [unclosed", "a: b: c", "key: 'unterminated",
            "key: \"unterminated", "- a\nb: c", "a:\n  - b\n - c", "a:\n\tb: c", "{a: 1, a: 2}", "? complex\n: key\n? complex\n: again",
            "a: *undefined", "a: &x\n  b: *x", "%YAML 9.9\n---\na: b", "a: !!binary AAAA", "a: !custom x", "<<: {a: b}", "--- |\n  text\n ...bad",
            "[[[[[[", "}}}}", "a: [1, 2,, 3]", "\u{FEFF}\u{FEFF}a: b", ":", "- - - -\n  - x: [", "a: >\n b\nc",
            "a: 'it''s' extra", "*alias", "a: b\n---\n[", "'", "@reserved", "`backtick", "a: b\n  c: d",
        ]
        for (index, yaml) in syntax.enumerated() { corpus.append(text("syntax-\(index)", yaml)) }
        // Wrong types and shapes, field by field.
        let shapes = [
            group(extra: "  unknown: 1"), group(displayName: "[a, b]"), group(displayName: "{a: b}"), group(displayName: "12"),
            group(displayName: "true"), group(displayName: "yes"), group(displayName: "null"), group(displayName: ""),
            group(name: "Upper"), group(name: "-dash"), group(name: "a_b"), group(name: String(repeating: "a", count: 64)),
            group(name: "\"\""), group(extra: "  rooms: not-a-list"), group(extra: "  selector: [x]"),
            "apiVersion: roomkeeper/v2\nkind: RoomGroup\nmetadata: {name: a}\nspec: {displayName: a}",
            "apiVersion: roomkeeper/v1\nkind: Nonsense\nmetadata: {name: a}\nspec: {}",
            "apiVersion: roomkeeper/v1\nkind: RoomGroup\nspec: {displayName: a}",
            "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: a}",
            "apiVersion: roomkeeper/v1\nkind: UpdateRing\nmetadata: {name: r}\nspec: {displayName: R, order: \"1\", rolloutDays: 1, testDays: 1}",
            "apiVersion: roomkeeper/v1\nkind: UpdateRing\nmetadata: {name: r}\nspec: {displayName: R, order: 0x1, rolloutDays: 1, testDays: 1}",
            "apiVersion: roomkeeper/v1\nkind: UpdateRing\nmetadata: {name: r}\nspec: {displayName: R, order: 99999999999999999999999, rolloutDays: 1, testDays: 1}",
            "apiVersion: roomkeeper/v1\nkind: UpdateRing\nmetadata: {name: r}\nspec: {displayName: R, order: -1, rolloutDays: 1, testDays: 1}",
            "apiVersion: roomkeeper/v1\nkind: UpdateRing\nmetadata: {name: r}\nspec: {displayName: R, order: 1.5, rolloutDays: 1, testDays: 1}",
            "apiVersion: roomkeeper/v1\nkind: Role\nmetadata: {name: r}\nspec: {displayName: R, permissions: [root.all]}",
            "apiVersion: roomkeeper/v1\nkind: Role\nmetadata: {name: r}\nspec: {displayName: R, permissions: []}",
            "apiVersion: roomkeeper/v1\nkind: RoleAssignment\nmetadata: {name: a}\nspec: {role: builtin:god, displayName: A, members: [{user: a@contoso.com}], scope: {allRooms: true}}",
            "apiVersion: roomkeeper/v1\nkind: RoleAssignment\nmetadata: {name: a}\nspec: {role: builtin:site-lead, displayName: A, members: [{user: not-an-email}], scope: {allRooms: true}}",
            "apiVersion: roomkeeper/v1\nkind: RoleAssignment\nmetadata: {name: a}\nspec: {role: builtin:site-lead, displayName: A, members: [{user: a@contoso.com, group: g}], scope: {allRooms: true}}",
            "apiVersion: roomkeeper/v1\nkind: Device\nmetadata: {name: d}\nspec: {room: r@contoso.com, serialNumber: 0012345, deviceType: teamsRoom}",
            "apiVersion: roomkeeper/v1\nkind: Device\nmetadata: {name: d}\nspec: {room: r@contoso.com, serialNumber: S, deviceType: toaster}",
            "apiVersion: roomkeeper/v1\nkind: Device\nmetadata: {name: d}\nspec: {room: r@contoso.com, serialNumber: S, deviceType: teamsRoom, enrollment: onboarding}",
            "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: a}\nspec: {displayName: a, token: hunter2}",
            "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: a, labels: {password: x}}\nspec: {displayName: a}",
            "just a string", "42", "[]", "null", "~",
        ]
        for (index, yaml) in shapes.enumerated() { corpus.append(text("shape-\(index)", yaml)) }
        // Path tricks in names and references.
        let paths = ["../../etc/passwd", "/etc/passwd", "..", "a/b", "a\\\\b", "%2e%2e", "a b", "a..b", "~root", "$(rm -rf /)"]
        for (index, name) in paths.enumerated() {
            corpus.append(text("path-\(index)", group(name: "\"\(name)\"")))
        }
        corpus.append(
            text(
                "path-reference",
                """
                apiVersion: roomkeeper/v1
                kind: RoleAssignment
                metadata: {name: a}
                spec: {role: "../roles/admin", displayName: A, members: [{user: a@contoso.com}], scope: {roomGroups: ["../../x"]}}
                """))
        // Encodings and control characters.
        corpus.append(Case(name: "utf8-invalid", files: ["broken.yaml": Array("a: ".utf8) + [0xFF, 0xFE, 0xC3, 0x28]]))
        corpus.append(Case(name: "utf8-overlong", files: ["broken.yaml": Array("a: ".utf8) + [0xC0, 0xAF]]))
        corpus.append(Case(name: "utf8-surrogate", files: ["broken.yaml": Array("a: ".utf8) + [0xED, 0xA0, 0x80]]))
        corpus.append(
            Case(name: "utf16", files: ["broken.yaml": [0xFF, 0xFE] + Array("a: b".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }]))
        corpus.append(Case(name: "nul-byte", files: ["broken.yaml": Array("a: b".utf8) + [0] + Array("c: d".utf8)]))
        for (index, control) in ["\u{1B}[31m", "\u{07}", "\u{08}", "\u{7F}", "\u{9B}"].enumerated() {
            corpus.append(text("control-\(index)", group(displayName: "\"Lobby\(control)\"")))
        }
        // Size and depth.
        corpus.append(text("deep-flow", String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)))
        corpus.append(text("deep-block", (0..<200).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n") + " x"))
        corpus.append(
            text(
                "alias-bomb",
                """
                a: &a ["x","x","x","x","x","x","x","x","x","x"]
                b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
                c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
                d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
                e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
                f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
                g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
                """))
        corpus.append(text("alias-recursive", "a: &a [*a]"))
        corpus.append(Case(name: "huge", files: ["broken.yaml": Array(repeating: UInt8(ascii: "#"), count: 17 << 20)]))
        corpus.append(text("long-line", "a: " + String(repeating: "x", count: 2 << 20)))
        corpus.append(text("many-documents", String(repeating: "--- x\n", count: 50_000)))
        corpus.append(text("duplicate-manifests", group() + "\n---\n" + group()))
        // Semantics.
        corpus.append(
            text(
                "dangling-reference",
                """
                apiVersion: roomkeeper/v1
                kind: RoleAssignment
                metadata: {name: a}
                spec: {role: nobody-role, displayName: A, members: [{user: a@contoso.com}], scope: {roomGroups: [nowhere]}}
                """))
        corpus.append(
            text(
                "ring-limits",
                """
                apiVersion: roomkeeper/v1
                kind: UpdateRing
                metadata: {name: a}
                spec: {displayName: A, order: 1, rolloutDays: 60, testDays: 60}
                """))
        corpus.append(
            Case(
                name: "bad-policy",
                files: [
                    "roomkeeper.yaml": Array(
                        "apiVersion: roomkeeper/v1\nkind: Policy\nspec: {portal: {url: \"javascript:alert(1)\"}, prune: {everything: true}}".utf8)
                ]))
        corpus.append(
            Case(
                name: "policy-secret",
                files: [
                    "roomkeeper.yaml": Array("apiVersion: roomkeeper/v1\nkind: Policy\nspec: {portal: {url: https://p.example, token: abc}}".utf8)
                ]))
        corpus.append(
            Case(
                name: "bad-snooze",
                files: [
                    "roomkeeper.yaml": Array(
                        "apiVersion: roomkeeper/v1\nkind: Policy\nspec: {snooze: [{target: \"<script>\", until: 2026-02-30, reason: x}]}".utf8)
                ]))
        return corpus
    }

    /// Runs the tool under `timeout`, so a hang fails the test instead of the suite.
    private static func run(_ workspace: Workspace, _ arguments: [String]) async throws -> ProcessResult {
        try await runProcess(
            URL(fileURLWithPath: "/usr/bin/timeout"), ["60", Roomkeeper.executable.path] + arguments, environment: workspace.environment,
            in: workspace.state)
    }

    @Test("Over 100 broken or malicious repositories: each a precise diagnostic and exit 1, never a crash, a hang or a portal")
    func brokenCorpus() async throws {
        let corpus = Self.brokenCorpus()
        #expect(corpus.count >= 100)
        let workspace = try Workspace()
        defer { workspace.remove() }
        for entry in corpus {
            let folder = workspace.state.appendingPathComponent("corpus/\(entry.name)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (path, bytes) in entry.files { try Data(bytes).write(to: folder.appendingPathComponent(path)) }
            for command in [["validate"], ["apply", "--auto-approve"], ["drift"]] {
                let result = try await Self.run(workspace, command + ["corpus/\(entry.name)"])
                let printed = result.output + result.errors
                #expect(result.status == 1, "\(entry.name) \(command[0]): exit \(result.status) \(printed.prefix(300))")
                let located = printed.range(of: #"[A-Za-z.-]+\.yaml(:\d+:\d+)?: error: "#, options: .regularExpression) != nil
                #expect(located, "\(entry.name) \(command[0]) names the file (and line and column): \(printed.prefix(300))")
                #expect(!printed.contains("Fatal error"), "\(entry.name): \(printed.prefix(300))")
                #expect(!printed.contains("\u{1B}["), "\(entry.name): raw escape sequences reached the terminal")
            }
        }
        #expect(
            !FileManager.default.fileExists(atPath: workspace.state.appendingPathComponent("embedded-portal.sqlite").path),
            "no command opened the portal")
    }

    @Test("Valid manifests carrying markup and injection strings come out escaped in every report")
    func hostileTextIsEscaped() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let hostile = [
            "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "[click](javascript:alert(1))", "![x](http://evil/x.png)",
            "| a | b |", "`rm -rf /`", "**bold** _it_ ~~s~~", "<!-- comment -->", "&amp;&lt;", "]]><x/>", "# heading", "\\u202Egnp.exe",
            "@everyone <at>all</at>", "{{template}}", "${jndi:ldap://x}",
        ]
        var text = ""
        for (index, value) in hostile.enumerated() {
            let quoted = "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
            text += """
                ---
                apiVersion: roomkeeper/v1
                kind: RoomGroup
                metadata: {name: hostile-\(index)}
                spec: {displayName: \(quoted), description: \(quoted), rooms: [conf-lon-3a@contoso.com]}

                """
        }
        let folder = workspace.state.appendingPathComponent("hostile")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try text.write(to: folder.appendingPathComponent("groups.yaml"), atomically: true, encoding: .utf8)
        #expect(try await Self.run(workspace, ["validate", "hostile"]).status == 0)

        let markdown = try await Self.run(workspace, ["plan", "hostile", "--format", "markdown"])
        #expect(markdown.status == 2, "\(markdown.errors)")
        let drift = try await Self.run(workspace, ["drift", "hostile", "--format", "html", "--out", "report.html"])
        #expect(drift.status == 2, "\(drift.errors)")
        let driftMarkdown = try await Self.run(workspace, ["drift", "hostile", "--format", "markdown"])
        for output in [markdown.output, driftMarkdown.output] {
            #expect(!output.contains("<script"))
            #expect(!output.contains("<img"))
            #expect(!output.contains("](javascript:"))
            #expect(!output.contains("<!--"))
            #expect(!output.contains("<at>"))
        }
        let check = try await runPython(
            """
            import sys, xml.dom.minidom
            dom = xml.dom.minidom.parse(sys.argv[1])
            tags = {node.tagName for node in dom.getElementsByTagName("*")}
            allowed = {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "code", "table", "thead", "tbody", "tr", "th", "td", "ul", "li", "strong", "br",
                       "details", "summary", "span", "a", "figure", "figcaption", "svg", "rect", "line", "text"}
            assert tags <= allowed, tags - allowed
            links = [node.getAttribute("href") for node in dom.getElementsByTagName("a")]
            assert all(link.startswith("#") for link in links), links
            text = dom.documentElement.toxml()
            print("ok")
            """, [workspace.state.appendingPathComponent("report.html").path])
        #expect(check.status == 0, "\(check.errors)")
        // The hostile text is still there, as text: escaped, not lost.
        let page = try String(contentsOf: workspace.state.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.contains("[click](javascript:alert(1))"), "harmless in HTML, kept as written")
    }
}
