import Foundation
import GraphAPI
import GraphClient
import GraphEmulator
import Logging
import PortalAPI
import PortalClient
import PortalEmulator
import TestSupport
import Testing

@testable import Controller

/// The controller with the tenant's directory: one reader for its life, so later passes read
/// only what changed, at low priority; a change in the directory reaches the next pass.
@Suite("The controller with the tenant's directory")
struct DirectoryControllerTests {
    private static let secret = "controller-secret-value"

    /// The Graph side of `TestTenant`: the same people (with the portal fixture's object ids),
    /// its group and rooms.
    private static func directory() -> GraphTenant {
        let people = [TestTenant.administrator, TestTenant.siteLead, TestTenant.nobody]
        return GraphTenant(
            tenantId: TestDirectory.tenantId, apps: [GraphTenant.App(clientId: TestDirectory.clientId, secrets: [.init(value: secret)])],
            users: people.map { GraphTenant.User(id: TenantSeed.userId($0), userPrincipalName: $0, displayName: $0) },
            groups: [GraphTenant.Group(id: TenantSeed.groupId("sg-leads"), displayName: "sg-leads", members: [TestTenant.siteLead])],
            rooms: (0..<3).map { GraphTenant.Room(email: TestTenant.room($0), displayName: "Room \($0)") })
    }

    @Test("Later passes read the directory by delta at low priority, and see a member disabled in between")
    func deltaPasses() async throws {
        let folder = try temporaryFolder("roomkeeper-controller-graph")
        defer { try? FileManager.default.removeItem(at: folder) }
        try """
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: first-rooms}
        spec: {displayName: First rooms, rooms: [\(TestTenant.room(0))]}
        ---
        apiVersion: roomkeeper/v1
        kind: RoleAssignment
        metadata: {name: leads}
        spec:
          role: builtin:site-lead
          displayName: Leads
          members: [{user: \(TestTenant.siteLead)}]
          scope: {roomGroups: [first-rooms]}
        """.write(to: folder.appendingPathComponent("manifests.yaml"), atomically: true, encoding: .utf8)
        let graph = try await RunningGraph.start(tenant: Self.directory())
        defer { Task { await graph.stop() } }
        try await RunningPortal.with(seed: TestTenant.seed(onboardingUnit: false), tokens: TestTenant.tokens) { portal in
            let url = portal.url
            let controller = Controller(
                configuration: .testing(
                    .folder(folder.path), root: folder, portalURL: url, interval: .seconds(60),
                    directory: GraphDirectoryReader(session: try graph.session(.secret(ClientSecret(Self.secret)), priority: .low))),
                logger: Logger(label: "test"))

            await controller.reconcile()
            let first = await controller.status
            #expect(first.condition == .ready, "\(first.message)")
            #expect(first.reason == .healed)
            let firstPass = graph.store.httpRequestCount

            await controller.reconcile()
            let second = await controller.status
            #expect(second.condition == .ready, "\(second.reason) \(second.message)")
            let secondPass = graph.store.httpRequestCount - firstPass
            // In sync, one read a pass (the drift check; nothing to heal), by delta: users, groups, four role reads.
            #expect(secondPass == 2 + 4, "\(secondPass) requests")
            #expect(graph.store.lowPriorityRequests == graph.store.httpRequestCount, "every request marked low priority")

            var lead = try #require(graph.store.user(named: TestTenant.siteLead))
            lead.accountEnabled = false
            graph.store.put(lead)
            await controller.reconcile()
            let third = await controller.status
            #expect(third.condition == .stalled)
            #expect(third.reason == .planRefused)
            #expect(third.message.contains("\(TestTenant.siteLead)'s account is disabled in the directory"), "\(third.message)")
        }
    }

    @Test("A refused sign-in stalls the controller with AccessDenied instead of retrying")
    func refusedSignIn() async throws {
        let folder = try temporaryFolder("roomkeeper-controller-graph")
        defer { try? FileManager.default.removeItem(at: folder) }
        try "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: g}\nspec: {displayName: G, rooms: [\(TestTenant.room(0))]}\n"
            .write(to: folder.appendingPathComponent("g.yaml"), atomically: true, encoding: .utf8)
        let graph = try await RunningGraph.start(tenant: Self.directory())
        defer { Task { await graph.stop() } }
        try await RunningPortal.with(seed: TestTenant.seed(onboardingUnit: false), tokens: TestTenant.tokens) { portal in
            let url = portal.url
            let controller = Controller(
                configuration: .testing(
                    .folder(folder.path), root: folder, portalURL: url, interval: .seconds(60), mode: .report,
                    directory: GraphDirectoryReader(session: try graph.session(.secret(ClientSecret("not-the-secret"))))),
                logger: Logger(label: "test"))
            await controller.reconcile()
            let status = await controller.status
            #expect(status.condition == .stalled)
            #expect(status.reason == .accessDenied)
            #expect(status.message.contains("AADSTS7000215"))
            #expect(!status.message.contains("not-the-secret"))
        }
    }
}
