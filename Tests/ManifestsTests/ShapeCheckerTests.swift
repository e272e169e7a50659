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

    @Test("Selectors decode every location part and label")
    func selector() throws {
        let result = load("""
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

    @Test("An update ring budget of exactly 60 days is allowed, 61 is not")
    func ringBudget() {
        func rings(_ days: Int) -> String {
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
            """
        }
        #expect(load(rings(60)).diagnostics.isEmpty)
        #expect(load(rings(61)).diagnostics.map(\.message) == [
            "update rings add up to 61 days of rollout and test; the portal allows 60"
        ])
    }
}
