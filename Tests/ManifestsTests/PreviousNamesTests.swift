import Manifests
import Testing

@Suite("Renames: metadata.previousNames")
struct PreviousNamesTests {
    @Test("Previous names are read, written back, and may not be another manifest's name")
    func previousNames() throws {
        let renamed = """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: level-3, previousNames: [floor-3]}
            spec: {displayName: Level 3, rooms: [a@contoso.com]}
            """
        let result = load(renamed)
        #expect(!result.diagnostics.hasErrors, "\(compact(result.diagnostics))")
        let group = try #require(result.manifests.roomGroups.first)
        #expect(group.metadata.previousNames.map(\.value) == ["floor-3"])
        #expect(try YAMLWriter.write([Manifest.roomGroup(group).yamlValue]).contains("previousNames:\n  - floor-3"))

        let clash = load(renamed + """

            ---
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: floor-3}
            spec: {displayName: Floor 3, rooms: [b@contoso.com]}
            """)
        #expect(compact(clash.diagnostics).contains("test.yaml:8:18: error: duplicate RoomGroup name 'floor-3'"))
        #expect(compact(load(renamed.replacingOccurrences(of: "[floor-3]", with: "[Floor_3]")).diagnostics)
            .contains("error: "))
    }
}
