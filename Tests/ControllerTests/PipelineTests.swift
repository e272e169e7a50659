import Foundation
import Logging
import PortalAPI
import PortalClient
import TestSupport
import Testing

@testable import Controller

/// The controller and the command line share one pipeline: what one does after an apply, the
/// other does too, and each says things in its own words.
@Suite("One reconcile pipeline")
struct PipelineTests {
    /// A folder declaring `count` room groups, pruned, under `guardLine`.
    private static func write(_ folder: URL, groups count: Int, guardLine: String) throws {
        try """
            apiVersion: roomkeeper/v1
            kind: Policy
            spec:
              prune: {roomGroups: true}
              \(guardLine)
            """.write(to: folder.appendingPathComponent("roomkeeper.yaml"), atomically: true, encoding: .utf8)
        let groups = (0..<count).map { index in
            "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: group-\(index)}\nspec: {displayName: Group \(index), rooms: [\(TestTenant.room(0))]}\n"
        }
        try groups.joined(separator: "---\n").write(to: folder.appendingPathComponent("groups.yaml"), atomically: true, encoding: .utf8)
    }

    private static func controller(_ folder: URL, portal: RunningPortal) -> Controller {
        let url = portal.url
        return Controller(
            configuration: ControllerConfiguration(
                origin: .init(folder: folder.path), cacheFolder: folder.appendingPathComponent("cache"),
                stateFolder: folder.appendingPathComponent("state"), interval: .seconds(3600), jitter: 0, selfHeal: true,
                openPortal: { HTTPPortalClient(baseURL: url, token: "admin-token", http: RunningPortal.testClient) }),
            logger: Logger(label: "test"))
    }

    @Test("A self-heal that prunes most of a kind counts its own deletions: the drift pass after it does not stall")
    func healThenDrift() async throws {
        let folder = try temporaryFolder("roomkeeper-pipeline")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.write(folder, groups: 8, guardLine: "deletionGuard: {maxDeletes: 100, maxDeletePercent: 100}")
        try await RunningPortal.with(seed: TestTenant.seed(onboardingUnit: false), tokens: TestTenant.tokens) { portal in
            let controller = Self.controller(folder, portal: portal)
            await controller.reconcile()
            #expect(await controller.status.condition == .ready)

            try Self.write(folder, groups: 2, guardLine: "deletionGuard: {maxDeletes: 100, maxDeletePercent: 100}")
            await controller.reconcile()
            let status = await controller.status
            #expect(status.condition == .ready && status.reason == .healed, "\(status.reason): \(status.message)")
            #expect(try await portal.client(token: "admin-token").roomGroupsBesidesDefault().filter { $0.resource.managedBy != nil }.count == 2)
        }
    }

    @Test("/status explains a refused plan in the controller's terms, never with a command-line flag")
    func statusWords() async throws {
        let folder = try temporaryFolder("roomkeeper-pipeline")
        defer { try? FileManager.default.removeItem(at: folder) }
        try Self.write(folder, groups: 6, guardLine: "deletionGuard: {maxDeletes: 100, maxDeletePercent: 100}")
        try await RunningPortal.with(seed: TestTenant.seed(onboardingUnit: false), tokens: TestTenant.tokens) { portal in
            let controller = Self.controller(folder, portal: portal)
            await controller.reconcile()
            try Self.write(folder, groups: 0, guardLine: "deletionGuard: {maxDeletes: 1, maxDeletePercent: 10}")
            await controller.reconcile()
            let status = await controller.status
            #expect(status.condition == .stalled && status.reason == .planRefused)
            #expect(status.message.contains("the plan deletes 6 objects; the deletion guard allows 1"), "\(status.message)")
            #expect(status.message.contains("raise deletionGuard in roomkeeper.yaml"))
            #expect(!status.message.contains("--"), "a flag the controller does not have: \(status.message)")
        }
    }
}
