import Foundation
import Manifests
import PortalAPI
import PortalModel
import Reconciler
import TestSupport
import Testing

/// The planner's rules that follow the real portal: identities, rings, remote access, lock-out.
@Suite("Planning as the real portal behaves")
struct FidelityTests {
    private func declared(_ yaml: String) -> ManifestSet {
        let result = ManifestLoader.load(from: MemoryTree(files: ["m.yaml": Array(yaml.utf8)]))
        #expect(result.diagnostics.filter { $0.severity == .error }.isEmpty, "\(result.diagnostics)")
        return result.manifests
    }

    private func live() -> LiveState {
        var state = LiveState()
        state.rooms = [
            Tagged(
                PortalRoom(
                    id: "a@x.com", displayName: "A", email: "a@x.com", location: RoomLocation(country: "United Kingdom"), updateRingId: "general"),
                etag: "\"a\""),
            Tagged(
                PortalRoom(
                    id: "b@x.com", displayName: "B", email: "b@x.com", location: RoomLocation(country: "gb"), updateRingId: "general",
                    licence: "basic"), etag: "\"b\""),
            Tagged(
                PortalRoom(id: "c@x.com", displayName: "C", email: "c@x.com", location: RoomLocation(country: "FR"), updateRingId: "general"),
                etag: "\"c\""),
        ]
        state.roles = [
            Tagged(
                PortalRole(
                    id: "teams-rooms-pro-manager", displayName: "Teams Rooms Pro Manager", isBuiltIn: true,
                    permissions: BuiltInRole.teamsRoomsProManager.permissions.map(\.slug)), etag: "\"r1\"")
        ]
        state.updateRings = ["staging", "general", "executive"].map {
            Tagged(PortalUpdateRing(id: $0, displayName: $0.capitalized, order: 0, rolloutDays: 0, testDays: 0, isDefault: true), etag: "\"2\"")
        }
        state.users = [
            Tagged(DirectoryUser(id: "0001-ann", userPrincipalName: "ann.renamed@x.com", displayName: "Ann"), etag: "\"u1\""),
            Tagged(DirectoryUser(id: "0002-bot", userPrincipalName: "roomkeeper@x.com", displayName: "Roomkeeper"), etag: "\"u2\""),
        ]
        state.roleAssignments = [
            Tagged(
                PortalRoleAssignment(
                    id: "pm", roleId: "teams-rooms-pro-manager", displayName: "Pro managers",
                    members: [
                        PortalMember(kind: .user, id: "0001-ann"), PortalMember(kind: .user, id: "0002-bot"),
                    ], scope: PortalScope(allRooms: true)), etag: "\"pm\"")
        ]
        state.me = Me(userPrincipalName: "roomkeeper@x.com", permissions: [])
        state.tenantSettings = TenantSettings(remoteAccessEnabled: false)
        return state
    }

    private func plan(_ yaml: String, _ state: LiveState? = nil) -> Plan {
        Planner.plan(declared: declared(yaml), live: state ?? live(), source: "test", portal: "test portal")
    }

    private let proManagers = """
        apiVersion: roomkeeper/v1
        kind: RoleAssignment
        metadata: {name: pm}
        spec:
          role: builtin:teams-rooms-pro-manager
          displayName: Pro managers
          members: [{user: ann.renamed@x.com}, {user: roomkeeper@x.com}]
          scope: {allRooms: true}
        """

    @Test("Members are stored as object ids: a user renamed in the directory, named by the new UPN, changes nothing")
    func renamedUser() {
        let result = plan(proManagers.replacingOccurrences(of: "metadata: {name: pm}", with: "metadata: {name: pro-managers}"))
        let adoption = result.actions.filter { $0.target.kind == .manifest(.roleAssignment) }
        #expect(adoption.allSatisfy { !$0.changes.contains { $0.field == "members" } }, "\(adoption.map(\.changes))")
    }

    @Test("Removing Roomkeeper's own account, or the last Pro Manager assignment, is blocked with the reason")
    func lockOut() {
        var state = live()
        state.roleAssignments[0].resource.managedBy = Ownership.roomkeeper
        state.roleAssignments[0].resource.manifestName = "pm"
        let withoutSelf = plan(proManagers.replacingOccurrences(of: ", {user: roomkeeper@x.com}", with: ""), state)
        #expect(
            withoutSelf.blockers.contains {
                if case .selfLockOut(let account, let lost) = $0 {
                    account == "roomkeeper@x.com" && lost.contains("roleManagement.modify")
                } else {
                    false
                }
            })
        #expect(!withoutSelf.isApplyable)
        let policy = """
            ---
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata: {name: g}
            spec: {displayName: G, rooms: [a@x.com]}
            """
        var pruning = state
        pruning.me = nil
        let result = Planner.plan(
            declared: {
                let loaded = ManifestLoader.load(
                    from: MemoryTree(files: [
                        "m.yaml": Array(policy.utf8),
                        "roomkeeper.yaml": Array("apiVersion: roomkeeper/v1\nkind: Policy\nspec: {prune: {roleAssignments: true}}\n".utf8),
                    ]))
                return loaded.manifests
            }(), live: pruning, source: "test", portal: "test portal")
        #expect(result.actions.contains { $0.type == .delete && $0.target.kind == .manifest(.roleAssignment) })
        #expect(result.blockers.contains(.lastProManager))
        #expect(plan(proManagers, state).blockers.isEmpty, "keeping both is fine")
    }

    @Test("A selector's country matches the ISO code and the country name alike")
    func countryNames() {
        for country in ["GB", "United Kingdom", "united kingdom of great britain and northern ireland"] {
            let result = plan(
                """
                apiVersion: roomkeeper/v1
                kind: RoomGroup
                metadata: {name: uk}
                spec: {displayName: UK, selector: {location: {country: "\(country)"}}}
                """)
            let rooms = result.actions.first?.changes.first { $0.field == "rooms" }
            #expect(rooms == FieldChange(field: "rooms", added: ["a@x.com", "b@x.com"], removed: []), "\(country)")
        }
    }

    @Test("A room without Pro in a custom ring, and a remote-access role while the tenant has it off, are warnings")
    func ringLicenceAndRemoteAccess() {
        let result = plan(
            """
            apiVersion: roomkeeper/v1
            kind: UpdateRing
            metadata: {name: pilot}
            spec: {displayName: Pilot, order: 1, rolloutDays: 1, testDays: 1, rooms: [a@x.com, b@x.com]}
            ---
            apiVersion: roomkeeper/v1
            kind: Role
            metadata: {name: remote}
            spec: {displayName: Remote, permissions: [remoteAccess.view]}
            """)
        #expect(result.findings.map(\.code) == [.ringWithoutProLicence, .remoteAccessOff])
        #expect(result.findings.first?.message == "1 room without a Teams Rooms Pro licence: b@x.com (basic)")
    }

    @Test("An assignment granting remote access lists the rooms it cannot reach, those whose main unit is not on Windows 11")
    func remoteAccessReach() {
        var state = live()
        state.tenantSettings = TenantSettings(remoteAccessEnabled: true)
        state.devices = [
            Tagged(
                PortalDevice(id: "d1", serialNumber: "S1", deviceType: "teamsRoom", roomId: "a@x.com", operatingSystem: "Windows 10 IoT Enterprise"),
                etag: "\"d1\""),
            Tagged(
                PortalDevice(id: "d2", serialNumber: "S2", deviceType: "collaborationBar", roomId: "b@x.com", operatingSystem: "Android 12"),
                etag: "\"d2\""),
            Tagged(
                PortalDevice(id: "d3", serialNumber: "S3", deviceType: "teamsRoom", roomId: "c@x.com", operatingSystem: "Windows 11 IoT Enterprise"),
                etag: "\"d3\""),
            Tagged(
                PortalDevice(id: "d4", serialNumber: "S4", deviceType: "touchConsole", roomId: "c@x.com", operatingSystem: "Android 9"),
                etag: "\"d4\""),
        ]
        func plan(scope: String) -> Plan {
            self.plan(
                """
                apiVersion: roomkeeper/v1
                kind: RoomGroup
                metadata: {name: floor}
                spec: {displayName: Floor, rooms: [a@x.com, c@x.com]}
                ---
                apiVersion: roomkeeper/v1
                kind: Role
                metadata: {name: remote}
                spec: {displayName: Remote, permissions: [remoteAccess.modify]}
                ---
                apiVersion: roomkeeper/v1
                kind: RoleAssignment
                metadata: {name: engineers}
                spec: {role: remote, displayName: Engineers, members: [{user: ann.renamed@x.com}], scope: \(scope)}
                """, state)
        }
        let everywhere = plan(scope: "{allRooms: true}")
        #expect(everywhere.findings.map(\.code) == [.remoteAccessUnreachable], "the tenant has it on: no remoteAccessOff")
        #expect(
            everywhere.findings.first?.message
                == "grants Remote Access to 2 rooms it cannot reach, not Windows 11: a@x.com (Windows 10 IoT Enterprise), b@x.com (Android 12)")
        #expect(plan(scope: "{rooms: [c@x.com]}").findings.isEmpty, "a peripheral's system does not count")
        let byGroup = plan(scope: "{roomGroups: [floor], rooms: [b@x.com]}")
        #expect(
            byGroup.findings.first { $0.code == .remoteAccessUnreachable }?.message
                == "grants Remote Access to 2 rooms it cannot reach, not Windows 11: a@x.com (Windows 10 IoT Enterprise), b@x.com (Android 12)",
            "the group's rooms and the listed ones")
    }

    @Test("Two live devices with the declared serial and no manufacturer to tell them apart match neither; a manufacturer settles it")
    func duplicateSerials() {
        var state = live()
        state.rooms[0].resource.enrollmentState = "onboarding"
        state.devices = [
            Tagged(PortalDevice(id: "d1", serialNumber: "SN-1", deviceType: "teamsRoom", manufacturer: "Lenovo", roomId: "a@x.com"), etag: "\"d1\""),
            Tagged(PortalDevice(id: "d2", serialNumber: "sn-1", deviceType: "teamsRoom", manufacturer: "Dell", roomId: "c@x.com"), etag: "\"d2\""),
        ]
        func device(_ manufacturer: String) -> String {
            """
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: unit}
            spec: {room: a@x.com, serialNumber: "SN-1", deviceType: teamsRoom\(manufacturer)}
            """
        }
        let ambiguous = plan(device(""), state)
        #expect(ambiguous.findings.map(\.code) == [.deviceAmbiguous])
        #expect(ambiguous.findings.first?.message.contains("Lenovo") == true && ambiguous.findings.first?.message.contains("Dell") == true)
        #expect(ambiguous.actions.isEmpty)
        let settled = plan(device(", manufacturer: lenovo"), state)
        #expect(settled.findings.isEmpty, "\(settled.findings)")
        #expect(settled.actions.map(\.id.description) == ["enroll Device/unit"])
        #expect(settled.actions.first?.target.portalId == "a@x.com")
    }
}
