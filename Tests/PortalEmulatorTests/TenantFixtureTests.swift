import Foundation
import Manifests
import PortalAPI
import PortalEmulator
import TestSupport
import Testing

@Suite("Tenant fixtures and the embedded portal")
struct TenantFixtureTests {
    @Test("The built-in example tenant loads cleanly and matches examples/contoso's rooms")
    func exampleTenant() throws {
        let (seed, diagnostics) = try TenantSeed.contoso()
        #expect(diagnostics.isEmpty)
        #expect(seed.rooms.count == 41, "examples/contoso's 40, and the Lyon room git does not declare")
        #expect(seed.devices.count == 71)
        #expect(seed.administrators.contains(EmbeddedPortal.exampleServiceAccount))
        let declared = ManifestLoader.load(from: DirectoryTree(root: examples("contoso"))).manifests
        #expect(Set(seed.rooms.map(\.email)) == Set(declared.devices.map(\.room.value)).union(["conf-lyo-1a@contoso.com"]))
    }

    @Test("A broken fixture is reported with file, line and column, as manifests are")
    func brokenFixture() throws {
        let folder = try temporaryFolder("roomkeeper-fixture")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("tenant.yaml").path
        try """
        administrators: [admin@contoso.com]
        users:
          - {userPrincipalName: admin@contoso.com, displayName: Admin, grups: [x]}
        devices:
          - {serialNumber: 00123, deviceType: teamsRoom}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let (_, diagnostics) = try TenantSeed.load(path: path, displayPath: "tenant.yaml")
        #expect(
            diagnostics.map { "\($0.location?.description ?? ""): \($0.message)" } == [
                "tenant.yaml:3:64: unknown field 'grups' in user",
                "tenant.yaml:5:20: 'devices[0].serialNumber' must be a string, not the number 00123",
            ])
    }

    @Test("The embedded portal starts from the example tenant, applies RBAC as its service account, and keeps its writes")
    func embeddedPortal() async throws {
        let folder = try temporaryFolder("roomkeeper-embedded")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("portal.sqlite").path
        let portal = try await EmbeddedPortal.open(path: path)
        #expect(portal.endpointDescription == "embedded portal (\(path))")
        #expect(try await portal.list(PortalRoom.self).count == 41)
        #expect(try await portal.list(PortalDevice.self).count == 71)
        #expect(try await portal.me().userPrincipalName == EmbeddedPortal.exampleServiceAccount)
        let created = try await portal.create(
            PortalRoomGroup(id: "", displayName: "Kept", roomIds: ["conf-lon-3a@contoso.com"], managedBy: Ownership.roomkeeper),
            idempotencyKey: "k")
        let reopened = try await EmbeddedPortal.open(path: path)
        #expect(try await reopened.get(PortalRoomGroup.self, id: created.resource.id) == created)
        #expect(try await reopened.list(PortalRoom.self).count == 41)
    }
}
