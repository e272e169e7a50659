import Foundation
import Manifests

/// Something the plan cannot fix by itself, with what a person should do about it.
public struct Finding: Codable, Sendable, Equatable {
    public enum Severity: String, Codable, Sendable {
        /// Blocks applying: the plan would otherwise do the wrong thing.
        case error
        /// Needs a person, but does not stop the rest.
        case warning
        case info
    }

    /// What kind of finding this is, for tools: stable across releases, unlike `message`.
    public enum Code: String, Codable, Sendable {
        case deviceMissing, deviceInWrongRoom, deviceAmbiguous, peripheralMissing, roomNotInInventory
        case memberNotInDirectory, memberAmbiguous, handMadeConflict, protectedKept, pruneOff
        case ringWithoutProLicence, remoteAccessOff, remoteAccessUnreachable
        /// Found by checking the manifests against the tenant's directory (Microsoft Graph).
        case memberDisabled, groupNotSecurityEnabled, roomNotRoomMailbox, roomListUnknown, roomListNeedsDirectory
        case selectorMatchesNothing
        /// Found by checking declared main units against Intune and Windows Autopilot.
        case deviceNotRegistered, deviceOffline, groupTagInvalid, groupTagOfAnotherProfile, deviceUndeclared, devicesNotObservable
        case roomLicencedAsSharedDevice
        /// What the tenant's Microsoft cloud does not offer.
        case roomsNotObservable, portalNotInCloud

        /// The findings that checking the manifests against the directory alone can make.
        public static let directoryChecks: Set<Code> = [
            .memberNotInDirectory, .memberAmbiguous, .memberDisabled, .groupNotSecurityEnabled, .roomNotRoomMailbox, .roomListUnknown,
            .selectorMatchesNothing, .ringWithoutProLicence, .deviceNotRegistered, .deviceOffline, .groupTagInvalid, .groupTagOfAnotherProfile,
            .deviceUndeclared, .roomLicencedAsSharedDevice, .roomsNotObservable, .portalNotInCloud, .remoteAccessOff,
            .deviceAmbiguous, .devicesNotObservable,
        ]
    }

    public var code: Code?
    public var severity: Severity
    public var target: ObjectReference
    public var message: String
    /// What to do about it.
    public var remedy: String
    /// Where the manifest concerned is declared, when there is one.
    public var location: SourceLocation?

    public init(
        _ code: Code? = nil, severity: Severity, target: ObjectReference, message: String, remedy: String, location: SourceLocation? = nil
    ) {
        self.code = code
        self.severity = severity
        self.target = target
        self.message = message
        self.remedy = remedy
        self.location = location
    }
}
