/// Everything a repository declares: the manifests of each kind and the repository policy.
public struct ManifestSet: Sendable, Equatable {
    public var roomGroups: [RoomGroup] = []
    public var roles: [Role] = []
    public var roleAssignments: [RoleAssignment] = []
    public var devices: [Device] = []
    public var updateRings: [UpdateRing] = []
    /// The policy from `roomkeeper.yaml`, or the defaults when the repository has none.
    public var policy = RepositoryPolicy()

    public init() {}

    public init(_ manifests: [Manifest], policy: RepositoryPolicy = RepositoryPolicy()) {
        self.policy = policy
        manifests.forEach { add($0) }
    }

    public mutating func add(_ manifest: consuming Manifest) {
        switch consume manifest {
        case .roomGroup(let value): roomGroups.append(value)
        case .role(let value): roles.append(value)
        case .roleAssignment(let value): roleAssignments.append(value)
        case .device(let value): devices.append(value)
        case .updateRing(let value): updateRings.append(value)
        }
    }

    /// Reverses the order of the manifests of every kind, moving them in their buffers: the
    /// array's own `reverse()` would copy each one.
    mutating func reverse() {
        roomGroups.withUnsafeMutableBufferPointer { $0.reverse() }
        roles.withUnsafeMutableBufferPointer { $0.reverse() }
        roleAssignments.withUnsafeMutableBufferPointer { $0.reverse() }
        devices.withUnsafeMutableBufferPointer { $0.reverse() }
        updateRings.withUnsafeMutableBufferPointer { $0.reverse() }
    }

    /// Every manifest, kind by kind in declaration order.
    public var all: [Manifest] {
        roomGroups.map(Manifest.roomGroup) + roles.map(Manifest.role) + roleAssignments.map(Manifest.roleAssignment)
            + devices.map(Manifest.device) + updateRings.map(Manifest.updateRing)
    }

    /// How many manifests of each kind.
    public var counts: [ManifestKind: Int] {
        [
            .roomGroup: roomGroups.count, .role: roles.count, .roleAssignment: roleAssignments.count,
            .device: devices.count, .updateRing: updateRings.count,
        ]
    }
}
