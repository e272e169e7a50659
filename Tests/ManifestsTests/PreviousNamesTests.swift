import Manifests
import TestSupport
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

        let clash = load(
            renamed + """

                ---
                apiVersion: roomkeeper/v1
                kind: RoomGroup
                metadata: {name: floor-3}
                spec: {displayName: Floor 3, rooms: [b@contoso.com]}
                """)
        #expect(compact(clash.diagnostics).contains("test.yaml:8:18: error: duplicate RoomGroup name 'floor-3'"))
        #expect(
            compact(load(renamed.replacingOccurrences(of: "[floor-3]", with: "[Floor_3]")).diagnostics)
                .contains("error: "))
    }

    @Test("An object cannot be both declared and listed as absent")
    func declaredAbsent() {
        let result = ManifestLoader.load(
            from: MemoryTree(files: [
                "roomkeeper.yaml": Array(
                    """
                    apiVersion: roomkeeper/v1
                    kind: Policy
                    spec:
                      absent: {roomGroups: [floor-3]}
                    """.utf8),
                "groups.yaml": Array(
                    """
                    apiVersion: roomkeeper/v1
                    kind: RoomGroup
                    metadata: {name: floor-3, protected: true}
                    spec: {displayName: Floor 3, rooms: [a@contoso.com]}
                    """.utf8),
            ]))
        #expect(
            compact(result.diagnostics) == """
                roomkeeper.yaml:4:25: error: RoomGroup 'floor-3' is listed as absent and declared
                  hint: remove it from absent in roomkeeper.yaml to keep it, or delete its manifest to delete it
                  note: groups.yaml:3:18: declared here

                """)
        #expect(result.manifests.roomGroups.first?.metadata.protected == true)
    }
}
