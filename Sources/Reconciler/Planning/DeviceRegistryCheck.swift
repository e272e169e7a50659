import Foundation
import Manifests
import PortalAPI
import PortalModel

/// Checks the rooms' main units the manifests declare against what Microsoft really knows of
/// them: Intune's managed devices and Windows Autopilot's registrations, matched by
/// manufacturer and serial number (serial numbers alone are not unique, Microsoft warns:
/// learn.microsoft.com/microsoftteams/rooms/bring-your-own-device).
///
/// Reports a unit registered nowhere (what a person on site must do), one that has not synced
/// within the grace period (health, a note, not drift), an Autopilot group tag that keeps the
/// Teams Rooms Autopilot profile (and with it Autologin) from applying (it must start with `MTR-`,
/// learn.microsoft.com/microsoftteams/rooms/autopilot-autologin), and a Teams Rooms device git
/// does not declare. Such a device is found as the portal finds it: a Windows console by its
/// Autopilot registration's `MTR-` group tag, since consoles deploy with Autopilot self-deploying,
/// where "Intune doesn't automatically configure a primary user" (memdocs self-deploying), so
/// Intune's `userPrincipalName` is empty; an Android device by the resource account it signs in
/// with. Pure.
struct DeviceRegistryCheck {
    let registry: DeviceRegistry
    /// The room mailboxes' addresses: a managed device signed in as one is a Teams Rooms device.
    let roomAccounts: Set<String>
    let grace: TimeInterval
    let now: Date
    /// The group tag roomkeeper.yaml asks Roomkeeper to set; nil to report wrong tags only.
    let wantedGroupTag: String?

    /// A registration whose group tag Roomkeeper is to change.
    struct TagChange {
        let device: Device
        let registration: AutopilotRegistration
    }

    /// The group tag prefix the Teams Rooms Autopilot deployment profile is assigned by.
    static let teamsRoomsGroupTagPrefix = "MTR-"

    func findings(for devices: [Device]) -> [Finding] { check(devices).findings }

    /// The findings, and the group tags to set when roomkeeper.yaml names one.
    func check(_ devices: [Device]) -> (findings: [Finding], tagChanges: [TagChange]) {
        let managedBySerial = Dictionary(grouping: registry.managed, by: { $0.serialNumber.uppercased() })
        let autopilotBySerial = Dictionary(grouping: registry.autopilot, by: { $0.serialNumber.uppercased() })
        var findings: [Finding] = []
        var tagChanges: [TagChange] = []
        var matched: Set<String> = []
        var matchedRegistrations: Set<String> = []
        for device in devices where device.isRoomUnit {
            let target = ObjectReference(kind: .manifest(.device), name: device.metadata.name.value)
            let location = device.metadata.name.location
            let serial = device.serialNumber.value.uppercased()
            let managed = (managedBySerial[serial] ?? []).filter { Self.sameMaker(device.manufacturer, $0.manufacturer) }
            let autopilot = (autopilotBySerial[serial] ?? []).filter { Self.sameMaker(device.manufacturer, $0.manufacturer) }
            // Candidates count as declared either way: an ambiguity is not an undeclared device.
            matched.formUnion(managed.map(\.id))
            matchedRegistrations.formUnion(autopilot.map(\.id))
            guard managed.count <= 1, autopilot.count <= 1 else {
                findings.append(
                    Finding(
                        .deviceAmbiguous, severity: .warning, target: target,
                        message:
                            "Intune and Autopilot have \(managed.count + autopilot.count) devices with serial number \(device.serialNumber.value): "
                            + (managed.map { "\($0.manufacturer ?? "unknown maker") \($0.model ?? "") (Intune)" }
                            + autopilot.map { "\($0.manufacturer ?? "unknown maker") \($0.model ?? "") (Autopilot)" }).joined(separator: "; "),
                        remedy: "give spec.manufacturer so Roomkeeper can tell them apart", location: location))
                continue
            }
            let identity = HardwareIdentity(manufacturer: device.manufacturer, serialNumber: device.serialNumber.value)
            guard managed.first != nil || autopilot.first != nil else {
                findings.append(
                    Finding(
                        .deviceNotRegistered, severity: .warning, target: target,
                        message: "not registered: neither Intune nor Windows Autopilot has \(identity)",
                        remedy: device.deviceType == .teamsRoom
                            ? "on site: import the device's hardware hash into Windows Autopilot with a group tag starting MTR-, then deploy it"
                            : "on site: sign the device in with \(device.room.value) so that it enrolls in Intune",
                        location: location))
                continue
            }
            if let unit = managed.first {
                if let synced = unit.lastSync, now.timeIntervalSince(synced) > grace {
                    let hours = Int(now.timeIntervalSince(synced) / 3600)
                    findings.append(
                        Finding(
                            .deviceOffline, severity: .info, target: target,
                            message:
                                "offline: \(unit.name) last synced with Intune \(hours) hours ago (\(ISO8601DateFormatter().string(from: synced)))",
                            remedy: "check that it is powered on and online; this is health, not drift", location: location))
                }
            }
            if device.deviceType == .teamsRoom, let registration = autopilot.first, let wanted = wantedGroupTag, registration.groupTag != wanted {
                // A tag of another profile (not empty, not MTR-) is someone else's: replaced only
                // where git names it on this very device.
                let current = registration.groupTag ?? ""
                if current.isEmpty || current.uppercased().hasPrefix(Self.teamsRoomsGroupTagPrefix) || device.replacesGroupTag == current {
                    tagChanges.append(TagChange(device: device, registration: registration))
                } else {
                    findings.append(
                        Finding(
                            .groupTagOfAnotherProfile, severity: .warning, target: target,
                            message: "its Autopilot registration has the group tag '\(current)', which belongs to another deployment profile "
                                + "than Teams Rooms; Roomkeeper does not replace it with \(wanted)",
                            remedy: "check that \(identity) is this room's console; if it is, confirm the change on this Device with "
                                + "spec.replacesGroupTag: \(current)", location: location))
                }
            } else if device.deviceType == .teamsRoom, let registration = autopilot.first,
                registration.groupTag?.uppercased().hasPrefix(Self.teamsRoomsGroupTagPrefix) != true
            {
                findings.append(
                    Finding(
                        .groupTagInvalid, severity: .warning, target: target,
                        message: "its Autopilot group tag is \(registration.groupTag.map { "'\($0)'" } ?? "empty"), which does not start with MTR-: "
                            + "the Teams Rooms Autopilot profile, and with it Autologin, will not apply",
                        remedy: "set a group tag starting with MTR- in Intune (Devices > Windows > Enrollment > Devices), "
                            + "or name one in roomkeeper.yaml (devices.autopilotGroupTag) for apply to set", location: location))
            }
        }
        var reportedSerials: Set<String> = []
        for registration in registry.autopilot where !matchedRegistrations.contains(registration.id) {
            guard let tag = registration.groupTag, tag.uppercased().hasPrefix(Self.teamsRoomsGroupTagPrefix) else { continue }
            reportedSerials.insert(registration.serialNumber.uppercased())
            findings.append(
                Finding(
                    .deviceUndeclared, severity: .warning,
                    target: ObjectReference(kind: .manifest(.device), name: registration.serialNumber.lowercased()),
                    message:
                        "Windows Autopilot has \(HardwareIdentity(manufacturer: registration.manufacturer, serialNumber: registration.serialNumber)) "
                        + "with the Teams Rooms group tag \(tag), which git does not declare",
                    remedy: "declare it as the Device of its room (a Windows console has no Intune primary user, so its group tag is what marks it), "
                        + "or clear its group tag in Intune if it is no Teams Rooms console"))
        }
        for unit in registry.managed where !matched.contains(unit.id) && !reportedSerials.contains(unit.serialNumber.uppercased()) {
            guard let account = unit.account, roomAccounts.contains(account) else { continue }
            findings.append(
                Finding(
                    .deviceUndeclared, severity: .warning,
                    target: ObjectReference(kind: .manifest(.device), name: unit.serialNumber.lowercased()),
                    message: "Intune has \(unit.name) (\(HardwareIdentity(manufacturer: unit.manufacturer, serialNumber: unit.serialNumber))) "
                        + "signed in as \(account), which git does not declare",
                    remedy: "declare it as a Device of \(account), or retire it in Intune"))
        }
        return (findings, tagChanges)
    }

    /// Whether a registry's maker is the declared one: any when none is declared; else the same
    /// name, or one the start of the other ("Dell" and "Dell Inc."), in any case.
    static func sameMaker(_ declared: String?, _ registered: String?) -> Bool {
        guard let declared = declared?.lowercased(), !declared.isEmpty, let registered = registered?.lowercased(), !registered.isEmpty
        else { return true }
        return registered.hasPrefix(declared) || declared.hasPrefix(registered)
    }
}
