import Foundation
import Manifests
import PortalAPI
import PortalModel
import Reconciler
import TestSupport
import Testing

/// Checking manifests against the tenant's directory (Microsoft Graph), alone and in a plan.
@Suite("Checking manifests against the tenant's directory")
struct DirectoryCheckTests {
    private func declared(_ yaml: String) -> ManifestSet {
        let result = ManifestLoader.load(from: MemoryTree(files: ["m.yaml": Array(yaml.utf8)]))
        #expect(!result.diagnostics.hasErrors, "\(result.diagnostics)")
        return result.manifests
    }

    private let directory = TenantDirectory(
        users: [
            DirectoryUser(id: "u-ann", userPrincipalName: "ann@x.com", displayName: "Ann", accountEnabled: true),
            DirectoryUser(id: "u-bob", userPrincipalName: "bob@x.com", displayName: "Bob", accountEnabled: false),
        ],
        groups: [
            DirectoryGroup(id: "g-leads-1", displayName: "Leads", mail: "leads@x.com", securityEnabled: true),
            DirectoryGroup(id: "g-leads-2", displayName: "Leads", mail: "leads-old@x.com", securityEnabled: true),
            DirectoryGroup(id: "g-all", displayName: "All Staff", mail: "all@x.com", securityEnabled: false),
        ],
        rooms: [
            DirectoryRoom(
                email: "lon-a@x.com", displayName: "London A",
                location: RoomLocation(country: "United Kingdom", city: "London", building: "Tower", floor: "3"),
                roomLists: ["london@x.com"], licence: .pro),
            DirectoryRoom(
                email: "lon-b@x.com", displayName: "London B",
                location: RoomLocation(country: "United Kingdom", city: "London", building: "Tower", floor: "4"),
                roomLists: ["london@x.com"], licence: .basic),
            DirectoryRoom(
                email: "par-a@x.com", displayName: "Paris A", location: RoomLocation(country: "France", city: "Paris"), roomLists: ["paris@x.com"],
                licence: .pro),
        ],
        roomLists: [
            DirectoryRoomList(email: "london@x.com", displayName: "London rooms"),
            DirectoryRoomList(email: "paris@x.com", displayName: "Paris rooms"),
        ])

    private let manifests = """
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: london}
        spec:
          displayName: London
          selector: {roomList: London rooms}
        ---
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: tower-floor-3}
        spec:
          displayName: Tower floor 3
          selector: {location: {building: Tower, floor: "3"}}
        ---
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: berlin}
        spec:
          displayName: Berlin
          selector: {roomList: berlin@x.com}
        ---
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: misc}
        spec:
          displayName: Misc
          rooms: [par-a@x.com, ann@x.com]
          selector: {location: {city: Atlantis}}
        ---
        apiVersion: roomkeeper/v1
        kind: RoleAssignment
        metadata: {name: leads}
        spec:
          role: builtin:site-lead
          displayName: Leads
          members: [{user: ann@x.com}, {user: bob@x.com}, {user: carol@x.com}, {group: Leads}, {group: all@x.com}]
          scope: {roomGroups: [london]}
        ---
        apiVersion: roomkeeper/v1
        kind: UpdateRing
        metadata: {name: pilot}
        spec:
          displayName: Pilot
          order: 2
          rolloutDays: 2
          testDays: 2
          roomGroups: [london]
        """

    @Test("Every member, room, room list, selector and ring licence is checked, each at its file, line and column")
    func findings() throws {
        let findings = DirectoryCheck.findings(declared: declared(manifests), directory: directory)
        func at(_ code: Finding.Code) -> [String] {
            findings.filter { $0.code == code }.map { "\($0.location?.description ?? "-") \($0.message)" }.sorted()
        }
        #expect(at(.memberDisabled) == ["m.yaml:36:32 user bob@x.com's account is disabled in the directory"])
        #expect(at(.memberNotInDirectory) == ["m.yaml:36:51 user carol@x.com is not in the directory"])
        #expect(at(.memberAmbiguous).count == 1)
        #expect(at(.memberAmbiguous).first?.contains("leads@x.com") == true)
        #expect(
            at(.groupNotSecurityEnabled) == [
                "m.yaml:36:88 group All Staff <all@x.com> (g-all) is not a security group; the portal assigns roles to security groups only"
            ])
        #expect(at(.roomNotRoomMailbox) == ["m.yaml:27:24 ann@x.com is not a room mailbox in the tenant's directory"])
        #expect(at(.roomListUnknown) == ["m.yaml:20:24 the directory has no room list with the address or name 'berlin@x.com'"])
        #expect(at(.selectorMatchesNothing) == ["m.yaml:24:18 the selector matches no room in the inventory"])
        #expect(at(.ringWithoutProLicence).count == 1)
        #expect(at(.ringWithoutProLicence).first?.contains("lon-b@x.com (basic)") == true)
        #expect(findings.allSatisfy { Finding.Code.directoryChecks.contains($0.code!) })
    }

    @Test("In a plan, the directory's rooms take their places and licences, and a room list selects its rooms")
    func plan() throws {
        var live = LiveState()
        live.rooms = ["lon-a@x.com", "lon-b@x.com", "par-a@x.com"].map {
            Tagged(PortalRoom(id: $0, displayName: $0, email: $0, updateRingId: "general", licence: .known(.pro)), etag: "\"1\"")
        }
        live.updateRings = ["staging", "general", "executive"].map {
            Tagged(PortalUpdateRing(id: $0, displayName: $0.capitalized, order: 0, rolloutDays: 0, testDays: 0, isDefault: true), etag: "\"2\"")
        }
        live.connect(directory)
        #expect(live.rooms[1].resource.licence == .known(.basic))
        #expect(live.rooms[0].resource.location.building == "Tower")
        let plan = Planner.plan(declared: declared(manifests), live: live, source: "test", portal: "test portal")
        func rooms(_ name: String) -> [String]? {
            guard case .roomGroup(let group) = plan.actions.first(where: { $0.target.name == name })?.payload else { return nil }
            return group.roomIds
        }
        #expect(rooms("london") == ["lon-a@x.com", "lon-b@x.com"])
        #expect(rooms("tower-floor-3") == ["lon-a@x.com"])
        #expect(!plan.isApplyable, "a disabled member and an unknown room list are errors")
    }

    @Test("Without a directory, a selector by room list is an error that says what it needs")
    func roomListNeedsDirectory() {
        var live = LiveState()
        live.rooms = [Tagged(PortalRoom(id: "lon-a@x.com", displayName: "A", email: "lon-a@x.com", updateRingId: "general"), etag: "\"1\"")]
        let plan = Planner.plan(
            declared: declared(
                """
                apiVersion: roomkeeper/v1
                kind: RoomGroup
                metadata: {name: london}
                spec:
                  displayName: London
                  selector: {roomList: London rooms}
                """), live: live, source: "test", portal: "test portal")
        let finding = plan.findings.first { $0.code == .roomListNeedsDirectory }
        #expect(finding?.severity == .error)
        #expect(finding?.location?.description == "m.yaml:6:24")
        #expect(finding?.remedy.contains("Microsoft Graph") == true)
    }

    @Test("In a cloud without Places room checks are left out with a note, never failed; a cloud without the portal or remote access says so")
    func nationalClouds() {
        var dod = directory
        dod.rooms = []
        dod.roomLists = []
        dod.cloud = CloudOffering(name: "usgov-dod", places: false, proManagementPortal: false, remoteAccess: false)
        let yaml =
            manifests + """

                ---
                apiVersion: roomkeeper/v1
                kind: Role
                metadata: {name: remote}
                spec: {displayName: Remote, permissions: [remoteAccess.modify]}
                """
        let plan = DirectoryCheck.plan(declared: declared(yaml), directory: dod, source: "test")
        let codes = plan.findings.compactMap(\.code)
        #expect(!codes.contains(.roomNotRoomMailbox) && !codes.contains(.roomListUnknown), "\(plan.findings.map(\.message))")
        let roomErrors = plan.findings.filter { $0.severity == .error && $0.target.kind == .manifest(.roomGroup) }
        #expect(roomErrors.isEmpty, "\(roomErrors.map(\.message))")
        #expect(plan.findings.contains { $0.code == .roomsNotObservable && $0.severity == .info && $0.message.contains("has no Places") })
        #expect(
            plan.findings.contains { $0.code == .roomsNotObservable && $0.severity == .warning && $0.message.contains("London rooms") },
            "a room list selector cannot be resolved, and says why")
        #expect(plan.findings.contains { $0.code == .portalNotInCloud && $0.message.contains("commercial, GCC and GCC High only") })
        #expect(plan.findings.contains { $0.code == .remoteAccessOff && $0.message.contains("does not offer (not in GCC, GCC High or DoD)") })
    }
}
