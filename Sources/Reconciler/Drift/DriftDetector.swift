import Foundation
import Manifests
import PortalAPI
import PortalModel

/// Turns a plan into a drift report: each action becomes a difference between git and the
/// portal, classified by cause and given its remedies; devices are judged against their grace
/// period; the history supplies since when each item has existed. Pure and linear in the plan
/// and the portal's size.
public struct DriftDetector {
    /// Flapping: an item that appeared this many times in the remembered checks is noise.
    public static let noiseAppearances = 3
    /// How long the snooze snippet in a report puts an item off.
    public static let suggestedSnoozeDays = 7

    let declared: ManifestSet
    let live: LiveState
    let memory: DriftMemory
    /// The portal user Roomkeeper acts as: its own writes are not a person's.
    let reconcilerIdentity: String?
    let now: Date

    /// How long devices may take to converge, from the policy.
    private var grace: TimeInterval { TimeInterval(declared.policy.deviceGraceHours) * 3600 }
    /// Who last wrote each live object, and where each manifest is declared: built when a report
    /// first needs them, so a check that finds nothing does not index the whole tenant.
    private let lookups: Lookups

    /// `deletions`: the portal audit log's deletions, so that an object a person deleted is
    /// reported as their edit; empty when the log cannot be read (then such an object is convergence).
    public init(
        declared: ManifestSet, live: LiveState, memory: DriftMemory, reconcilerIdentity: String?, deletions: [AuditEntry] = [], now: Date = Date()
    ) {
        self.declared = declared
        self.live = live
        self.memory = memory
        self.reconcilerIdentity = reconcilerIdentity?.lowercased()
        self.now = now
        lookups = Lookups(declared: declared, live: live, deletions: deletions)
    }

    private final class Lookups {
        let declared: ManifestSet
        let live: LiveState

        let deletions: [AuditEntry]

        init(declared: ManifestSet, live: LiveState, deletions: [AuditEntry]) {
            self.declared = declared
            self.live = live
            self.deletions = deletions
        }

        /// The last deletion of each managed object, by "collection/manifest name".
        lazy var lastDeletions: [String: AuditEntry] = {
            var last: [String: AuditEntry] = [:]
            for entry in deletions.sorted(by: { $0.sequence < $1.sequence }) {
                if let name = entry.deletedManifestName { last["\(entry.collection)/\(name)"] = entry }
            }
            return last
        }()

        /// Live objects by kind and portal id.
        lazy var stamps: [ObjectKind: [String: any ModificationStamped]] = {
            func byId(_ items: [Tagged<some PortalResource & ModificationStamped>]) -> [String: any ModificationStamped] {
                Dictionary(items.map { ($0.resource.id, $0.resource as any ModificationStamped) }, uniquingKeysWith: { first, _ in first })
            }
            return [
                .manifest(.roomGroup): byId(live.roomGroups), .manifest(.role): byId(live.roles),
                .manifest(.roleAssignment): byId(live.roleAssignments), .manifest(.updateRing): byId(live.updateRings), .room: byId(live.rooms),
            ]
        }()

        /// Where each manifest is declared.
        lazy var locations: [ObjectKey: String] = Dictionary(
            declared.all.compactMap { manifest in manifest.metadata.name.location.map { (ObjectKey(manifest), $0.description) } },
            uniquingKeysWith: { first, _ in first })
    }

    private var locations: [ObjectKey: String] { lookups.locations }
    private var stamps: [ObjectKind: [String: any ModificationStamped]] { lookups.stamps }

    /// The report for `plan`, and the pending devices the history should keep following.
    public func report(for plan: Plan) -> (report: DriftReport, pending: [DriftHistoryEntry.Tracked.Key: Date]) {
        report(for: plan, devices: devices())
    }

    /// The report for `plan`, given what `devices()` found, which needs no plan: a caller may
    /// judge the devices while the plan is made.
    public func report(for plan: Plan, devices: DeviceFindings) -> (report: DriftReport, pending: [DriftHistoryEntry.Tracked.Key: Date]) {
        let items = (plan.actions.map(item(for:)) + devices.items).map(classifyNoise)
            .sorted { ($0.target, $0.state.rawValue) < ($1.target, $1.state.rawValue) }

        let (active, snoozed, snoozeNotes) = applySnoozes(items)
        let needsPerson = plan.findings.filter { $0.severity != .info && $0.code != .deviceMissing }
        let notes = plan.findings.filter { $0.severity == .info } + snoozeNotes
        let report = DriftReport(
            generatedAt: now, source: plan.source, sourceRevision: plan.sourceRevision, origin: plan.origin, portal: plan.portal,
            items: active, snoozed: snoozed, devices: devices.statuses, needsPerson: needsPerson, notes: notes,
            unmanaged: plan.unmanaged.filter { $0.kind != .manifest(.device) })
        return (report, devices.pending)
    }

    // MARK: - Plan actions

    private func item(for action: PlannedAction) -> DriftItem {
        let target = action.target
        let location = locations[target.key]
        switch action.type {
        case .create:
            if let deletion = deletion(of: target) {
                return make(
                    .missing, .manual, target, "deleted in the portal by \(deletion.actor) on \(deletion.time.formatted(.iso8601))", action.changes,
                    location, adopt: false, byHand: "or remove its manifest from git if the object should stay deleted", changedBy: deletion.actor)
            }
            return make(
                .missing, .convergence, target, "declared in git, not in the portal", action.changes, location,
                adopt: false, byHand: "or remove its manifest from git if the object should not exist")
        case .delete:
            return make(
                .unexpected, .convergence, target, "created by Roomkeeper and no longer declared in git", [], location,
                adopt: true)
        case .update:
            let adopting = action.changes.contains { $0.field == "managedBy" }
            let (cause, explanation, person) =
                adopting
                ? (DriftItem.Cause.convergence, "made by hand in the portal; git declares it and apply would adopt it", nil)
                : writer(of: target, kind: target.kind)
            return make(.changed, cause, target, explanation, action.changes, location, adopt: true, changedBy: person)
        case .moveToRing:
            let (cause, explanation, person) = writer(of: target, kind: .room)
            return make(.changed, cause, target, explanation, action.changes, location, adopt: false, changedBy: person)
        case .setGroupTag:
            return make(
                .changed, .convergence, target, "its Autopilot group tag is not the one roomkeeper.yaml names; apply sets it",
                action.changes, location, adopt: false)
        case .enroll, .unenroll:
            let state = action.changes.first?.before ?? ""
            guard state == "onboarding" else {
                return make(
                    .changed, .manual, target, "\(state) in the portal; git declares it \(action.changes.first?.after ?? "")",
                    action.changes, location, adopt: false)
            }
            var item = make(
                .changed, .convergence, target, "the room's main unit checked in and the room waits in onboarding; apply enrolls it", action.changes,
                location, adopt: false)
            if now.timeIntervalSince(item.since) >= grace {
                item.explanation = "stuck in onboarding for \(declared.policy.deviceGraceHours) hours or more; apply enrolls it"
                item.remedies.removeAll { if case .byHand = $0 { true } else { false } }
                item.remedies.append(
                    .byHand(
                        instructions: "if the room stays in onboarding after apply, check on site that the device is signed in to Teams "
                            + "with the room's resource account and that the account holds a Teams Rooms Pro licence"))
            }
            return item
        }
    }

    /// A person's deletion of the object `target` names, when the audit log's last deletion of
    /// it was not Roomkeeper's own (a prune, before git declared it again).
    private func deletion(of target: ObjectReference) -> AuditEntry? {
        guard case .manifest(let kind) = target.kind, let entry = lookups.lastDeletions["\(kind.collectionName)/\(target.name)"],
            entry.actor.lowercased() != reconcilerIdentity
        else { return nil }
        return entry
    }

    /// Who wrote a live object last, as a cause: a person (named), or Roomkeeper itself (git moved on).
    private func writer(of target: ObjectReference, kind: ObjectKind) -> (DriftItem.Cause, String, person: String?) {
        guard let id = target.portalId, let stamp = stamps[kind]?[id], let writer = stamp.lastModifiedBy else {
            return (.convergence, "differs from git; the portal does not say who changed it last", nil)
        }
        let when = stamp.lastModifiedDateTime.map { " on \($0.formatted(.iso8601))" } ?? ""
        if writer.lowercased() == reconcilerIdentity {
            return (.convergence, "git changed since Roomkeeper last wrote it\(when); apply brings the portal up to date", nil)
        }
        return (.manual, "changed in the portal by \(writer)\(when)", writer)
    }

    // MARK: - Devices

    /// What the devices say, apart from the plan: drift items, health, and what is pending.
    public struct DeviceFindings: Sendable {
        var items: [DriftItem]
        var statuses: [DeviceStatus]
        var pending: [DriftHistoryEntry.Tracked.Key: Date]
    }

    /// Declared devices not seen (pending within the grace period, missing after it), main
    /// units of enrolled rooms that are offline, and every main unit enrolled or in onboarding
    /// that git does not declare: in a room with no declared unit, and a second one in a room
    /// that has one. Peripherals are reported for presence only.
    public func devices() -> DeviceFindings {
        var items: [DriftItem] = []
        var statuses: [DeviceStatus] = []
        var pending: [DriftHistoryEntry.Tracked.Key: Date] = [:]
        let index = DeviceIndex(live.devices)
        let roomStates = Dictionary(live.rooms.map { ($0.resource.id, $0.resource.enrollmentState) }, uniquingKeysWith: { first, _ in first })
        var matched: Set<String> = []
        for device in declared.devices {
            let target = ObjectReference(kind: .manifest(.device), name: device.metadata.name.value)
            let serial = device.serialNumber.value
            let room = device.room.value.lowercasedIfNeeded
            let candidates = index.matches(device)
            for candidate in candidates { matched.insert(candidate.resource.id) }
            guard let current = candidates.first else {
                let fingerprint = DriftItem.fingerprint(state: .missing, target: target, changes: [])
                let since = memory.since(fingerprint) ?? now
                if now.timeIntervalSince(since) < grace {
                    pending[.init(fingerprint: fingerprint, target: target.description)] = since
                    statuses.append(
                        DeviceStatus(
                            target: target, status: .pending, serialNumber: serial, room: room, since: since,
                            message: device.deviceType.enrollsItself
                                ? "not checked in yet; reported missing after \(declared.policy.deviceGraceHours) hours"
                                : "not reported by the room's main unit yet; reported missing after \(declared.policy.deviceGraceHours) hours"))
                } else if device.deviceType.enrollsItself {
                    items.append(
                        make(
                            .missing, .convergence, target,
                            "no \(device.deviceType.rawValue) with serial number \(serial) has checked in for \(declared.policy.deviceGraceHours) hours or more",
                            [],
                            locations[target.key], revertable: false, adopt: false,
                            byHand: EnrollmentWords.signIn(device.deviceType, room: room)))
                } else {
                    items.append(
                        make(
                            .missing, .convergence, target,
                            "the main unit of \(room) has not reported a \(device.deviceType.rawValue) with serial number \(serial) for \(declared.policy.deviceGraceHours) hours or more",
                            [], locations[target.key], revertable: false, adopt: false,
                            byHand: "connect it to the room's main unit and check it there; peripherals carry no agent of their own"))
                }
                continue
            }
            if candidates.count == 1, roomStates[room] == .known(.enrolled), current.resource.connectivity == .known(.disconnected) {
                statuses.append(
                    DeviceStatus(
                        target: target, status: .offline, serialNumber: serial, room: room, since: current.resource.lastSeen,
                        message: device.deviceType.enrollsItself
                            ? "its room is enrolled but the agent is not reporting; check its power and network on site"
                            : "not connected; check its cable and the room's main unit on site"))
            }
        }
        var declaredUnits: [String: String] = [:]
        for device in declared.devices where device.isRoomUnit {
            declaredUnits[device.room.value.lowercasedIfNeeded] = declaredUnits[device.room.value.lowercasedIfNeeded] ?? device.metadata.name.value
        }
        for tagged in live.devices where tagged.resource.deviceType.value?.enrollsItself == true && !matched.contains(tagged.resource.id) {
            let device = tagged.resource
            guard let room = device.roomId else { continue }
            let target = ObjectReference(kind: .manifest(.device), name: device.serialNumber, portalId: device.id)
            let identity = "\(device.deviceType.rawValue) \(device.serialNumber)"
            // A panel in the portal signed in and enrolled itself; it carries no room's enrollment.
            guard device.deviceType.value?.isRoomUnit == true else {
                items.append(
                    make(
                        .unexpected, .manual, target,
                        "a Teams panel of \(room) (\(identity)) enrolled itself in the portal, but is not declared in git", [],
                        nil, revertable: false, adopt: true, byHand: "or sign it out and Remove it in the portal if it should not be monitored"))
                continue
            }
            // A room has one main unit: another one beside the declared unit is a device nobody
            // declared, reporting from the room (a swap not recorded in git, or a stray install).
            if let declaredUnit = declaredUnits[room] {
                guard roomStates[room] == .known(.enrolled) || roomStates[room] == .known(.onboarding) else { continue }
                items.append(
                    make(
                        .unexpected, .manual, target,
                        "a second main unit in \(room), \(identity), reports to the portal; git declares \(declaredUnit) as the room's main unit", [],
                        nil, revertable: false, adopt: false,
                        byHand: "if it replaced \(declaredUnit), change that Device's serial number in git; otherwise sign it out of "
                            + "the room's account, or Remove it in the portal"))
                continue
            }
            switch roomStates[room] {
            case .known(.enrolled):
                items.append(
                    make(
                        .unexpected, .manual, target, "main unit of \(room) (\(identity)), which is enrolled in the portal, but not declared in git",
                        [],
                        nil, revertable: false, adopt: true, byHand: "or Remove the room in the portal if it should not be monitored"))
            case .known(.onboarding):
                // Someone installed the agent with the tenant's enrollment key: the room waits in
                // onboarding for an enrollment git does not ask for (enroll-a-device).
                items.append(
                    make(
                        .unexpected, .manual, target,
                        "main unit of \(room) (\(identity)), which checked in and waits in onboarding, but git does not declare it", [],
                        nil, revertable: false, adopt: true,
                        byHand:
                            "declare it in git to have apply enroll the room, or sign it out of the room's account if the room should not be managed")
                )
            default:
                continue
            }
        }
        return DeviceFindings(items: items, statuses: statuses, pending: pending)
    }

    // MARK: - Classification and snoozing

    private func make(
        _ state: DriftItem.State, _ cause: DriftItem.Cause, _ target: ObjectReference, _ explanation: String, _ changes: [FieldChange],
        _ location: String?, revertable: Bool = true, adopt: Bool, byHand: String? = nil, changedBy: String? = nil
    ) -> DriftItem {
        let fingerprint = DriftItem.fingerprint(state: state, target: target, changes: changes)
        return DriftItem(
            state: state, cause: cause, target: target, explanation: explanation, changedBy: changedBy, changes: changes,
            since: memory.since(fingerprint) ?? now, location: location,
            remedies: (revertable ? [.revert] : []) + (adopt ? [.adopt] : []) + [.snooze(until: suggestedSnoozeEnd)]
                + (byHand.map { [.byHand(instructions: $0)] } ?? []))
    }

    private func classifyNoise(_ item: DriftItem) -> DriftItem {
        guard memory.appearances(of: item.fingerprint) >= Self.noiseAppearances else { return item }
        var item = item
        item.cause = .noise
        item.explanation += " (it has come and gone \(memory.appearances(of: item.fingerprint)) times recently)"
        return item
    }

    private func applySnoozes(_ items: [DriftItem]) -> (active: [DriftItem], snoozed: [DriftItem], notes: [Finding]) {
        var snoozes: [String: Snooze] = [:]
        var notes: [Finding] = []
        for snooze in declared.policy.snoozes {
            guard let end = snooze.until.endOfDay, end > now else {
                let parts = snooze.target.value.split(separator: "/", maxSplits: 1).map(String.init)
                // The policy check refused snoozes whose kind is not one Roomkeeper knows.
                guard let kind = parts.first.flatMap(ObjectKind.init(rawValue:)) else { continue }
                notes.append(
                    Finding(
                        severity: .info, target: ObjectReference(kind: kind, name: parts.last ?? ""),
                        message: "the snooze until \(snooze.until) has passed", remedy: "remove it from roomkeeper.yaml, or extend it",
                        location: snooze.target.location))
                continue
            }
            snoozes[snooze.target.value] = snooze
        }
        var active: [DriftItem] = []
        var snoozed: [DriftItem] = []
        for var item in items {
            if let snooze = snoozes[item.target.description] {
                item.snoozedUntil = snooze.until.description
                item.snoozeReason = snooze.reason
                snoozed.append(item)
            } else {
                active.append(item)
            }
        }
        return (active, snoozed, notes)
    }

    /// The day a suggested snooze runs to: `suggestedSnoozeDays` from now.
    private var suggestedSnoozeEnd: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter.string(from: now.addingTimeInterval(TimeInterval(Self.suggestedSnoozeDays) * 86_400))
    }
}
