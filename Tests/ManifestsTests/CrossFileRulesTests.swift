import Manifests
import TestSupport
import Testing

@Suite("Rules across manifests")
struct CrossFileRulesTests {
    @Test("Names are unique per kind across files; members and display names are unique within an assignment's role")
    func uniqueness() {
        let groups = """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: floor-3}
            spec: {displayName: Floor 3, rooms: [a@x.com]}
            """
        let more = """
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: floor-4, previousNames: [floor-3]}
            spec: {displayName: Floor 4, rooms: [b@x.com]}
            ---
            apiVersion: roomkeeper/v1
            kind: RoleAssignment
            metadata: {name: ops}
            spec:
              role: builtin:site-lead
              displayName: Ops
              members: [{user: ann@x.com}, {group: Facilities}, {user: ANN@x.com}]
              scope: {roomGroups: [floor-4]}
            ---
            apiVersion: roomkeeper/v1
            kind: RoleAssignment
            metadata: {name: ops-again}
            spec:
              role: builtin:site-lead
              displayName: OPS
              members: [{user: bob@x.com}]
              scope: {roomGroups: [floor-4]}
            ---
            apiVersion: roomkeeper/v1
            kind: RoleAssignment
            metadata: {name: ops}
            spec:
              role: builtin:site-technician
              displayName: Ops
              members: [{user: bob@x.com}]
              scope: {roomGroups: [floor-4]}
            """
        let result = ManifestLoader.load(from: MemoryTree(files: ["a.yaml": Array(groups.utf8), "b.yaml": Array(more.utf8)]))
        #expect(
            compact(result.diagnostics) == """
                b.yaml:3:43: error: duplicate RoomGroup name 'floor-3'
                  hint: names are unique per kind; rename one of them
                  note: a.yaml:3:18: first declared here
                b.yaml:12:53: error: member is listed twice in RoleAssignment 'ops'
                  hint: remove one
                  note: b.yaml:12:13: first listed here
                b.yaml:17:18: error: RoleAssignment 'ops-again' has the same displayName as 'ops' for the same role
                  hint: the portal names assignments within a role; make the displayName unique
                  note: b.yaml:8:18: 'ops' declared here
                b.yaml:26:18: error: duplicate RoleAssignment name 'ops'
                  hint: names are unique per kind; rename one of them
                  note: b.yaml:8:18: first declared here

                """)
    }
}
