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
///
/// What git no longer asks for is taken away too. The portal holds what a person last confirmed
/// for each object; where git now asks for less (a member, a permission, a room or a scope
/// dropped) or for nothing (the object removed from git), a removal step says so. Removals of
/// access (role assignments and roles) come first, before anything is granted; the rest (rooms
/// from groups, whole groups and rings, rooms back to the General ring, unenrolling) come last.
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
        /// True for a step that takes away what git no longer declares.
        public var removal: Bool?
    }

    public struct Value: Codable, Sendable, Equatable {
        public var label: String
        public var value: String

        public init(label: String, value: String) {
            self.label = label
            self.value = value
        }
    }

    public var steps: [Step]
    /// How many steps were left out because a person confirmed them.
    public var confirmed: Int

    /// A step a person confirmed as done: what the portal holds since.
    public struct Confirmed: Sendable, Equatable {
        public var target: String
        public var title: String
        public var navigation: [String]
        public var values: [Value]
        public var at: Date
        /// A removal step: after it the portal holds less, or nothing, of the object.
        public var removal: Bool

        public init(target: String, title: String, navigation: [String], values: [Value], at: Date, removal: Bool = false) {
            self.removal = removal
            self.target = target
            self.title = title
            self.navigation = navigation
            self.values = values
            self.at = at
        }
    }

    /// The checklist for `plan` (made against the directory alone, see `DirectoryCheck.plan`),
    /// without the steps `confirmed` holds (by id), with removal steps for what the confirmed
    /// steps in `history` gave and git no longer asks for.
    public static func make(
        plan: Plan, declared: ManifestSet, live: LiveState, confirmed: Set<String>, history: [String: Confirmed] = [:]
    ) -> Checklist {
        make(plan: plan, prepared: Preparation(declared: declared, live: live), confirmed: confirmed, history: history)
    }

    /// What a checklist needs before its plan exists, which a caller may make while the plan is
    /// made: the names the portal shows, and the steps for the declared main units (enrolling
    /// each, and assigning its resource account for Autologin where Windows Autopilot has it).
    public struct Preparation: Sendable {
        fileprivate let builder: Builder
        fileprivate let deviceSteps: [Step]

        public init(declared: ManifestSet, live: LiveState) {
            builder = Builder(declared: declared, live: live)
            deviceSteps = (builder.enrollments() + builder.autologins()).map { step in
                var step = step
                step.id = Checklist.stepId(step)
                return step
            }
        }
    }

    /// `make(plan:declared:live:confirmed:history:)` with its preparation made.
    public static func make(plan: Plan, prepared: Preparation, confirmed: Set<String>, history: [String: Confirmed] = [:]) -> Checklist {
        // Made in two halves at once: a tenant's plan has tens of thousands of steps.
        let actions = plan.actions
        let half = actions.count / 2
        let (first, second) = inParallel(
            { prepared.builder.steps(for: actions[..<half]) }, { prepared.builder.steps(for: actions[half...]) })
        var steps: [Step] = []
        steps.reserveCapacity(first.count + second.count + prepared.deviceSteps.count)
        var dependencies: [(index: Int, after: [ObjectKey])] = []
        for made in [first, second] {
            for (step, after) in made {
                if !after.isEmpty { dependencies.append((steps.count, after)) }
                steps.append(step)
            }
        }
        steps += prepared.deviceSteps
        // A step comes after the steps for what it names.
        if !dependencies.isEmpty {
            let named = Set(dependencies.flatMap(\.after))
            var idsByTarget: [ObjectKey: String] = [:]
            for step in steps where named.contains(step.target.key) { idsByTarget[step.target.key] = step.id }
            for (index, after) in dependencies {
                steps[index].after = after.compactMap { idsByTarget[$0] }.filter { $0 != steps[index].id }
            }
        }
        let removals = Removals.steps(current: steps, history: history)
        let count = steps.count + removals.count
        steps.insert(contentsOf: removals.filter(\.takesAccess).map(\.step), at: 0)
        steps += removals.filter { !$0.takesAccess }.map(\.step)
        if !confirmed.isEmpty { steps.removeAll { confirmed.contains($0.id) } }
        for index in steps.indices { steps[index].number = index + 1 }
        return Checklist(steps: steps, confirmed: count - steps.count)
    }

    /// A step's id: a digest of all it asks, so that it changes when what it asks changes.
    fileprivate static func stepId(_ step: Step) -> String {
        var text = step.title
        for place in step.navigation { text += "\n" + place }
        for value in step.values { text += "\n\(value.label)=\(value.value)" }
        return StableDigest.hex(text, length: 16)
    }

    /// The steps that take away what confirmed steps gave and git no longer asks for.
    enum Removals {
        struct Removal {
            var step: Step
            /// Whether it takes access from people (an assignment's or a role's), which goes first.
            var takesAccess: Bool
        }

        /// Values of a step that are items of a set: dropping one is a removal. The others
        /// (names, descriptions, days) are replaced by the step that asks for the new value.
        static let setLabels: Set<String> = [
            "Member (user)", "Member (security group)", "Permission", "Scope (room group)", "Scope (room)", "Scope", "Rooms",
        ]

        static func steps(current: [Step], history: [String: Confirmed]) -> [Removal] {
            // The portal holds, for each object, what the last confirmed step for it asked.
            var latest: [String: (id: String, confirmed: Confirmed)] = [:]
            for (id, confirmed) in history.sorted(by: { ($0.value.at, $0.key) < ($1.value.at, $1.key) }) {
                latest[confirmed.target] = (id, confirmed)
            }
            guard !latest.isEmpty else { return [] }
            var currentByTarget: [String: Step] = [:]
            for step in current {
                let target = step.target.description
                if latest[target] != nil, currentByTarget[target] == nil { currentByTarget[target] = step }
            }
            var removals: [Removal] = []
            for (target, last) in latest.sorted(by: { $0.key < $1.key }) {
                // Taken away already: nothing more to take, and a new grant is a step of its own.
                guard !last.confirmed.removal else { continue }
                let kind = target.split(separator: "/").first.map(String.init) ?? ""
                let takesAccess = kind == ManifestKind.roleAssignment.rawValue || kind == ManifestKind.role.rawValue
                if let now = currentByTarget[target] {
                    guard now.id != last.id else { continue }
                    let dropped = droppedValues(from: last.confirmed.values, to: now.values)
                    guard !dropped.isEmpty else { continue }
                    removals.append(
                        Removal(
                            step: removal(
                                last.id, now.target, title: "Take away from \(subject(last.confirmed)) what git no longer lists",
                                navigation: editNavigation(last.confirmed),
                                values: dropped.map {
                                    Value(label: "Remove " + $0.label.prefix(1).lowercased() + $0.label.dropFirst(), value: $0.value)
                                }),
                            takesAccess: takesAccess))
                } else if let gone = goneStep(last.id, target: target, kind: kind, last.confirmed) {
                    removals.append(Removal(step: gone, takesAccess: takesAccess))
                }
            }
            return removals
        }

        /// The set items `old` has and `new` does not; a room group's rooms are one value, a list.
        private static func droppedValues(from old: [Value], to new: [Value]) -> [Value] {
            func items(_ values: [Value]) -> [Value] {
                values.filter { setLabels.contains($0.label) }.flatMap { value in
                    value.label == "Rooms"
                        ? value.value.split(separator: ",").map { Value(label: "Room", value: $0.trimmingCharacters(in: .whitespaces)) }
                        : [value]
                }
            }
            let kept = Set(items(new).map { "\($0.label)\n\($0.value)" })
            return items(old).filter { !kept.contains("\($0.label)\n\($0.value)") && !$0.value.isEmpty }
        }

        /// What the confirmed step's object is called, as the portal shows it.
        private static func subject(_ confirmed: Confirmed) -> String {
            let name = confirmed.values.first { $0.label == "Name" || $0.label == "Assignment name" }?.value ?? confirmed.title
            let kind = confirmed.values.contains { $0.label == "Assignment name" } ? "the assignment" : "the object"
            switch confirmed.navigation.prefix(2) {
            case ["Rooms", "Room groups"]: return "the room group \(name)"
            case ["Settings", "Roles"] where kind == "the object": return "the custom role \(name)"
            default: return "\(kind) \(name)"
            }
        }

        /// Where the confirmed step's object is edited: its page, then Edit.
        private static func editNavigation(_ confirmed: Confirmed) -> [String] {
            let name = confirmed.values.first { $0.label == "Name" || $0.label == "Assignment name" }?.value ?? ""
            // Creating navigates to the collection's Add button; the object is found in the collection instead.
            return Array(confirmed.navigation.dropLast()) + [name, "Edit"]
        }

        /// The step for an object git no longer declares at all, by its kind.
        private static func goneStep(_ lastId: String, target: String, kind: String, _ confirmed: Confirmed) -> Step? {
            let reference = parsedTarget(target)
            let name = confirmed.values.first { $0.label == "Name" || $0.label == "Assignment name" }?.value ?? reference.name
            switch kind {
            case ManifestKind.roleAssignment.rawValue:
                return removal(
                    lastId, reference, title: "Delete the assignment \(name)", navigation: Array(editNavigation(confirmed).dropLast()) + ["Delete"],
                    values: [])
            case ManifestKind.role.rawValue:
                return removal(
                    lastId, reference, title: "Delete the custom role \(name)", navigation: ["Settings", "Roles", name, "Delete"], values: [])
            case ManifestKind.roomGroup.rawValue:
                return removal(
                    lastId, reference, title: "Delete the room group \(name)", navigation: ["Rooms", "Room groups", name, "Delete"], values: [])
            case ManifestKind.updateRing.rawValue:
                return removal(
                    lastId, reference, title: "Delete the update ring \(name)", navigation: ["Updates", "Rings", name, "Delete"], values: [])
            case "Room":
                // A room no ring declares any more goes back to the General ring.
                let room = confirmed.navigation.dropFirst().first ?? reference.name
                return removal(
                    lastId, reference, title: "Put \(room) back in the update ring General",
                    navigation: ["Rooms", room, "Updates", "Assigned ring", "Change", "Assign"], values: [Value(label: "Ring", value: "General")])
            case ManifestKind.device.rawValue where confirmed.title.hasPrefix("Enroll"):
                // Unenrolling is Remove (enroll-a-device).
                let room = confirmed.navigation.dropFirst().first ?? reference.name
                return removal(
                    lastId, reference, title: "Remove \(room) from the portal's managed rooms", navigation: ["Rooms", room, "Remove"], values: [])
            default:
                return nil
            }
        }

        private static func parsedTarget(_ target: String) -> ObjectReference {
            let parts = target.split(separator: "/", maxSplits: 1).map(String.init)
            let kind = ObjectKind(rawValue: parts.first ?? "") ?? .room
            return ObjectReference(kind: kind, name: parts.count > 1 ? parts[1] : target)
        }

        private static func removal(_ lastId: String, _ target: ObjectReference, title: String, navigation: [String], values: [Value]) -> Step {
            var step = Step(id: "", number: 0, target: target, title: title, navigation: navigation, values: values, after: [], removal: true)
            step.id = StableDigest.hex(
                (["remove", lastId, title] + navigation + values.map { "\($0.label)=\($0.value)" }).joined(separator: "\n"), length: 16)
            return step
        }
    }

    /// Names manifests and their portal objects as a person sees them in the portal.
    fileprivate struct Builder: Sendable {
        let declared: ManifestSet
        /// Display names of room groups, and serial numbers of devices, by manifest name.
        let roomGroupNames: [String: String]
        let serialNumbers: [String: String]
        /// Positions in `declared` by manifest name: its manifests are large to copy.
        let roles: [String: Int]
        let rings: [String: Int]
        let assignments: [String: Int]
        /// Rooms' display names by id.
        let roomNames: [String: String]
        /// The serial numbers (upper case) Windows Autopilot has registered, as Graph read them.
        let autopilotSerials: Set<String>

        init(declared: ManifestSet, live: LiveState) {
            self.declared = declared
            autopilotSerials = Set(live.directory?.devices?.autopilot.lazy.map(\.serialNumber.uppercasedIfNeeded) ?? [])
            roomNames = Dictionary(live.rooms.map { ($0.resource.id, $0.resource.displayName) }, uniquingKeysWith: { first, _ in first })
            func positions(_ names: some Sequence<String>) -> [String: Int] {
                Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            }
            roomGroupNames = Dictionary(
                declared.roomGroups.lazy.map { ($0.metadata.name.value, $0.displayName) }, uniquingKeysWith: { first, _ in first })
            serialNumbers = Dictionary(
                declared.devices.lazy.map { ($0.metadata.name.value, $0.serialNumber.value) }, uniquingKeysWith: { first, _ in first })
            roles = positions(declared.roles.lazy.map(\.metadata.name.value))
            rings = positions(declared.updateRings.lazy.map(\.metadata.name.value))
            assignments = positions(declared.roleAssignments.lazy.map(\.metadata.name.value))
        }

        /// The steps for `actions`, with their ids, each with the objects it names.
        func steps(for actions: ArraySlice<PlannedAction>) -> [(step: Step, after: [ObjectKey])] {
            actions.compactMap { action in
                guard var step = step(for: action) else { return nil }
                step.id = Checklist.stepId(step)
                return (step, action.dependsOn.map(\.target))
            }
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
                guard let role = roles[name].map({ declared.roles[$0] }) else { return nil }
                return Step(
                    id: "", number: 0, target: action.target, title: "Create the custom role \(role.displayName)",
                    navigation: ["Settings", "Roles", "Create role"],
                    values: [Value(label: "Name", value: role.displayName)] + optional("Description", role.description)
                        + role.permissions.map { Value(label: "Permission", value: $0.value.label) }
                        + [
                            Value(
                                label: "Assignments", value: "the wizard asks for a first assignment: enter the first assignment step of this role"),
                            Value(label: "Finish", value: "Add new role"),
                        ],
                    after: [])
            case (.create, .manifest(.roleAssignment), _):
                guard let assignment = assignments[name].map({ declared.roleAssignments[$0] }) else { return nil }
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
                guard let ring = rings[name].map({ declared.updateRings[$0] }) else { return nil }
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
                // rooms-pro-management update-management: the room's Updates tab, Assigned Ring, Change, then Assign.
                return Step(
                    id: "", number: 0, target: action.target, title: "Put \(room) in the update ring \(ring)",
                    navigation: ["Rooms", room, "Updates", "Assigned ring", "Change", "Assign"], values: [Value(label: "Ring", value: ring)],
                    after: [])
            case (.setGroupTag, _, .autopilotGroupTag(let tag)):
                let serial = serialNumbers[name] ?? name
                return Step(
                    id: "", number: 0, target: action.target, title: "Give \(serial) the Autopilot group tag \(tag)",
                    navigation: ["Intune admin center", "Devices", "Windows", "Enrollment", "Devices", serial, "Group tag", "Save"],
                    values: [Value(label: "Group tag", value: tag)], after: [])
            default:
                return nil
            }
        }

        /// A step per declared main unit that should be enrolled. Since app 4.17 a unit signed in
        /// with the room's resource account and a Teams Rooms Pro licence enrolls itself
        /// (enroll-a-device); a room that still waits in Onboarding is enrolled by a person.
        func enrollments() -> [Step] {
            declared.devices.indices.compactMap { index in
                let device = declared.devices[index]
                guard device.roomEnrollment == .enrolled else { return nil }
                let account = device.room.value.lowercasedIfNeeded
                let room = roomName(account)
                return Step(
                    id: "", number: 0, target: ObjectReference(kind: .manifest(.device), name: device.metadata.name.value),
                    title: "Enroll \(room): sign its main unit in, or Enroll it if it shows Onboarding",
                    navigation: ["Rooms", room, "Status", "Enroll"],
                    values: [
                        Value(
                            label: "Main unit",
                            value: HardwareIdentity(manufacturer: device.manufacturer, serialNumber: device.serialNumber.value).description),
                        Value(label: "Sign in with", value: "\(account) (licensed Teams Rooms Pro: the device then enrolls itself)"),
                    ],
                    after: [])
            }
        }

        /// A step per declared main unit Windows Autopilot has registered: Autologin signs it in
        /// as its room only once the portal assigns it the resource account (autopilot-autologin:
        /// Planning > Autopilot devices > the device > Assign account). Graph v1.0 cannot show
        /// whether it is assigned, so the step stays until a person confirms it.
        func autologins() -> [Step] {
            declared.devices.indices.compactMap { index in
                let device = declared.devices[index]
                guard device.isRoomUnit, autopilotSerials.contains(device.serialNumber.value.uppercasedIfNeeded) else { return nil }
                let account = device.room.value.lowercasedIfNeeded
                return Step(
                    id: "", number: 0, target: ObjectReference(kind: .manifest(.device), name: device.metadata.name.value),
                    title: "Assign \(account) to \(device.serialNumber.value) for Autologin",
                    navigation: ["Planning", "Autopilot devices", device.serialNumber.value, "Assign account"],
                    values: [Value(label: "Resource account", value: account)], after: [])
            }
        }

        private func scope(_ assignment: RoleAssignment) -> [Value] {
            switch assignment.scope.reach {
            case .allRooms: return [Value(label: "Scope", value: "All rooms")]
            case .listed(let groups, let rooms):
                return groups.map { Value(label: "Scope (room group)", value: roomGroupNames[$0.value] ?? $0.value) }
                    + rooms.map { Value(label: "Scope (room)", value: roomName($0.value.lowercased())) }
            }
        }

        private func roleName(_ reference: RoleReference) -> String {
            switch reference {
            case .builtIn(let role): role.displayName
            case .custom(let name): roles[name].map { declared.roles[$0].displayName } ?? name
            }
        }

        /// A ring by the name a plan gives it: a default ring's id or a manifest name.
        private func ringName(_ name: String?) -> String {
            guard let name else { return "General" }
            return DefaultUpdateRing(rawValue: name)?.displayName ?? rings[name].map { declared.updateRings[$0].displayName } ?? name
        }

        private func roomName(_ id: String) -> String {
            roomNames[id].map { "\($0) (\(id))" } ?? id
        }

        private func optional(_ label: String, _ value: String?) -> [Value] {
            value.map { [Value(label: label, value: $0)] } ?? []
        }
    }
}
