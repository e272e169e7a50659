import Foundation

/// A queued room action (enroll, unenroll), polled until it succeeds or fails.
public struct RoomOperation: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable {
        case enroll, unenroll
    }

    public enum Status: String, Codable, Sendable {
        case queued, succeeded, failed
    }

    public var id: String
    public var roomId: String
    public var action: Action
    public var status: Status

    public init(id: String, roomId: String, action: Action, status: Status) {
        self.id = id
        self.roomId = roomId
        self.action = action
        self.status = status
    }
}

/// What a room's main unit reports when its agent checks in with the tenant's enrollment key:
/// itself, and the peripherals connected to it (which carry no agent of their own).
public struct AgentCheckin: Codable, Sendable, Equatable {
    public struct Peripheral: Codable, Sendable, Equatable {
        public var serialNumber: String
        public var deviceType: String
        public var manufacturer: String?
        public var model: String?

        public init(serialNumber: String, deviceType: String, manufacturer: String? = nil, model: String? = nil) {
            self.serialNumber = serialNumber
            self.deviceType = deviceType
            self.manufacturer = manufacturer
            self.model = model
        }
    }

    public var serialNumber: String
    public var deviceType: String
    public var manufacturer: String?
    public var model: String?
    public var operatingSystem: String?
    public var roomEmail: String?
    public var peripherals: [Peripheral]?

    public init(
        serialNumber: String, deviceType: String, manufacturer: String? = nil, model: String? = nil, operatingSystem: String? = nil,
        roomEmail: String? = nil, peripherals: [Peripheral]? = nil
    ) {
        self.serialNumber = serialNumber
        self.deviceType = deviceType
        self.manufacturer = manufacturer
        self.model = model
        self.operatingSystem = operatingSystem
        self.roomEmail = roomEmail
        self.peripherals = peripherals
    }
}

/// Tenant-wide settings that change what other objects mean.
public struct TenantSettings: Codable, Sendable, Equatable {
    /// Settings > Remote Access: off until an admin opts the tenant in; only then do custom
    /// roles' Remote Access permissions take effect
    /// (learn.microsoft.com/microsoftteams/rooms/remotely-access-teams-rooms).
    public var remoteAccessEnabled: Bool
    /// Whether a room may be in more than one room group. Microsoft does not document it; the
    /// emulator allows it unless started with single membership.
    public var roomGroupMembership: RoomGroupMembership

    public enum RoomGroupMembership: String, Codable, Sendable, CaseIterable {
        case multiple, single
    }

    public init(remoteAccessEnabled: Bool = false, roomGroupMembership: RoomGroupMembership = .multiple) {
        self.remoteAccessEnabled = remoteAccessEnabled
        self.roomGroupMembership = roomGroupMembership
    }
}

/// The reconciler lease: one apply or controller at a time, until it expires.
public struct Lease: Codable, Sendable, Equatable {
    public var holder: String
    public var acquired: Date
    public var expires: Date

    public init(holder: String, acquired: Date, expires: Date) {
        self.holder = holder
        self.acquired = acquired
        self.expires = expires
    }
}

/// A request to take or renew the lease.
///
/// The secret is known only to the holder: the portal renews or releases the lease only for a
/// request that presents it, and never shows it (a 409 names the holder, never its secret).
public struct LeaseRequest: Codable, Sendable, Equatable {
    public static let minimumSecretLength = 16
    /// The header a release carries the secret in.
    public static let secretHeader = "Lease-Secret"

    public var holder: String
    public var durationSeconds: Int
    public var secret: String

    public init(holder: String, durationSeconds: Int, secret: String) {
        self.holder = holder
        self.durationSeconds = durationSeconds
        self.secret = secret
    }
}

/// The caller, and what its role assignments grant it where.
public struct Me: Codable, Sendable, Equatable {
    public struct Grant: Codable, Sendable, Equatable {
        public var permission: String
        public var allRooms: Bool
        public var roomIds: [String]

        public init(permission: String, allRooms: Bool, roomIds: [String]) {
            self.permission = permission
            self.allRooms = allRooms
            self.roomIds = roomIds
        }
    }

    public var userPrincipalName: String
    public var permissions: [Grant]

    public init(userPrincipalName: String, permissions: [Grant]) {
        self.userPrincipalName = userPrincipalName
        self.permissions = permissions
    }
}

/// The key device agents present to check in.
public struct EnrollmentKey: Codable, Sendable, Equatable {
    public var key: String

    public init(key: String) {
        self.key = key
    }
}

/// The lease is held by someone else: who, since when and until when (a 409 on the wire).
public struct LeaseHeldError: Error, Sendable, Equatable, CustomStringConvertible {
    public var lease: Lease

    public init(lease: Lease) {
        self.lease = lease
    }

    public var description: String {
        "the reconciler lease is held by \(lease.holder.terminalSafe) since \(lease.acquired.formatted(.iso8601)) "
            + "(until \(lease.expires.formatted(.iso8601)), unless renewed)"
    }
}

/// The contract itself: the OpenAPI document shipped with this module.
public enum PortalContract {
    /// The location of `openapi.yaml` in this build's resources.
    public static var documentURL: URL? { Bundle.module.url(forResource: "openapi", withExtension: "yaml") }
}
