import Foundation
import Manifests
import PortalAPI
import PortalModel
import Reconciler
import TestSupport
import Testing

/// With no portal API the checklist takes access away too: what a person confirmed is what the
/// portal holds, and what git no longer asks for becomes a removal step, access first.
@Suite("The checklist takes away what git no longer declares")
struct ChecklistRemovalTests {
    private let directory = TenantDirectory(
        users: ["ann", "bob", "cy"].map { DirectoryUser(id: "u-\($0)", userPrincipalName: "\($0)@x.com", displayName: $0, accountEnabled: true) },
        groups: [DirectoryGroup(id: "g-fac", displayName: "Facilities", mail: "fac@x.com", securityEnabled: true)],
        rooms: ["a", "b", "c"].map { DirectoryRoom(email: "room-\($0)@x.com", displayName: "Room \($0.uppercased())", licence: .pro) },
        roomLists: [])

    private static let everything: [String: String] = [
        "group": """
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: lobby}
        spec: {displayName: Lobby, rooms: [room-a@x.com, room-b@x.com]}
        """,
        "role": """
        apiVersion: roomkeeper/v1
        kind: Role
        metadata: {name: av}
        spec: {displayName: AV engineer, permissions: [roomManagement.view, roomActions.readWrite, remoteAccess.modify]}
        """,
        "assignment": """
        apiVersion: roomkeeper/v1
        kind: RoleAssignment
        metadata: {name: leads}
        spec:
          role: builtin:site-lead
          displayName: Site leads
          members: [{user: ann@x.com}, {user: bob@x.com}, {group: fac@x.com}]
          scope: {roomGroups: [lobby], rooms: [room-c@x.com]}
        """,
        "ring": """
        apiVersion: roomkeeper/v1
        kind: UpdateRing
        metadata: {name: pilot}
        spec: {displayName: Pilot, order: 1, rolloutDays: 1, testDays: 1, rooms: [room-c@x.com]}
        """,
        "device": """
        apiVersion: roomkeeper/v1
        kind: Device
        metadata: {name: room-c-compute}
        spec: {room: room-c@x.com, serialNumber: SN-C, deviceType: teamsRoom}
        """,
    ]

    private func checklist(_ files: [String: String], history: [String: Checklist.Confirmed] = [:]) -> Checklist {
        let loaded = ManifestLoader.load(from: MemoryTree(files: files.mapValues { Array($0.utf8) }))
        #expect(!loaded.diagnostics.hasErrors, "\(loaded.diagnostics)")
        let plan = DirectoryCheck.plan(declared: loaded.manifests, directory: directory, source: "test")
        return Checklist.make(
            plan: plan, declared: loaded.manifests, live: LiveState(directory: directory), confirmed: Set(history.keys), history: history)
    }

    /// Every step of `files`' checklist, confirmed as done by a person.
    private func confirmedAll(_ files: [String: String]) -> [String: Checklist.Confirmed] {
        var history: [String: Checklist.Confirmed] = [:]
        for (index, step) in checklist(files).steps.enumerated() {
            history[step.id] = Checklist.Confirmed(
                target: step.target.description, title: step.title, navigation: step.navigation, values: step.values,
                at: Date(timeIntervalSince1970: 1_800_000_000 + Double(index)))
        }
        return history
    }

    @Test("Once every step is confirmed and git is unchanged, nothing is left")
    func nothingLeft() {
        let history = confirmedAll(Self.everything)
        let left = checklist(Self.everything, history: history)
        #expect(left.steps.isEmpty, "\(left.steps.map(\.title))")
        #expect(left.confirmed == history.count)
    }

    @Test("A member dropped from an assignment is a removal step that comes before any grant")
    func droppedMember() throws {
        let history = confirmedAll(Self.everything)
        var files = Self.everything
        files["assignment"] = files["assignment"]?.replacingOccurrences(of: "{user: bob@x.com}, ", with: "")
        let steps = checklist(files, history: history).steps
        let removal = try #require(steps.first)
        #expect(removal.title == "Take away from the assignment Site leads what git no longer lists", "\(steps.map(\.title))")
        #expect(removal.navigation == ["Settings", "Roles", "Site Lead", "Assignments", "Site leads", "Edit"])
        #expect(removal.values == [Checklist.Value(label: "Remove member (user)", value: "bob@x.com")])
        #expect(steps.dropFirst().first?.title == "Assign Site Lead: Site leads", "the assignment as git has it now, after the removal")
        #expect(steps.count == 2)
    }

    @Test("A whole assignment removed from git is a step to delete it, first")
    func deletedAssignment() throws {
        let history = confirmedAll(Self.everything)
        var files = Self.everything
        files["assignment"] = nil
        let steps = checklist(files, history: history).steps
        #expect(steps.map(\.title) == ["Delete the assignment Site leads"])
        #expect(steps.first?.navigation == ["Settings", "Roles", "Site Lead", "Assignments", "Site leads", "Delete"])
    }

    @Test("A permission dropped from a custom role, and a role removed from git, are removal steps")
    func rolePermissions() throws {
        let history = confirmedAll(Self.everything)
        var files = Self.everything
        files["role"] = files["role"]?.replacingOccurrences(of: ", remoteAccess.modify", with: "")
        let steps = checklist(files, history: history).steps
        let removal = try #require(steps.first)
        #expect(removal.title == "Take away from the custom role AV engineer what git no longer lists")
        #expect(removal.navigation == ["Settings", "Roles", "AV engineer", "Edit"])
        #expect(removal.values.map(\.label) == ["Remove permission"] && removal.values.first?.value.contains("Remote") == true, "\(removal.values)")

        files["role"] = nil
        #expect(checklist(files, history: history).steps.first?.title == "Delete the custom role AV engineer")
    }

    @Test("A room dropped from a room group or a scope, a removed group, ring, ring membership and enrollment are all stepped, access first")
    func roomsRingsAndEnrollment() throws {
        let history = confirmedAll(Self.everything)
        var files = Self.everything
        files["group"] = files["group"]?.replacingOccurrences(of: ", room-b@x.com", with: "")
        files["assignment"] = files["assignment"]?.replacingOccurrences(of: ", rooms: [room-c@x.com]", with: "")
        let steps = checklist(files, history: history).steps
        let titles = steps.map(\.title)
        let scope = try #require(steps.first { $0.title.hasPrefix("Take away from the assignment Site leads") })
        #expect(scope.values.map(\.label) == ["Remove scope (room)"])
        let rooms = try #require(steps.first { $0.title.hasPrefix("Take away from the room group Lobby") })
        #expect(rooms.values == [Checklist.Value(label: "Remove room", value: "room-b@x.com")])
        #expect(try #require(titles.firstIndex(of: scope.title)) < #require(titles.firstIndex(of: rooms.title)), "access goes first: \(titles)")

        files = Self.everything
        files["ring"] = nil
        files["device"] = nil
        files["group"] = nil
        files["assignment"] = files["assignment"]?.replacingOccurrences(of: "roomGroups: [lobby], ", with: "")
        let gone = checklist(files, history: history).steps.map(\.title)
        #expect(gone.contains("Delete the update ring Pilot"), "\(gone)")
        #expect(gone.contains("Delete the room group Lobby"))
        #expect(gone.contains { $0.hasPrefix("Put Room C (room-c@x.com) back in the update ring General") })
        #expect(gone.contains { $0.hasPrefix("Remove Room C (room-c@x.com) from the portal's managed rooms") })
    }

    @Test("A confirmed removal is not asked again")
    func confirmedRemoval() throws {
        var history = confirmedAll(Self.everything)
        var files = Self.everything
        files["assignment"] = nil
        let removal = try #require(checklist(files, history: history).steps.first)
        #expect(removal.removal == true)
        history[removal.id] = Checklist.Confirmed(
            target: removal.target.description, title: removal.title, navigation: removal.navigation, values: removal.values,
            at: Date(timeIntervalSince1970: 1_900_000_000), removal: true)
        #expect(checklist(files, history: history).steps.isEmpty)
    }
}
