import Foundation
import GitSource
import Logging
import PortalAPI
import PortalClient
import Reconciler
import TestSupport
import Testing

@testable import Controller

@Suite("The controller and signed revisions")
struct SignedRevisionTests {
    private static func group(_ name: String) -> String {
        "apiVersion: roomkeeper/v1\nkind: RoomGroup\nmetadata: {name: \(name)}\nspec: {displayName: \(name), rooms: [\(TestTenant.room(0))]}\n"
    }

    @Test("An unsigned push stalls the controller with UnverifiedRevision and the last applied revision stands; a signed one heals")
    func stallsAndRecovers() async throws {
        let keys = try await SigningKeys.make()
        defer { keys.remove() }
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        let signed = try await fixture.signedCommit("tenants", "Add first", files: ["a.yaml": Self.group("first")], signer: .ssh("alice"), keys: keys)
        try await RunningPortal.with(seed: TestTenant.seed(), tokens: TestTenant.tokens) { portal in
            let url = portal.url
            let controller = Controller(
                configuration: .testing(
                    .git(GitOrigin(url: "file://" + fixture.exports.appendingPathComponent("tenants.git").path)),
                    root: fixture.root, portalURL: url, trust: SignatureTrust(allowedSigners: keys.allowedSigners.path)),
                logger: Logger(label: "test"))
            let client = portal.client(token: "admin-token")

            await controller.reconcile()
            #expect(await controller.status.lastAppliedRevision == signed)
            #expect(try await client.roomGroupsBesidesDefault().compactMap(\.resource.manifestName) == ["first"])

            let unsigned = try await fixture.signedCommit("tenants", "Add second", files: ["b.yaml": Self.group("second")], signer: nil, keys: keys)
            await controller.reconcile()
            let stalled = await controller.status
            #expect(stalled.condition == .stalled && stalled.reason == .unverifiedRevision, "\(stalled)")
            #expect(stalled.message.contains("commit \(unsigned.prefix(12)) is not signed"))
            #expect(stalled.lastAppliedRevision == signed)
            #expect(try await client.roomGroupsBesidesDefault().compactMap(\.resource.manifestName) == ["first"], "nothing unverified was applied")

            let resigned = try await fixture.signedCommit("tenants", "Sign it", files: ["c.yaml": "# signed\n"], signer: .ssh("alice"), keys: keys)
            await controller.reconcile()
            let healed = await controller.status
            #expect(healed.lastAppliedRevision == resigned, "\(healed)")
            #expect(Set(try await client.roomGroupsBesidesDefault().compactMap(\.resource.manifestName)) == ["first", "second"])
        }
    }

    @Test("A rollback to an older signed commit stalls the controller with HistoryRewritten; nothing it would undo is undone")
    func rollbackStalls() async throws {
        let keys = try await SigningKeys.make()
        defer { keys.remove() }
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        let older = try await fixture.signedCommit("tenants", "Add first", files: ["a.yaml": Self.group("first")], signer: .ssh("alice"), keys: keys)
        let newer = try await fixture.signedCommit(
            "tenants", "Add second", files: ["b.yaml": Self.group("second")], signer: .ssh("alice"), keys: keys)
        try await RunningPortal.with(seed: TestTenant.seed(), tokens: TestTenant.tokens) { portal in
            let url = portal.url
            let configuration = ControllerConfiguration.testing(
                .git(GitOrigin(url: "file://" + fixture.exports.appendingPathComponent("tenants.git").path)),
                root: fixture.root, portalURL: url, trust: SignatureTrust(allowedSigners: keys.allowedSigners.path))
            let controller = Controller(configuration: configuration, logger: Logger(label: "test"))
            let client = portal.client(token: "admin-token")
            await controller.reconcile()
            #expect(await controller.status.lastAppliedRevision == newer)

            try await fixture.resetMain("tenants", to: older)
            await controller.reconcile()
            let stalled = await controller.status
            #expect(stalled.condition == .stalled && stalled.reason == .historyRewritten, "\(stalled)")
            #expect(
                stalled.message.contains("commit \(older.prefix(12)), which does not descend from commit \(newer.prefix(12))"), "\(stalled.message)")
            #expect(
                Set(try await client.roomGroupsBesidesDefault().compactMap(\.resource.manifestName)) == ["first", "second"],
                "the rollback was not applied")

            // A restarted controller remembers: the record is in the state folder.
            let restarted = Controller(configuration: configuration, logger: Logger(label: "test"))
            await restarted.reconcile()
            #expect(await restarted.status.reason == .historyRewritten)

            var accepting = configuration
            accepting.acceptedRewrite = older
            let accepted = Controller(configuration: accepting, logger: Logger(label: "test"))
            await accepted.reconcile()
            let acceptedStatus = await accepted.status
            #expect(acceptedStatus.lastAppliedRevision == older, "\(acceptedStatus)")
        }
    }
}
