import Foundation
import Logging
import PortalAPI
import PortalClient
import Reconciler
import StateStore
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

    /// The deletion guard of most tests: out of the way.
    private static let looseGuard = "deletionGuard: {maxDeletes: 100, maxDeletePercent: 100}"

    /// Runs `body` with a self-healing controller over a folder declaring `groups` room groups,
    /// against a real portal; the folder is removed after.
    private static func withController(
        groups: Int, _ body: (Controller, RunningPortal, URL) async throws -> Void
    ) async throws {
        let folder = try temporaryFolder("roomkeeper-pipeline")
        defer { try? FileManager.default.removeItem(at: folder) }
        try write(folder, groups: groups, guardLine: looseGuard)
        try await RunningPortal.with(seed: TestTenant.seed(onboardingUnit: false), tokens: TestTenant.tokens) { portal in
            let url = portal.url
            let controller = Controller(
                configuration: .testing(.folder(folder.path), root: folder, portalURL: url),
                logger: Logger(label: "test"))
            try await body(controller, portal, folder)
        }
    }

    @Test("A self-heal that prunes most of a kind counts its own deletions: the drift pass after it does not stall")
    func healThenDrift() async throws {
        try await Self.withController(groups: 8) { controller, portal, folder in
            await controller.reconcile()
            #expect(await controller.status.condition == .ready)

            try Self.write(folder, groups: 2, guardLine: Self.looseGuard)
            await controller.reconcile()
            let status = await controller.status
            #expect(status.condition == .ready && status.reason == .healed, "\(status.reason): \(status.message)")
            #expect(try await portal.client(token: "admin-token").roomGroupsBesidesDefault().filter { $0.resource.managedBy != nil }.count == 2)
        }
    }

    @Test("An apply cut off earlier is reviewed by the next pass even when the portal already matches git")
    func reviewsInterruptedApply() async throws {
        try await Self.withController(groups: 2) { controller, portal, folder in
            await controller.reconcile()
            #expect(await controller.status.condition == .ready)
            // What a crash leaves: a journal that started and never ended.
            let journals = folder.appendingPathComponent("state/journal")
            let journal = try ApplyJournal(folder: journals, planId: "cut-off")
            await journal.record(.started, portal: HTTPPortalClient.endpointDescription(baseURL: portal.url))
            #expect(ApplyJournal.interrupted(in: journals).map(\.planId) == ["cut-off"])

            await controller.reconcile()
            let status = await controller.status
            #expect(status.condition == .ready && status.reason == .inSync, "\(status.reason): \(status.message)")
            #expect(ApplyJournal.interrupted(in: journals).isEmpty, "the cut-off run is reviewed and its journal closed")
        }
    }

    @Test("/status explains a refused plan in the controller's terms, never with a command-line flag")
    func statusWords() async throws {
        try await Self.withController(groups: 6) { controller, _, folder in
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
