import Foundation
import Manifests
import PortalAPI
import PortalModel

// The planner's devices: enrollment to plan, and the declared units checked against Intune and
// Windows Autopilot.

extension Planner {
    /// Devices are matched by manufacturer and serial number. A room's main unit carries the
    /// room's enrollment, which apply changes; peripherals are checked for presence only.
    /// With Intune's and Autopilot's devices read, checks the declared main units against them.
    mutating func checkDeviceRegistry(now: Date) {
        noteCloudLimits()
        guard let directory = live.directory else { return }
        warnAboutSharedDeviceLicences(directory)
        guard let registry = directory.devices else {
            if declared.devices.contains(where: \.isRoomUnit) {
                resolver.findings.append(
                    Finding(
                        .devicesNotObservable, severity: .info, target: ObjectReference(kind: .manifest(.device), name: "*"),
                        message: "Intune and Windows Autopilot could not be read, so the declared main units were not checked against them",
                        remedy: "grant the app DeviceManagementManagedDevices.Read.All and DeviceManagementServiceConfig.Read.All, with admin consent"
                    ))
            }
            return
        }
        let wanted = declared.policy.autopilotGroupTag?.value
        let check = DeviceRegistryCheck(
            registry: registry, roomAccounts: Set(directory.rooms.map(\.email)),
            grace: TimeInterval(declared.policy.deviceGraceHours) * 3600, now: now, wantedGroupTag: wanted)
        let (findings, tagChanges) = check.check(declared.devices)
        resolver.findings += findings
        for change in tagChanges {
            guard let wanted else { continue }
            actions.append(
                (
                    PlanStage.devices.order,
                    PlannedAction(
                        type: .setGroupTag,
                        target: ObjectReference(kind: .manifest(.device), name: change.device.metadata.name.value, portalId: change.registration.id),
                        reason: "roomkeeper.yaml asks for the Autopilot group tag \(wanted)",
                        changes: [FieldChange(field: "groupTag", before: change.registration.groupTag ?? "", after: wanted)],
                        payload: .autopilotGroupTag(wanted))
                ))
        }
    }

    mutating func planDevices() {
        var seen: Set<String> = []
        for device in declared.devices {
            let target = reference(.device, device.metadata.name.value)
            // Formatted only for a finding: most devices have none.
            var location: SourceLocation? { device.metadata.name.location }
            let declaredRoom = device.room.value.lowercasedIfNeeded
            let candidates = context.devices.matches(device)
            guard candidates.count <= 1 else {
                seen.formUnion(candidates.map(\.resource.id))
                resolver.findings.append(
                    Finding(
                        .deviceAmbiguous, severity: .warning, target: target,
                        message: "\(candidates.count) devices in the portal have serial number \(device.serialNumber.value): "
                            + candidates.map {
                                "\($0.resource.manufacturer ?? "unknown maker") \($0.resource.model ?? "") in \($0.resource.roomId ?? "no room")"
                            }
                            .joined(separator: "; "),
                        remedy: "give spec.manufacturer so Roomkeeper can tell them apart; until then it matches neither", location: location))
                continue
            }
            guard let current = candidates.first else {
                resolver.findings.append(
                    device.deviceType.enrollsItself
                        ? Finding(
                            .deviceMissing, severity: .warning, target: target,
                            message: "missing: no \(device.deviceType.rawValue) with serial number \(device.serialNumber.value) has checked in",
                            remedy: EnrollmentWords.signIn(device.deviceType, room: device.room.value),
                            location: location)
                        : Finding(
                            .peripheralMissing, severity: .warning, target: target,
                            message:
                                "missing: the room's main unit does not report a \(device.deviceType.rawValue) with serial number \(device.serialNumber.value)",
                            remedy: "connect it to \(declaredRoom)'s main unit (peripherals carry no agent; the main unit reports them)",
                            location: location))
                continue
            }
            seen.insert(current.resource.id)
            if current.resource.roomId != declaredRoom {
                resolver.findings.append(
                    Finding(
                        .deviceInWrongRoom,
                        severity: .warning, target: target,
                        message: "reports from room \(current.resource.roomId ?? "(none)"), not \(declaredRoom)",
                        remedy: "move the device to \(declaredRoom), or correct spec.room in the manifest", location: location))
                continue
            }
            // A room the portal shows no agent for has nothing to enroll or unenroll yet.
            guard let wanted = device.roomEnrollment, let room = context.room(declaredRoom),
                let state = room.resource.enrollmentState?.rawValue, state != wanted.rawValue
            else { continue }
            var roomTarget = target
            roomTarget.portalId = room.resource.id
            actions.append(
                (
                    PlanStage.devices.order,
                    PlannedAction(
                        type: wanted == .enrolled ? .enroll : .unenroll, target: roomTarget,
                        reason: "room \(room.resource.id) is \(state); the manifest asks for \(wanted.rawValue)",
                        changes: [FieldChange(field: "enrollment", before: state, after: wanted.rawValue)], fingerprint: room.etag)
                ))
        }
        for device in live.devices where !seen.contains(device.resource.id) {
            unmanaged.append(ObjectReference(kind: .manifest(.device), name: device.resource.serialNumber, portalId: device.resource.id))
        }
    }
}
