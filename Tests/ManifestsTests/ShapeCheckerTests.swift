import Manifests
import TestSupport
import Testing

@Suite("Strict shapes")
struct ShapeCheckerTests {
    private func device(_ serial: String) -> String {
        """
        apiVersion: roomkeeper/v1
        kind: Device
        metadata: {name: d}
        spec: {room: r@contoso.com, serialNumber: \(serial), deviceType: teamsRoom}
        """
    }

    @Test(
        "Quoted or tagged text is a string whatever it looks like",
        arguments: ["\"0012345\"", "'yes'", "!!str 0x1F", "\"null\"", "SN-12"])
    func explicitStrings(serial: String) {
        let result = load(device(serial))
        #expect(compact(result.diagnostics) == "")
        #expect(result.manifests.devices.count == 1)
    }

    @Test(
        "Unquoted text that a YAML reader would type is refused where a string is expected",
        arguments: [
            ("0012345", "'spec.serialNumber' must be a string, not the number 0012345"),
            ("yes", "'spec.serialNumber' must be a string, but 'yes' is a boolean in YAML 1.1"),
            ("true", "'spec.serialNumber' must be a string, not the boolean true"),
            ("~", "'spec.serialNumber' must be a string, not null"),
            ("1:30", "'spec.serialNumber' must be a string, not the number 1:30"),
        ])
    func ambiguousStrings(serial: String, message: String) {
        #expect(load(device(serial)).diagnostics.map(\.message) == [message])
    }

    @Test("A secret-looking field is refused and its value is never quoted")
    func secrets() throws {
        let text = """
            apiVersion: roomkeeper/v1
            kind: Policy
            spec:
              deletionGuard: {maxDeletes: 3, clientSecret: s3cr3t-value}
            """
        let result = load(text, path: "roomkeeper.yaml")
        let diagnostic = try #require(result.diagnostics.first)
        #expect(diagnostic.message == "'clientSecret' looks like a secret, and secrets never belong in manifests")
        #expect(!diagnostic.showsSource)
        #expect(!compact(result.diagnostics).contains("s3cr3t"))
    }

    @Test(
        "Label names are 1 to 63 letters, digits, '-', '_' and '.', after at most one 'prefix/' of 1 to 253",
        arguments: [
            ("wing", true), ("team.name_2-x", true), ("example.com/wing", true), ("/wing", false), ("a/b/c", false),
            ("wing/", false), ("bad name", false), ("flügel", false), (String(repeating: "w", count: 63), true),
            (String(repeating: "w", count: 64), false), (String(repeating: "p", count: 253) + "/w", true),
            (String(repeating: "p", count: 254) + "/w", false),
        ])
    func labelNames(name: String, valid: Bool) {
        let text = """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: g, labels: {"\(name)": x}}
            spec: {displayName: G, rooms: [r@contoso.com]}
            """
        let messages = load(text).diagnostics.map(\.message)
        #expect(messages == (valid ? [] : ["'\(name.truncatedForTest)' is not a valid label name"]))
    }

    @Test(
        "A control character is found wherever it sits in a long string, a C1 control split across eight-byte words too",
        arguments: [0, 5, 7, 8, 15, 16, 30])
    func controlCharacters(offset: Int) {
        let padding = String(repeating: "x", count: offset)
        for (control, code) in [("\\e", "001B"), ("\\x7F", "007F"), ("\\x9B", "009B"), ("\\x07", "0007")] {
            let text = """
                apiVersion: roomkeeper/v1
                kind: RoomGroup
                metadata: {name: g}
                spec: {displayName: "\(padding)\(control)\(padding) Lobby ünd more text", rooms: [r@contoso.com]}
                """
            #expect(load(text).diagnostics.map(\.message) == ["'spec.displayName' contains the control character U+\(code)"])
        }
        // Trojan Source: bidirectional overrides and isolates, and zero-width characters.
        for code in ["202E", "202A", "2066", "2069", "200B", "200D", "200F", "2060", "FEFF", "061C"] {
            let text = """
                apiVersion: roomkeeper/v1
                kind: RoomGroup
                metadata: {name: g}
                spec: {displayName: "\(padding)\\u\(code)\(padding) Lobby ünd – more text", rooms: [r@contoso.com]}
                """
            #expect(
                load(text).diagnostics.map(\.message) == [
                    "'spec.displayName' contains the invisible character U+\(code), which can make text read otherwise than it is "
                        + "(bidirectional override or zero-width, CVE-2021-42574)"
                ], "U+\(code)")
        }
        let clean = """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: g}
            spec: {displayName: "\(padding)Lobby\\tünd 会议室 \\u00C2\\u00A0 – … € ﻻ\\u2011   ؛ more text\(padding)", rooms: [r@contoso.com]}
            """
        #expect(load(clean).diagnostics.isEmpty)
    }

    @Test("Selectors decode every location part and label")
    func selector() throws {
        let result = load(
            """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: g}
            spec:
              displayName: G
              selector:
                location: {country: GB, city: London, floor: "3"}
                labels: {wing: east}
            """)
        #expect(compact(result.diagnostics) == "")
        let selector = try #require(result.manifests.roomGroups.first?.selector)
        #expect(selector.location == [.country: "GB", .city: "London", .floor: "3"])
        #expect(selector.labels == ["wing": "east"])
    }

    @Test("The 60-day budget counts the default rings' 14 days unless the policy says not to: 46 custom days pass, 47 do not")
    func ringBudget() {
        func rings(_ days: Int, countDefaults: Bool? = nil) -> MemoryTree {
            var files = [
                "rings.yaml": Array(
                    """
                    apiVersion: roomkeeper/v1
                    kind: UpdateRing
                    metadata: {name: a}
                    spec: {displayName: A, order: 1, rolloutDays: 30, testDays: 0}
                    ---
                    apiVersion: roomkeeper/v1
                    kind: UpdateRing
                    metadata: {name: b}
                    spec: {displayName: B, order: 2, rolloutDays: \(days - 30), testDays: 0}
                    """.utf8)
            ]
            if let countDefaults {
                files["roomkeeper.yaml"] = Array(
                    """
                    apiVersion: roomkeeper/v1
                    kind: Policy
                    spec:
                      updateRings: {countDefaultRingDays: \(countDefaults)}
                    """.utf8)
            }
            return MemoryTree(files: files)
        }
        #expect(ManifestLoader.load(from: rings(46)).diagnostics.isEmpty)
        #expect(
            ManifestLoader.load(from: rings(47)).diagnostics.map(\.message) == [
                "update rings add up to 61 days of rollout and test (14 of them the default rings'); the portal allows 60"
            ])
        #expect(ManifestLoader.load(from: rings(60, countDefaults: false)).diagnostics.isEmpty)
        #expect(
            ManifestLoader.load(from: rings(61, countDefaults: false)).diagnostics.map(\.message) == [
                "update rings add up to 61 days of rollout and test; the portal allows 60"
            ])
    }

    @Test("A declared deferralDays is a warning at its line and is ignored; the manifests still load")
    func derivedDeferral() {
        let result = load(
            """
            apiVersion: roomkeeper/v1
            kind: UpdateRing
            metadata: {name: a}
            spec: {displayName: A, order: 1, rolloutDays: 3, testDays: 2, deferralDays: 9}
            """)
        #expect(
            compact(result.diagnostics) == """
                test.yaml:4:77: warning: UpdateRing 'a' declares deferralDays: 9, which is ignored: the portal derives it from the rings before this one
                  hint: remove 'deferralDays'; the portal shows the deferment it derives

                """)
        #expect(result.manifests.updateRings.count == 1)
    }

    @Test("Devices: manufacturer plus serial is the identity, a room has one main unit, a peripheral's enrollment is ignored with a warning")
    func deviceRules() {
        let result = load(
            """
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: unit}
            spec: {room: a@x.com, serialNumber: "S1", deviceType: teamsRoom, manufacturer: Lenovo}
            ---
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: same-serial-other-maker}
            spec: {room: b@x.com, serialNumber: "s1", deviceType: teamsRoom, manufacturer: Dell}
            ---
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: second-unit}
            spec: {room: A@x.com, serialNumber: "S2", deviceType: collaborationBar}
            ---
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: tap}
            spec: {room: a@x.com, serialNumber: "T1", deviceType: touchConsole, enrollment: unenrolled}
            ---
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: twin}
            spec: {room: c@x.com, serialNumber: "T1", deviceType: roomCamera}
            """)
        #expect(
            compact(result.diagnostics) == """
                test.yaml:14:14: error: room 'A@x.com' has two main units: 'unit' and 'second-unit'
                  hint: a room has one main unit (teamsRoom, collaborationBar or surfaceHub); declare the others as peripherals or in their own rooms
                  note: test.yaml:3:18: 'unit' declared here
                test.yaml:19:81: warning: Device 'tap' is a touchConsole, a peripheral: peripherals never enroll, so 'enrollment' is ignored
                  hint: remove 'enrollment'; the room enrolls through its main unit (teamsRoom, collaborationBar or surfaceHub)
                test.yaml:24:37: error: serial number T1 is declared by Device 'tap' too
                  hint: each physical device is declared once; if these are two devices, give each its manufacturer
                  note: test.yaml:19:37: first declared here

                """)
    }
}

extension String {
    /// As `truncatedForMessage` quotes user input: at most 60 characters.
    fileprivate var truncatedForTest: String { count <= 60 ? self : String(prefix(57)) + "..." }
}
