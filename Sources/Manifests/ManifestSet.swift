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
        for manifest in manifests { add(manifest) }
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

    /// Makes room for `counts` more manifests of each kind, so that adding them does not grow the
    /// arrays step by step.
    mutating func reserveCapacity(_ counts: [ManifestKind: Int]) {
        roomGroups.reserveCapacity(roomGroups.count + (counts[.roomGroup] ?? 0))
        roles.reserveCapacity(roles.count + (counts[.role] ?? 0))
        roleAssignments.reserveCapacity(roleAssignments.count + (counts[.roleAssignment] ?? 0))
        devices.reserveCapacity(devices.count + (counts[.device] ?? 0))
        updateRings.reserveCapacity(updateRings.count + (counts[.updateRing] ?? 0))
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
