/// The kind of a Teams Rooms device, as Microsoft Graph's `teamworkDeviceType` names them.
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
}

/// Where a device stands in the portal's enrollment lifecycle.
///
/// A device onboards itself (agent plus the tenant's enrollment key) and then waits in
/// `onboarding` until someone enrolls it; only enrolled devices raise alerts and tickets.
public enum EnrollmentState: String, CaseIterable, Sendable, Hashable {
    case onboarding
    case enrolled
    case unenrolled
}

/// The enrollment a manifest may ask for. A manifest cannot ask for `onboarding`: that state is
/// the device's own doing.
public enum DesiredEnrollment: String, CaseIterable, Sendable, Hashable {
    case enrolled
    case unenrolled
}
