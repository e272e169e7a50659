import Crypto
import Foundation
import PortalAPI
import PortalModel

// Enrollment: room operations that enroll and unenroll, agents checking in, the enrollment key.

extension PortalService {
    /// Queues enrolling or unenrolling a room; the room changes state when the operation
    /// completes. A room enrolls once its main unit has checked in (it is then onboarding), and
    /// unenrolls from onboarding or enrolled (learn.microsoft.com/microsoftteams/rooms/enroll-a-device).
    public func queue(_ action: RoomOperation.Action, room id: String, as principal: Principal) async throws -> RoomOperation {
        let permission: Permission = action == .enroll ? .roomManagementModify : .roomManagementUnenroll
        try authorize(principal, permission)
        try await completeDueOperations()
        guard let room = try await read(PortalRoom.self, id: id)?.resource, principal.holds(permission, over: room.id)
        else { throw notFound(.rooms, id) }
        let allowed: [Vocabulary<EnrollmentState>] =
            action == .enroll ? [.known(.onboarding), .known(.unenrolled)] : [.known(.onboarding), .known(.enrolled)]
        guard let state = room.enrollmentState else {
            throw PortalError.conflict("room '\(id)' has no main unit checked in; install the agent on it first", target: id)
        }
        guard allowed.contains(state) else { throw PortalError.conflict("room '\(id)' is already \(state)", target: id) }
        let operation = RoomOperation(id: "op-\(UUID().uuidString.lowercased())", roomId: id, action: action, status: .queued)
        try await store.enqueue(operation, due: Date().addingTimeInterval(operationDelay))
        guard operationDelay == 0 else { return operation }
        // Done at once: the answer says so, and the caller need not poll (the contract's 202 and
        // Location still hold, so a client that polls anyway reads the same result).
        try await completeDueOperations()
        return try await store.operation(operation.id) ?? operation
    }

    public func operation(_ id: String, as principal: Principal) async throws -> RoomOperation {
        try authorize(principal, .roomManagementView)
        try await completeDueOperations()
        guard let operation = try await store.operation(id), principal.holds(.roomManagementView, over: operation.roomId)
        else { throw notFound(nil, id) }
        return operation
    }

    /// Applies every queued room action whose time has come.
    public func completeDueOperations(now: Date = Date()) async throws {
        for operation in try await store.dueOperations(now: now) {
            guard var room = try await read(PortalRoom.self, id: operation.roomId)?.resource else {
                try await store.complete(operation, status: .failed, roomBody: nil, actor: "portal")
                continue
            }
            room.enrollmentState = .known(operation.action == .enroll ? .enrolled : .unenrolled)
            try await store.complete(operation, status: .succeeded, roomBody: try encode(room), actor: "portal")
        }
    }

    /// A room's main unit checks in with the enrollment key, reporting its peripherals. A unit
    /// not seen before appears; its room, if it had no agent or was unenrolled, goes to
    /// onboarding (learn.microsoft.com/microsoftteams/rooms/enroll-a-device). A Teams panel
    /// checks in on its own and enrolls itself, leaving its room's enrollment alone. Devices are
    /// known by manufacturer and serial number together.
    public func checkin(_ checkin: AgentCheckin, enrollmentKey: String?, now: Date = Date()) async throws -> PortalDevice {
        try await verifyEnrollmentKey(enrollmentKey)
        guard !checkin.serialNumber.isEmpty else { throw PortalError.badRequest("serialNumber is empty", target: "serialNumber") }
        guard let type = DeviceType(rawValue: checkin.deviceType), type.enrollsItself else {
            throw PortalError.badRequest(
                "a \(checkin.deviceType) carries no agent; the room's main unit (teamsRoom, collaborationBar or surfaceHub) checks in "
                    + "and reports it, and a teamsPanel checks in on its own",
                target: "deviceType")
        }
        let roomId = checkin.roomEmail?.lowercased()
        var room: PortalRoom?
        if let roomId {
            guard let found = try await read(PortalRoom.self, id: roomId)?.resource else {
                throw PortalError.badRequest("room '\(roomId)' does not exist", target: "roomEmail")
            }
            room = found
        }
        let known = Dictionary(
            try await all(PortalDevice.self).map { ($0.resource.hardwareIdentity, $0.resource) }, uniquingKeysWith: { first, _ in first })
        let actor = "agent:\(checkin.serialNumber)"
        func report(_ serial: String, _ type: String, _ manufacturer: String?, _ model: String?, _ os: String?) async throws -> PortalDevice {
            let existing = known[HardwareIdentity(manufacturer: manufacturer, serialNumber: serial)]
            var device =
                existing
                ?? PortalDevice(
                    id: "dev-\(UUID().uuidString.lowercased())", serialNumber: serial, deviceType: Vocabulary(type),
                    manufacturer: manufacturer, model: model)
            device.connectivity = .known(.connected)
            device.lastSeen = now
            if let os { device.operatingSystem = os }
            if let roomId { device.roomId = roomId }
            let change: PortalStore.Change =
                existing == nil ? .create(id: device.id, body: try encode(device)) : .replace(id: device.id, body: try encode(device), ifMatch: nil)
            try await store.write(.devices, change, actor: actor, action: "checkin", now: now)
            return device
        }
        let unit = try await report(checkin.serialNumber, checkin.deviceType, checkin.manufacturer, checkin.model, checkin.operatingSystem)
        for peripheral in checkin.peripherals ?? [] where !peripheral.serialNumber.isEmpty {
            _ = try await report(peripheral.serialNumber, peripheral.deviceType, peripheral.manufacturer, peripheral.model, nil)
        }
        if var room, type.isRoomUnit, room.enrollmentState == nil || room.enrollmentState == .known(.unenrolled) {
            room.enrollmentState = .known(.onboarding)
            try await store.write(.rooms, .replace(id: room.id, body: try encode(room), ifMatch: nil), actor: actor, action: "checkin", now: now)
        }
        return unit
    }

    /// Refuses an agent without the tenant's enrollment key (401).
    public func verifyEnrollmentKey(_ enrollmentKey: String?) async throws {
        guard let expected = try await store.setting(Self.enrollmentKeySetting), let enrollmentKey,
            constantTimeEqual(enrollmentKey, expected)
        else { throw PortalError.unauthorized("the enrollment key is missing or wrong") }
    }

    static let enrollmentKeySetting = "enrollmentKey"

    /// The key is the tenant's, and enrolls devices into it: reading it needs the right to change
    /// the service's settings over all rooms, not to view them.
    public func enrollmentKey(as principal: Principal) async throws -> EnrollmentKey {
        guard principal.covers(.serviceSettingsModify, RoomSet(allRooms: true)) else { throw forbidden(.serviceSettingsModify) }
        return EnrollmentKey(key: try await store.setting(Self.enrollmentKeySetting) ?? "")
    }

    public func resetEnrollmentKey(as principal: Principal) async throws -> EnrollmentKey {
        guard principal.covers(.serviceSettingsModify, RoomSet(allRooms: true)) else { throw forbidden(.serviceSettingsModify) }
        let key = Self.newEnrollmentKey()
        try await store.setSetting(Self.enrollmentKeySetting, key)
        return EnrollmentKey(key: key)
    }

    static func newEnrollmentKey() -> String {
        (0..<4).map { _ in UUID().uuidString.replacingOccurrences(of: "-", with: "") }.joined().lowercased()
    }
}
