import Foundation
import Manifests
import PortalAPI
import PortalModel
import Reconciler
import TestSupport
import Testing

@Suite("Declared main units against Intune and Autopilot")
struct DeviceRegistryCheckTests {
    private let now = Date(timeIntervalSince1970: 1_796_000_000)

    private func declared() -> ManifestSet {
        let devices = [
            ("lon-3a-compute", "conf-lon-3a@x.com", "SN-1", "teamsRoom", "Lenovo"),
            ("lon-3b-compute", "conf-lon-3b@x.com", "SN-2", "teamsRoom", "Dell"),
            ("par-1a-compute", "conf-par-1a@x.com", "SN-3", "teamsRoom", "Lenovo"),
            ("par-1b-bar", "conf-par-1b@x.com", "SN-4", "collaborationBar", "Poly"),
            ("lon-3a-console", "conf-lon-3a@x.com", "SN-5", "touchConsole", "Logitech"),
            ("sea-1a-compute", "conf-sea-1a@x.com", "SN-6", "teamsRoom", ""),
        ]
        let yaml = devices.map { name, room, serial, type, maker in
            """
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: \(name)}
            spec: {room: \(room), serialNumber: \(serial), deviceType: \(type)\(maker.isEmpty ? "" : ", manufacturer: \(maker)")}
            """
        }.joined(separator: "\n---\n")
        let result = ManifestLoader.load(from: MemoryTree(files: ["devices.yaml": Array(yaml.utf8)]))
        #expect(!result.diagnostics.hasErrors, "\(result.diagnostics)")
        return result.manifests
    }

    private func registry() -> DeviceRegistry {
        DeviceRegistry(
            managed: [
                RegisteredDevice(
                    id: "m1", name: "MTR-LON-3A", serialNumber: "sn-1", manufacturer: "LENOVO", model: nil, operatingSystem: "Windows",
                    lastSync: now.addingTimeInterval(-3600), compliance: "compliant", account: "conf-lon-3a@x.com"),
                RegisteredDevice(
                    id: "m2", name: "MTR-LON-3B", serialNumber: "SN-2", manufacturer: "Dell Inc.", model: nil, operatingSystem: "Windows",
                    lastSync: now.addingTimeInterval(-100 * 3600), compliance: "compliant", account: "conf-lon-3b@x.com"),
                RegisteredDevice(
                    id: "m3", name: "BAR-PAR-1B", serialNumber: "SN-4", manufacturer: "Poly", model: nil, operatingSystem: "Android",
                    lastSync: now, compliance: "compliant", account: "conf-par-1b@x.com"),
                RegisteredDevice(
                    id: "m4", name: "HUB-PAR-1A", serialNumber: "SN-9", manufacturer: "Microsoft", model: nil, operatingSystem: "Windows",
                    lastSync: now, compliance: "compliant", account: "conf-par-1a@x.com"),
                RegisteredDevice(
                    id: "m5", name: "LAPTOP", serialNumber: "SN-8", manufacturer: "HP", model: nil, operatingSystem: "Windows",
                    lastSync: now, compliance: "compliant", account: "ann@x.com"),
                RegisteredDevice(
                    id: "m6", name: "SEA-A", serialNumber: "SN-6", manufacturer: "Lenovo", model: nil, operatingSystem: "Windows",
                    lastSync: now, compliance: "compliant", account: "conf-sea-1a@x.com"),
                RegisteredDevice(
                    id: "m7", name: "SEA-B", serialNumber: "SN-6", manufacturer: "HP", model: nil, operatingSystem: "Windows",
                    lastSync: now, compliance: "compliant", account: "bob@x.com"),
                // A Windows console deployed with Autopilot self-deploying: no primary user, so no account.
                RegisteredDevice(
                    id: "m8", name: "MTR-PAR-2A", serialNumber: "SN-10", manufacturer: "Lenovo", model: nil, operatingSystem: "Windows",
                    lastSync: now, compliance: "compliant", account: nil),
            ],
            autopilot: [
                AutopilotRegistration(id: "a1", serialNumber: "SN-1", manufacturer: "Lenovo", model: nil, groupTag: "MTR-London"),
                AutopilotRegistration(id: "a2", serialNumber: "SN-1", manufacturer: "HP", model: nil, groupTag: "Office"),
                AutopilotRegistration(id: "a3", serialNumber: "SN-2", manufacturer: "Dell", model: nil, groupTag: "Kiosk"),
                AutopilotRegistration(id: "a4", serialNumber: "SN-10", manufacturer: "Lenovo", model: nil, groupTag: "MTR-Paris"),
            ])
    }

    @Test("Each finding says what Intune or Autopilot shows and what to do, matched by maker and serial number")
    func findings() {
        var live = LiveState()
        live.connect(
            TenantDirectory(
                rooms: ["conf-lon-3a@x.com", "conf-lon-3b@x.com", "conf-par-1a@x.com", "conf-par-1b@x.com", "conf-sea-1a@x.com"].map {
                    // Paris 1B's account holds Teams Shared Devices, which licenses panels, not Teams Rooms.
                    DirectoryRoom(email: $0, displayName: $0, licence: $0 == "conf-par-1b@x.com" ? .shared : .pro)
                },
                devices: registry()))
        let plan = Planner.plan(declared: declared(), live: live, source: "test", portal: "test", now: now)
        func found(_ code: Finding.Code) -> [String] { plan.findings.filter { $0.code == code }.map { "\($0.target.name): \($0.message)" }.sorted() }
        #expect(found(.deviceNotRegistered) == ["par-1a-compute: not registered: neither Intune nor Windows Autopilot has lenovo serial number SN-3"])
        #expect(found(.deviceOffline) == ["lon-3b-compute: offline: MTR-LON-3B last synced with Intune 100 hours ago (2026-11-25T20:53:20Z)"])
        #expect(
            found(.groupTagInvalid) == [
                "lon-3b-compute: its Autopilot group tag is 'Kiosk', which does not start with MTR-: the Teams Rooms Autopilot profile, and with it Autologin, will not apply"
            ])
        #expect(
            found(.deviceUndeclared) == [
                "sn-10: Windows Autopilot has lenovo serial number SN-10 with the Teams Rooms group tag MTR-Paris, which git does not declare",
                "sn-9: Intune has HUB-PAR-1A (microsoft serial number SN-9) signed in as conf-par-1a@x.com, which git does not declare",
            ], "a Windows console with no Intune primary user is found by its MTR- group tag")
        #expect(
            found(.roomLicencedAsSharedDevice) == [
                "par-1b-bar: conf-par-1b@x.com holds Microsoft Teams Shared Devices (MCOCAP), which licenses Teams panels and phones, "
                    + "not a Teams Rooms system like its collaborationBar"
            ])
        #expect(found(.deviceAmbiguous).count == 1, "a serial number two makers share, with no maker declared")
        #expect(found(.deviceAmbiguous).first?.hasPrefix("sea-1a-compute: Intune and Autopilot have 2 devices") == true)
        #expect(plan.findings.first { $0.code == .deviceOffline }?.severity == .info, "health, not drift")
        #expect(!plan.findings.contains { $0.target.name == "lon-3a-console" && $0.code == .deviceNotRegistered }, "peripherals are not registered")
    }

    @Test("An unreadable device source has no count, so it is never taken for an empty fleet; one that shrank blocks the plan")
    func inventoryGuard() {
        func live(devices: Int?) -> LiveState {
            var state = LiveState()
            state.connect(
                TenantDirectory(
                    rooms: (0..<10).map { DirectoryRoom(email: "room\($0)@x.com", displayName: "Room \($0)") },
                    devices: devices.map { count in
                        DeviceRegistry(
                            managed: (0..<count).map {
                                RegisteredDevice(
                                    id: "\($0)", name: "D\($0)", serialNumber: "SN\($0)", manufacturer: nil, model: nil, operatingSystem: nil,
                                    lastSync: now,
                                    compliance: nil, account: nil)
                            })
                    }))
            return state
        }
        let record = InventoryRecord(portal: "directory", live: live(devices: 10))
        #expect(record.counts["intuneDevices"] == 10)
        #expect(record.counts["roomMailboxes"] == 10)
        #expect(record.shrinkage(to: InventoryRecord(portal: "directory", live: live(devices: nil))).isEmpty)
        let blockers = record.shrinkage(to: InventoryRecord(portal: "directory", live: live(devices: 2)))
        #expect(blockers.count == 1)
        #expect(blockers.first?.facts.hasPrefix("the tenant's directory lists 2 intuneDevices, down from 10") == true)
    }
}

@Suite("Setting Autopilot group tags, when roomkeeper.yaml asks")
struct GroupTagPlanTests {
    @Test(
        "With devices.autopilotGroupTag, a Windows main unit with an empty or other MTR- tag gets a planned setGroupTag; another profile's tag only where git confirms it"
    )
    func plannedTag() throws {
        let yaml = """
            apiVersion: roomkeeper/v1
            kind: Policy
            spec:
              devices: {autopilotGroupTag: MTR-contoso}
            """
        let devices = """
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: lon-3a-compute}
            spec: {room: conf-lon-3a@x.com, serialNumber: SN-1, deviceType: teamsRoom, manufacturer: Lenovo}
            ---
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: lon-3b-compute}
            spec: {room: conf-lon-3b@x.com, serialNumber: SN-2, deviceType: teamsRoom, manufacturer: Dell}
            ---
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: lon-3c-compute}
            spec: {room: conf-lon-3c@x.com, serialNumber: SN-3, deviceType: teamsRoom, manufacturer: Dell}
            ---
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: lon-3d-compute}
            spec: {room: conf-lon-3d@x.com, serialNumber: SN-4, deviceType: teamsRoom, manufacturer: HP, replacesGroupTag: Kiosk}
            ---
            apiVersion: roomkeeper/v1
            kind: Device
            metadata: {name: lon-3e-compute}
            spec: {room: conf-lon-3e@x.com, serialNumber: SN-5, deviceType: teamsRoom, manufacturer: HP, replacesGroupTag: Kiosk}
            """
        let result = ManifestLoader.load(from: MemoryTree(files: ["roomkeeper.yaml": Array(yaml.utf8), "devices.yaml": Array(devices.utf8)]))
        #expect(!result.diagnostics.hasErrors, "\(result.diagnostics)")
        var live = LiveState()
        live.connect(
            TenantDirectory(
                rooms: ["a", "b", "c", "d", "e"].map { DirectoryRoom(email: "conf-lon-3\($0)@x.com", displayName: $0) },
                devices: DeviceRegistry(autopilot: [
                    AutopilotRegistration(id: "ap-1", serialNumber: "SN-1", manufacturer: "Lenovo", model: nil, groupTag: "MTR-contoso"),
                    // A laptop's registration whose serial a manifest names by mistake: another profile's tag.
                    AutopilotRegistration(id: "ap-2", serialNumber: "SN-2", manufacturer: "Dell", model: nil, groupTag: "CORP-Secure-Baseline"),
                    AutopilotRegistration(id: "ap-3", serialNumber: "SN-3", manufacturer: "Dell", model: nil, groupTag: nil),
                    AutopilotRegistration(id: "ap-4", serialNumber: "SN-4", manufacturer: "HP", model: nil, groupTag: "Kiosk"),
                    // Confirmed for another tag than the one it has: not confirmed.
                    AutopilotRegistration(id: "ap-5", serialNumber: "SN-5", manufacturer: "HP", model: nil, groupTag: "Lobby-Signage"),
                ])))
        let plan = Planner.plan(declared: result.manifests, live: live, source: "test", portal: "test")
        let actions = plan.actions.filter { $0.type == .setGroupTag }
        #expect(actions.map(\.target.name) == ["lon-3c-compute", "lon-3d-compute"])
        #expect(actions.map(\.target.portalId) == ["ap-3", "ap-4"])
        // The plan shows the tag each replaces.
        #expect(
            actions.map(\.changes) == [
                [FieldChange(field: "groupTag", before: "", after: "MTR-contoso")],
                [FieldChange(field: "groupTag", before: "Kiosk", after: "MTR-contoso")],
            ])
        #expect(actions.allSatisfy { $0.payload == .autopilotGroupTag("MTR-contoso") })
        let kept = plan.findings.filter { $0.code == .groupTagOfAnotherProfile }
        #expect(kept.map(\.target.name) == ["lon-3b-compute", "lon-3e-compute"])
        #expect(kept.first?.message.contains("'CORP-Secure-Baseline', which belongs to another deployment profile") == true, "\(kept)")
        #expect(kept.first?.remedy.contains("spec.replacesGroupTag: CORP-Secure-Baseline") == true)
        #expect(!plan.findings.contains { $0.code == .groupTagInvalid }, "the plan fixes or names each; no second warning")
    }

    @Test("A group tag that does not start with MTR- is refused in roomkeeper.yaml")
    func refusedTag() {
        let yaml = "apiVersion: roomkeeper/v1\nkind: Policy\nspec:\n  devices: {autopilotGroupTag: Contoso-Rooms}\n"
        let result = ManifestLoader.load(from: MemoryTree(files: ["roomkeeper.yaml": Array(yaml.utf8)]))
        let error = result.diagnostics.first { $0.severity == .error }
        #expect(error?.message == "devices.autopilotGroupTag 'Contoso-Rooms' does not start with MTR-")
        #expect(error?.location?.description == "roomkeeper.yaml:4:32")
    }
}
