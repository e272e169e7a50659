/// The kind of a Teams Rooms device: the room units and Teams devices Microsoft Graph's
/// `teamworkDeviceType` names, and the peripherals a room unit reports.
public enum DeviceType: String, CaseIterable, Sendable, Hashable {
    case teamsRoom
    case collaborationBar
    case surfaceHub
    case touchConsole
    case teamsDisplay
    case teamsPanel
    case ipPhone
    case lowCostPhone
    case sip
    case sipAnalog
    case roomCamera
    case contentCamera
    case microphone
    case speaker
    case display

    /// Whether the device is a room's main unit: the Windows Teams Rooms compute, the Android
    /// room unit or a Surface Hub. The portal treats it as "a proxy for a room and its connected
    /// peripherals" (learn.microsoft.com/microsoftteams/rooms/managed-meeting-rooms-portal): it
    /// carries the agent, and enrolling it is enrolling the room (…/rooms/enroll-a-device).
    /// A Teams panel enrolls on its own (below); everything else (a touch console paired with
    /// the room, cameras, displays, speakers and phones) is a peripheral the main unit reports,
    /// checked for presence only.
    public var isRoomUnit: Bool {
        switch self {
        case .teamsRoom, .collaborationBar, .surfaceHub: true
        default: false
        }
    }

    /// Whether the device signs in to Teams and enrolls itself in the portal: a room's main unit,
    /// and a Teams panel, which "are enrolled automatically" like Android rooms once signed in
    /// with a Teams Rooms Pro licence (learn.microsoft.com/microsoftteams/rooms/enroll-a-device).
    /// A panel is not a room's peripheral and does not carry the room's enrollment: a room may
    /// have several, outside its door.
    public var enrollsItself: Bool { isRoomUnit || self == .teamsPanel }
}

/// Where a room stands in the portal's enrollment lifecycle.
///
/// The room's main unit onboards itself (agent plus the tenant's enrollment key) and the room
/// then waits in `onboarding` until someone enrolls it; only enrolled rooms raise alerts and
/// tickets (learn.microsoft.com/microsoftteams/rooms/enroll-a-device).
public enum EnrollmentState: String, CaseIterable, Sendable, Hashable {
    case onboarding
    case enrolled
    case unenrolled
}

/// The enrollment a manifest may ask for. A manifest cannot ask for `onboarding`: that state is
/// the agent's own doing.
public enum DesiredEnrollment: String, CaseIterable, Sendable, Hashable {
    case enrolled
    case unenrolled
}

/// A device's identity: manufacturer plus serial number, compared without regard to case.
/// Microsoft "can't guarantee that devices provide unique data like serial numbers"
/// (learn.microsoft.com/microsoftteams/rooms/bring-your-own-device), so a serial number alone
/// never identifies a device.
public struct HardwareIdentity: Sendable, Hashable, CustomStringConvertible {
    /// Lower case; empty when not known.
    public let manufacturer: String
    /// Upper case.
    public let serialNumber: String

    public init(manufacturer: String?, serialNumber: String) {
        self.manufacturer = (manufacturer ?? "").lowercasedIfNeeded
        self.serialNumber = serialNumber.uppercasedIfNeeded
    }

    public var description: String {
        manufacturer.isEmpty ? "serial number \(serialNumber)" : "\(manufacturer) serial number \(serialNumber)"
    }
}
