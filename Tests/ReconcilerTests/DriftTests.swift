import Foundation
import Manifests
import PortalAPI
import PortalEmulator
import Reconciler
import StateStore
import TestSupport
import Testing

/// Drift against the real emulator over HTTP: Roomkeeper applies as one administrator, a person
/// edits the portal as another, and the report must say which is which.
@Suite("Drift reports")
struct DriftTests {
    private static let reconciler = "roomkeeper@contoso.com"
    private static let person = "megan.bowen@contoso.com"
    private static let tokens = [reconciler: "reconciler-token", person: "person-token"]

    private static var seed: TenantSeed {
        TenantSeed(
            administrators: [reconciler, person],
            users: [.init(userPrincipalName: reconciler, displayName: "Roomkeeper"), .init(userPrincipalName: person, displayName: "Megan")],
            rooms: (0..<4).map { .init(email: TestTenant.room($0), displayName: "Room \($0)") },
            devices: [
                .init(serialNumber: "SN-1", deviceType: "teamsRoom", room: TestTenant.room(0)),
                .init(serialNumber: "SN-STRAY", deviceType: "teamsRoom", room: TestTenant.room(3)),
            ])
    }

    private static func files(description: String = "Rooms 0 and 1", rollout: Int = 1, policy: String = "") -> [String: String] {
        [
            "roomkeeper.yaml": """
            apiVersion: roomkeeper/v1
            kind: Policy
            spec:
              prune: {roomGroups: true}
            \(policy)
            """,
            "groups.yaml": """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: first-rooms}
            spec:
              displayName: First rooms
              description: \(description)
              rooms: [\(TestTenant.room(0)), \(TestTenant.room(1))]
            """,
            "rings.yaml": """
            apiVersion: roomkeeper/v1
            kind: UpdateRing
            metadata: {name: pilot}
            spec: {displayName: Pilot, order: 1, rolloutDays: \(rollout), testDays: 2, rooms: [\(TestTenant.room(2))]}
            """,
            "devices.yaml": """
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: room-0-compute}
            spec: {room: \(TestTenant.room(0)), serialNumber: SN-1, deviceType: teamsRoom}
            ---
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: room-1-bar}
            spec: {room: \(TestTenant.room(1)), serialNumber: SN-NEVER, deviceType: collaborationBar}
            """,
        ]
    }

    private static func load(_ files: [String: String]) -> ManifestSet {
        let result = ManifestLoader.load(from: MemoryTree(files: files.mapValues { Array($0.utf8) }))
        #expect(!result.diagnostics.hasErrors, "\(result.diagnostics)")
        return result.manifests
    }

    private static func drift(
        _ files: [String: String], _ portal: some Portal, memory: DriftMemory = DriftMemory(), now: Date = Date()
    ) async throws -> (report: DriftReport, pending: [DriftHistoryEntry.Tracked.Key: Date]) {
        let declared = load(files)
        let live = try await LiveState.read(from: portal).state
        let plan = Planner.plan(declared: declared, live: live, options: PlanOptions(allowMassDelete: true), source: "test", portal: "test")
        return DriftDetector(declared: declared, live: live, memory: memory, reconcilerIdentity: reconciler, now: now).report(for: plan)
    }

    private static func apply(_ files: [String: String], _ portal: some Portal) async throws {
        let plan = Planner.plan(declared: load(files), live: try await LiveState.read(from: portal).state, source: "test", portal: "test")
        let report = await Executor(portal: portal, journal: nil).apply(plan)
        #expect(report.succeeded, "\(report.results.filter { $0.outcome != .done })")
    }

    @Test("Every kind of drift is reported with its cause: a person's edit, git not yet applied, and devices by state")
    func kindsOfDrift() async throws {
        try await RunningPortal.with(seed: Self.seed, tokens: Self.tokens) { portal in
            let roomkeeper = portal.client(token: "reconciler-token")
            let megan = portal.client(token: "person-token")
            try await Self.apply(Self.files(), roomkeeper)

            // Right after apply: only the stray enrolled device is drift; the unseen device is pending.
            let clean = try await Self.drift(Self.files(), roomkeeper).report
            #expect(clean.items.map(\.target.description) == ["Device/SN-STRAY"])
            #expect(clean.items.first?.state == .unexpected)
            #expect(clean.items.first?.cause == .manual)
            #expect(clean.devices.map(\.status) == [.pending])
            #expect(clean.devices.first?.target.description == "Device/room-1-bar")

            // A person edits the group and moves a room to another ring; git changes the ring; git drops nothing.
            let group = try #require(try await megan.roomGroupsBesidesDefault().first { $0.resource.manifestName == "first-rooms" })
            var edited = group.resource
            edited.description = "Edited <by hand>"
            _ = try await megan.replace(edited, ifMatch: group.etag)
            let room = try #require(try await megan.list(PortalRoom.self).first { $0.resource.id == TestTenant.room(2) })
            _ = try await megan.moveRoom(room.resource.id, toRing: "executive", ifMatch: room.etag)
            // The device in room 0 goes offline: health, not drift.
            let devices = try await portal.service.store.all(.devices).map { try JSONDecoder.portal.decode(PortalDevice.self, from: $0.body) }
            var offline = try #require(devices.first { $0.serialNumber == "SN-1" })
            offline.connectivity = "disconnected"
            try await portal.service.store.write(
                .devices, .replace(id: offline.id, body: try JSONEncoder.portal.encode(offline), ifMatch: nil), actor: "agent")

            let report = try await Self.drift(Self.files(rollout: 3), roomkeeper).report
            let byTarget = Dictionary(report.items.map { ($0.target.description, $0) }, uniquingKeysWith: { first, _ in first })
            let groupItem = try #require(byTarget["RoomGroup/first-rooms"])
            #expect(groupItem.state == .changed)
            #expect(groupItem.cause == .manual)
            #expect(groupItem.explanation.contains("changed in the portal by \(Self.person)"))
            #expect(groupItem.changes == [FieldChange(field: "description", before: "Edited <by hand>", after: "Rooms 0 and 1")])
            #expect(groupItem.remedies.canRevert && groupItem.remedies.canAdopt)
            #expect(groupItem.location == "groups.yaml:3:18")

            let ringItem = try #require(byTarget["UpdateRing/pilot"])
            #expect(ringItem.cause == .convergence, "Roomkeeper wrote the ring last; git moved on")
            #expect(ringItem.changes == [FieldChange(field: "rolloutDays", before: "1", after: "3")])

            let roomItem = try #require(byTarget["Room/\(TestTenant.room(2))"])
            #expect(roomItem.cause == .manual)
            #expect(roomItem.changes == [FieldChange(field: "updateRing", before: "executive", after: "pilot")])

            #expect(report.devices.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.offline, .pending])
            #expect(!report.items.contains { $0.target.description == "Device/room-0-compute" }, "offline is not drift")

            // Apply reverts the person's edits; only the stray device is left.
            try await Self.apply(Self.files(rollout: 3), roomkeeper)
            #expect(try await Self.drift(Self.files(rollout: 3), roomkeeper).report.items.map(\.target.description) == ["Device/SN-STRAY"])
        }
    }

    @Test("A declared device is pending within the grace period and missing after it; since is carried by the history")
    func deviceGracePeriod() async throws {
        try await RunningPortal.with(seed: Self.seed, tokens: Self.tokens) { portal in
            let client = portal.client(token: "reconciler-token")
            try await Self.apply(Self.files(), client)
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let (first, pending) = try await Self.drift(Self.files(), client, now: start)
            #expect(first.devices.first { $0.status == .pending }?.since == start)
            let entry = DriftHistoryEntry(recording: first, pending: pending, previous: nil)

            let later = start.addingTimeInterval(47 * 3600)
            let stillPending = try await Self.drift(Self.files(), client, memory: DriftMemory(entries: [entry]), now: later).report
            #expect(stillPending.devices.contains { $0.status == .pending && $0.since == start })
            #expect(!stillPending.items.contains { $0.state == .missing })

            let past = start.addingTimeInterval(49 * 3600)
            let missing = try await Self.drift(Self.files(), client, memory: DriftMemory(entries: [entry]), now: past).report
            let item = try #require(missing.items.first { $0.target.description == "Device/room-1-bar" })
            #expect(item.state == .missing)
            #expect(item.since == start)
            #expect(!item.remedies.canRevert, "apply cannot make a device check in")
            #expect(item.remedies.byHand?.contains("sign it in to Teams with") == true)
            #expect(item.remedies.byHand?.contains("licensed Teams Rooms Pro: it then enrolls itself") == true)

            // A shorter grace period in the policy judges the same device missing sooner.
            let strict = try await Self.drift(
                Self.files(policy: "  drift: {deviceGraceHours: 1}"), client, memory: DriftMemory(entries: [entry]),
                now: start.addingTimeInterval(2 * 3600)
            ).report
            #expect(strict.items.contains { $0.target.description == "Device/room-1-bar" && $0.state == .missing })
        }
    }

    @Test("A peripheral the main unit does not report is missing after the grace period, with what to do on site and no agent to install")
    func missingPeripheral() async throws {
        try await RunningPortal.with(seed: Self.seed, tokens: Self.tokens) { portal in
            let client = portal.client(token: "reconciler-token")
            var files = Self.files()
            files["tap.yaml"] = """
                apiVersion: roomkeeper/v1
                kind: Device
                metadata: {name: room-0-tap}
                spec: {room: \(TestTenant.room(0)), serialNumber: TAP-NEVER, deviceType: touchConsole, manufacturer: Logitech}
                """
            try await Self.apply(files, client)
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let (first, pending) = try await Self.drift(files, client, now: start)
            #expect(first.devices.first { $0.target.description == "Device/room-0-tap" }?.status == .pending)
            let entry = DriftHistoryEntry(recording: first, pending: pending, previous: nil)
            let past = try await Self.drift(files, client, memory: DriftMemory(entries: [entry]), now: start.addingTimeInterval(49 * 3600)).report
            let item = try #require(past.items.first { $0.target.description == "Device/room-0-tap" })
            #expect(item.state == .missing)
            #expect(item.remedies.byHand?.contains("connect it to the room's main unit") == true)
            #expect(item.remedies.byHand?.contains("agent") == true && item.remedies.byHand?.contains("install") == false)
        }
    }

    @Test("A Teams panel enrolls itself: missing, it is signed in rather than connected; undeclared, it is drift git can adopt")
    func teamsPanels() async throws {
        var seed = Self.seed
        seed.devices.append(.init(serialNumber: "PANEL-STRAY", deviceType: "teamsPanel", room: TestTenant.room(3)))
        try await RunningPortal.with(seed: seed, tokens: Self.tokens) { portal in
            let client = portal.client(token: "reconciler-token")
            var files = Self.files()
            files["panel.yaml"] = """
                apiVersion: roomkeeper/v1
                kind: Device
                metadata: {name: room-0-panel}
                spec: {room: \(TestTenant.room(0)), serialNumber: PANEL-NEVER, deviceType: teamsPanel, manufacturer: Crestron}
                """
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let (first, pending) = try await Self.drift(files, client, now: start)
            #expect(first.devices.first { $0.target.description == "Device/room-0-panel" }?.message.hasPrefix("not checked in yet") == true)
            let stray = try #require(first.items.first { $0.target.name == "PANEL-STRAY" }, "\(first.items.map(\.target))")
            #expect(stray.state == .unexpected && stray.cause == .manual)
            #expect(
                stray.explanation.contains("Teams panel of \(TestTenant.room(3))") && !stray.explanation.contains("main unit"), "\(stray.explanation)"
            )
            #expect(stray.remedies.canAdopt && !stray.remedies.canRevert)

            let entry = DriftHistoryEntry(recording: first, pending: pending, previous: nil)
            let past = try await Self.drift(files, client, memory: DriftMemory(entries: [entry]), now: start.addingTimeInterval(49 * 3600)).report
            let missing = try #require(past.items.first { $0.target.description == "Device/room-0-panel" })
            #expect(missing.state == .missing)
            #expect(missing.remedies.byHand?.contains("sign the panel in to Teams with \(TestTenant.room(0))'s resource account") == true)
            #expect(missing.remedies.byHand?.contains("connect it to the room's main unit") == false)
        }
    }

    @Test("A device waiting in onboarding is convergence apply can fix, and past the grace period it is stuck")
    func onboardingDevice() async throws {
        var seed = Self.seed
        seed.devices.append(.init(serialNumber: "SN-WAIT", deviceType: "teamsRoom", room: TestTenant.room(2)))
        seed.rooms[2].enrollmentState = "onboarding"
        try await RunningPortal.with(seed: seed, tokens: Self.tokens) { portal in
            let client = portal.client(token: "reconciler-token")
            var files = Self.files()
            files["waiting.yaml"] = """
                apiVersion: roomkeeper/v1
                kind: Device
                metadata: {name: room-2-compute}
                spec: {room: \(TestTenant.room(2)), serialNumber: SN-WAIT, deviceType: teamsRoom}
                """
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            let (first, pending) = try await Self.drift(files, client, now: start)
            let waiting = try #require(first.items.first { $0.target.description == "Device/room-2-compute" })
            #expect(waiting.cause == .convergence)
            #expect(waiting.changes == [FieldChange(field: "enrollment", before: "onboarding", after: "enrolled")])
            #expect(waiting.remedies.canRevert)
            #expect(waiting.remedies.byHand == nil)

            let memory = DriftMemory(entries: [DriftHistoryEntry(recording: first, pending: pending, previous: nil)])
            let later = try await Self.drift(files, client, memory: memory, now: start.addingTimeInterval(49 * 3600)).report
            let stuck = try #require(later.items.first { $0.target.description == "Device/room-2-compute" })
            #expect(stuck.explanation.hasPrefix("stuck in onboarding for 48 hours or more"))
            #expect(stuck.since == start)
            #expect(stuck.remedies.byHand?.contains("signed in to Teams with the room's resource account") == true)

            // Without its manifest the same device is a person's doing that git does not know about.
            files["waiting.yaml"] = nil
            let undeclared = try await Self.drift(files, client, now: start).report
            let stranger = try #require(undeclared.items.first { $0.target.name == "SN-WAIT" }, "\(undeclared.items.map(\.target))")
            #expect(stranger.state == .unexpected && stranger.cause == .manual)
            #expect(stranger.explanation.contains("waits in onboarding"))
            #expect(!stranger.remedies.canRevert && stranger.remedies.canAdopt)
        }
    }

    @Test("An undeclared main unit is never silent: a second one reporting from a room whose declared unit is there is drift with what to do")
    func secondMainUnit() async throws {
        var seed = Self.seed
        seed.devices.append(.init(serialNumber: "SN-ROOM2", deviceType: "teamsRoom", room: TestTenant.room(2)))
        seed.devices.append(.init(serialNumber: "SN-ROOM2-STRAY", deviceType: "teamsRoom", room: TestTenant.room(2)))
        seed.rooms[2].enrollmentState = "enrolled"
        try await RunningPortal.with(seed: seed, tokens: Self.tokens) { portal in
            let client = portal.client(token: "reconciler-token")
            var files = Self.files()
            files["room-2.yaml"] = """
                apiVersion: roomkeeper/v1
                kind: Device
                metadata: {name: room-2-compute}
                spec: {room: \(TestTenant.room(2)), serialNumber: SN-ROOM2, deviceType: teamsRoom}
                """
            let report = try await Self.drift(files, client).report
            let stray = try #require(report.items.first { $0.target.name == "SN-ROOM2-STRAY" }, "\(report.items.map(\.target))")
            #expect(stray.state == .unexpected && stray.cause == .manual)
            #expect(stray.explanation.contains("a second main unit in \(TestTenant.room(2))"), "\(stray.explanation)")
            #expect(stray.explanation.contains("git declares room-2-compute"))
            #expect(stray.remedies.byHand?.contains("change that Device's serial number in git") == true)
            #expect(!stray.remedies.canRevert)
            #expect(!report.inSync)
            #expect(!report.items.contains { $0.target.name == "SN-ROOM2" }, "the declared unit is matched")
        }
    }

    @Test("Snoozed items are set aside until their day; an item that keeps coming and going is noise")
    func snoozeAndNoise() async throws {
        try await RunningPortal.with(seed: Self.seed, tokens: Self.tokens) { portal in
            let client = portal.client(token: "reconciler-token")
            try await Self.apply(Self.files(), client)
            let now = Date(timeIntervalSince1970: 1_800_000_000)  // 2027-01-15
            let snoozing = Self.files(
                policy: """
                      snooze:
                        - {target: Device/SN-STRAY, until: 2027-02-01, reason: "Facilities are moving it"}
                        - {target: RoomGroup/gone, until: 2027-01-01, reason: "Expired"}
                    """)
            let report = try await Self.drift(snoozing, client, now: now).report
            #expect(report.inSync)
            #expect(report.snoozed.map(\.target.description) == ["Device/SN-STRAY"])
            #expect(report.snoozed.first?.snoozedUntil == "2027-02-01")
            #expect(report.notes.contains { $0.message.contains("the snooze until 2027-01-01 has passed") })
            let afterSnooze = try await Self.drift(snoozing, client, now: Date(timeIntervalSince1970: 1_803_000_000)).report
            #expect(afterSnooze.items.map(\.target.description) == ["Device/SN-STRAY"], "the snooze ended on 2027-02-01")

            // The stray device appeared, cleared, appeared, cleared: appearing once more makes it noise.
            let stray = try #require(report.snoozed.first).fingerprint
            let entries = [[stray], [], [stray], []].enumerated().map { offset, drift in
                DriftHistoryEntry(
                    time: now.addingTimeInterval(Double(offset) * 3600), sourceRevision: nil, tracked: [:], drift: drift, notified: [],
                    notifiedAt: nil)
            }
            let noisy = try await Self.drift(Self.files(), client, memory: DriftMemory(entries: entries), now: now).report
            #expect(noisy.items.first?.cause == .noise)
            let twice = try await Self.drift(Self.files(), client, memory: DriftMemory(entries: Array(entries.prefix(2))), now: now).report
            #expect(twice.items.first?.cause == .manual, "twice is not yet a pattern")
        }
    }

    @Test("Notifications go out when drift appears, changes or clears, and as a digest only when due")
    func notificationDecisions() throws {
        func report(_ targets: [String], at time: Date) -> DriftReport {
            DriftReport(
                generatedAt: time, source: "test", sourceRevision: nil, origin: nil, portal: "test",
                items: targets.map {
                    DriftItem(
                        state: .changed, cause: .manual, target: ObjectReference(kind: .manifest(.roomGroup), name: $0), explanation: "",
                        since: time, remedies: [.revert, .adopt, .snooze(until: "2027-01-01")])
                }, snoozed: [], devices: [], needsPerson: [], notes: [], unmanaged: [])
        }
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        var previous: DriftHistoryEntry?
        var sent: [DriftNotification.Event] = []
        for (hour, targets) in [["a"], ["a"], ["a", "b"], ["b"], ["b"], [], []].enumerated() {
            let now = start.addingTimeInterval(Double(hour) * 3600)
            let current = report(targets, at: now)
            var entry = DriftHistoryEntry(recording: current, pending: [:], previous: previous)
            if let message = DriftNotification.decide(current, previous: previous, digestInterval: nil, now: now) {
                sent.append(message.event)
                entry.markNotified(current, at: now)
            }
            previous = entry
        }
        #expect(sent == [.appeared, .appeared, .changed, .cleared])

        // A digest is sent while drift persists, no more often than the interval.
        var entry = DriftHistoryEntry(recording: report(["a"], at: start), pending: [:], previous: nil)
        entry.markNotified(report(["a"], at: start), at: start)
        #expect(
            DriftNotification.decide(report(["a"], at: start), previous: entry, digestInterval: 86_400, now: start.addingTimeInterval(3600)) == nil)
        #expect(
            DriftNotification.decide(report(["a"], at: start), previous: entry, digestInterval: 86_400, now: start.addingTimeInterval(90_000))?
                .event == .digest)
    }

    @Test("The history keeps one line per check, trims old lines, and skips a torn line")
    func historyFile() throws {
        let folder = try temporaryFolder("roomkeeper-history")
        defer { try? FileManager.default.removeItem(at: folder) }
        let history = DriftHistory(url: folder.appendingPathComponent("drift.jsonl"), keep: 3)
        #expect(try history.recent().isEmpty)
        for index in 0..<7 {
            try history.append(
                DriftHistoryEntry(
                    time: Date(timeIntervalSince1970: Double(index)), sourceRevision: "\(index)", tracked: [:], drift: [], notified: [],
                    notifiedAt: nil))
        }
        let lines = try String(contentsOf: history.url, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3, "the seventh line took it past 6, so it was trimmed to the last 3")
        try (String(contentsOf: history.url, encoding: .utf8) + "{\"torn\": \n").write(to: history.url, atomically: true, encoding: .utf8)
        #expect(try history.recent().map(\.sourceRevision) == ["4", "5", "6"])

        // Long lines are trimmed by size too, keeping the newest.
        let small = DriftHistory(url: folder.appendingPathComponent("small.jsonl"), keep: 500, maximumBytes: 2_000)
        for index in 0..<40 {
            try small.append(
                DriftHistoryEntry(
                    time: Date(timeIntervalSince1970: Double(index)), sourceRevision: "\(index)", tracked: [:],
                    drift: (0..<3).map { "fingerprint-\(index)-\($0)" }, notified: [], notifiedAt: nil))
        }
        let size = try FileManager.default.attributesOfItem(atPath: small.url.path)[.size] as? Int ?? 0
        #expect(size <= 2_000)
        #expect(try small.recent().last?.sourceRevision == "39")
    }
}

extension JSONDecoder {
    /// Decodes portal objects as the emulator stores them.
    static var portal: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

extension JSONEncoder {
    static var portal: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }
}
