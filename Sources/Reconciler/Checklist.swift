import Foundation
import Manifests
import PortalAPI
import PortalModel

/// The portal steps a person takes where no API exists: with no portal endpoint configured,
/// the portal-only kinds (room groups, custom roles, role assignments, update rings, ring moves,
/// enrollment) cannot be read or written, so a plan becomes an ordered checklist of what to do
/// in the portal, with its navigation and every value to type or pick. Pure.
///
/// Built from a plan made against the directory alone (nothing of the portal is observable, so
/// every declared object is a step), in the plan's dependency order: rings, room groups and roles
/// before the assignments and ring moves that name them, enrollment last. Steps a person has
/// confirmed (by id, which changes when what the step asks changes) are left out.
public struct Checklist: Codable, Sendable, Equatable {
    public struct Step: Codable, Sendable, Equatable {
        /// Stable while the step asks for the same thing; what a confirmation records.
        public var id: String
        public var number: Int
        public var target: ObjectReference
        /// What to do, e.g. "Create the room group London / Floor 3".
        public var title: String
        /// Where, as the portal labels its pages and buttons, e.g. Settings > Roles > Site Lead > Assignments > Add.
        public var navigation: [String]
        /// Every value to type or pick, in the form's order.
        public var values: [Value]
        /// The ids of steps that must be done first.
        public var after: [String]
    }

    public struct Value: Codable, Sendable, Equatable {
        public var label: String
        public var value: String
    }

    public var steps: [Step]
    /// How many steps were left out because a person confirmed them.
    public var confirmed: Int

    /// The checklist for `plan` (made against the directory alone, see `DirectoryCheck.plan`).
    public static func make(plan: Plan, declared: ManifestSet, live: LiveState, confirmed: Set<String>) -> Checklist {
        let builder = Builder(declared: declared, live: live)
        var steps: [Step] = []
        var dependencies: [[String]] = []
        var idsByTarget: [String: String] = [:]
        let made = plan.actions.compactMap { action in builder.step(for: action).map { ($0, action.dependsOn.map(\.target)) } }
        for (var step, after) in made + builder.enrollments().map({ ($0, [String]()) }) {
            step.id = StableDigest.hex(([step.title] + step.navigation + step.values.map { "\($0.label)=\($0.value)" }).joined(separator: "\n"), length: 16)
            idsByTarget[step.target.description] = step.id
            steps.append(step)
            dependencies.append(after)
        }
        // A step comes after the steps for what it names.
        for index in steps.indices {
            steps[index].after = dependencies[index].compactMap { idsByTarget[$0] }.filter { $0 != steps[index].id }
        }
        let open = steps.filter { !confirmed.contains($0.id) }
        return Checklist(
            steps: open.enumerated().map { index, step in
                var step = step
                step.number = index + 1
                return step
            },
            confirmed: steps.count - open.count)
    }

    /// Names manifests and their portal objects as a person sees them in the portal.
    private struct Builder {
        let declared: ManifestSet
        let roomGroups: [String: RoomGroup]
        let roles: [String: Role]
        let rings: [String: UpdateRing]
        let assignments: [String: RoleAssignment]
        let devices: [String: Device]
        /// Rooms' display names by id.
        let roomNames: [String: String]

        init(declared: ManifestSet, live: LiveState) {
            self.declared = declared
            roomNames = Dictionary(live.rooms.map { ($0.resource.id, $0.resource.displayName) }, uniquingKeysWith: { first, _ in first })
            roomGroups = Dictionary(declared.roomGroups.map { ($0.metadata.name.value, $0) }, uniquingKeysWith: { first, _ in first })
            roles = Dictionary(declared.roles.map { ($0.metadata.name.value, $0) }, uniquingKeysWith: { first, _ in first })
            rings = Dictionary(declared.updateRings.map { ($0.metadata.name.value, $0) }, uniquingKeysWith: { first, _ in first })
            assignments = Dictionary(declared.roleAssignments.map { ($0.metadata.name.value, $0) }, uniquingKeysWith: { first, _ in first })
            devices = Dictionary(declared.devices.map { ($0.metadata.name.value, $0) }, uniquingKeysWith: { first, _ in first })
        }

        func step(for action: PlannedAction) -> Step? {
            let name = action.target.name
            switch (action.type, action.target.kind, action.payload) {
            case (.create, .manifest(.roomGroup), .roomGroup(let group)):
                return Step(
                    id: "", number: 0, target: action.target, title: "Create the room group \(group.displayName)",
                    navigation: ["Rooms", "Room groups", "Add room group"],
                    values: [Value(label: "Name", value: group.displayName)] + optional("Description", group.description)
                        + [Value(label: "Rooms", value: group.roomIds.joined(separator: ", "))],
                    after: [])
            case (.create, .manifest(.role), _):
                guard let role = roles[name] else { return nil }
                return Step(
                    id: "", number: 0, target: action.target, title: "Create the custom role \(role.displayName)",
                    navigation: ["Settings", "Roles", "Add role"],
                    values: [Value(label: "Name", value: role.displayName)] + optional("Description", role.description)
                        + role.permissions.map { Value(label: "Permission", value: $0.value.label) }
                        + [Value(label: "Assignments", value: "the wizard asks for a first assignment: enter the first assignment step of this role")],
                    after: [])
            case (.create, .manifest(.roleAssignment), _):
                guard let assignment = assignments[name] else { return nil }
                let role = roleName(assignment.role.value)
                return Step(
                    id: "", number: 0, target: action.target, title: "Assign \(role): \(assignment.displayName)",
                    navigation: ["Settings", "Roles", role, "Assignments", "Add"],
                    values: [Value(label: "Assignment name", value: assignment.displayName)] + optional("Description", assignment.description)
                        + [Value(label: "E-mail notifications", value: assignment.emailNotifications ? "On" : "Off")]
                        + assignment.members.map { member in
                            switch member.value {
                            case .user(let upn): Value(label: "Member (user)", value: upn)
                            case .group(let group): Value(label: "Member (security group)", value: group)
                            }
                        }
                        + scope(assignment),
                    after: [])
            case (.create, .manifest(.updateRing), _):
                guard let ring = rings[name] else { return nil }
                return Step(
                    id: "", number: 0, target: action.target, title: "Create the update ring \(ring.displayName)",
                    navigation: ["Updates", "Rings", "Add ring"],
                    values: [Value(label: "Name", value: ring.displayName)] + optional("Description", ring.description) + [
                        Value(label: "Order", value: "\(ring.order.value)"), Value(label: "Rollout duration (days)", value: "\(ring.rolloutDays)"),
                        Value(label: "Test period (days)", value: "\(ring.testDays)"),
                    ],
                    after: [])
            case (.moveToRing, _, _):
                let ring = ringName(action.changes.first { $0.field == "updateRing" }?.after)
                let room = roomName(name)
                return Step(
                    id: "", number: 0, target: action.target, title: "Put \(room) in the update ring \(ring)",
                    navigation: ["Rooms", room, "Assigned ring", "Change"], values: [Value(label: "Ring", value: ring)], after: [])
            case (.setGroupTag, _, .autopilotGroupTag(let tag)):
                let serial = devices[name]?.serialNumber.value ?? name
                return Step(
                    id: "", number: 0, target: action.target, title: "Give \(serial) the Autopilot group tag \(tag)",
                    navigation: ["Intune admin center", "Devices", "Windows", "Enrollment", "Devices", serial, "Group tag"],
                    values: [Value(label: "Group tag", value: tag)], after: [])
            default:
                return nil
            }
        }

        /// A step per declared main unit that should be enrolled: its room waits in Onboarding
        /// once the unit has checked in, and is then enrolled by a person.
        func enrollments() -> [Step] {
            declared.devices.filter { $0.roomEnrollment == .enrolled }.map { device in
                let room = roomName(device.room.value.lowercased())
                return Step(
                    id: "", number: 0, target: ObjectReference(kind: .manifest(.device), name: device.metadata.name.value),
                    title: "Enroll \(room) once it shows Onboarding", navigation: ["Rooms", room, "Status", "Enroll"],
                    values: [Value(label: "Main unit", value: HardwareIdentity(manufacturer: device.manufacturer, serialNumber: device.serialNumber.value).description)],
                    after: [])
            }
        }

        private func scope(_ assignment: RoleAssignment) -> [Value] {
            if assignment.scope.allRooms { return [Value(label: "Scope", value: "All rooms")] }
            return assignment.scope.roomGroups.map { Value(label: "Scope (room group)", value: roomGroups[$0.value]?.displayName ?? $0.value) }
                + assignment.scope.rooms.map { Value(label: "Scope (room)", value: roomName($0.value.lowercased())) }
        }

        private func roleName(_ reference: RoleReference) -> String {
            switch reference {
            case .builtIn(let role): role.displayName
            case .custom(let name): roles[name]?.displayName ?? name
            }
        }

        /// A ring by the name a plan gives it: a default ring's id or a manifest name.
        private func ringName(_ name: String?) -> String {
            guard let name else { return "General" }
            return DefaultUpdateRing(rawValue: name)?.displayName ?? rings[name]?.displayName ?? name
        }

        private func roomName(_ id: String) -> String {
            roomNames[id].map { "\($0) (\(id))" } ?? id
        }

        private func optional(_ label: String, _ value: String?) -> [Value] {
            value.map { [Value(label: label, value: $0)] } ?? []
        }
    }
}
