import Foundation

/// A `coordination.k8s.io/v1` Lease, the fields Roomkeeper reads and writes.
public struct Lease: Codable, Sendable, Equatable {
    public var apiVersion = "coordination.k8s.io/v1"
    public var kind = "Lease"
    public var metadata: Metadata
    public var spec: Spec

    public struct Metadata: Codable, Sendable, Equatable {
        public var name: String
        public var namespace: String?
        /// What an update must name: the API refuses (409 Conflict) one made from an older read.
        public var resourceVersion: String?
        public var labels: [String: String]?

        public init(name: String, namespace: String? = nil, resourceVersion: String? = nil, labels: [String: String]? = nil) {
            self.name = name
            self.namespace = namespace
            self.resourceVersion = resourceVersion
            self.labels = labels
        }
    }

    public struct Spec: Codable, Sendable, Equatable {
        /// Who holds it: a pod's name. Empty or absent when nobody does.
        public var holderIdentity: String?
        public var leaseDurationSeconds: Int?
        /// MicroTime: RFC 3339 with microseconds.
        public var acquireTime: String?
        public var renewTime: String?
        /// How many times it changed hands.
        public var leaseTransitions: Int?

        public init(
            holderIdentity: String? = nil, leaseDurationSeconds: Int? = nil, acquireTime: String? = nil, renewTime: String? = nil,
            leaseTransitions: Int? = nil
        ) {
            self.holderIdentity = holderIdentity
            self.leaseDurationSeconds = leaseDurationSeconds
            self.acquireTime = acquireTime
            self.renewTime = renewTime
            self.leaseTransitions = leaseTransitions
        }
    }

    public init(metadata: Metadata, spec: Spec) {
        self.metadata = metadata
        self.spec = spec
    }

    /// The holder, nil when nobody holds it.
    public var holder: String? { spec.holderIdentity.flatMap { $0.isEmpty ? nil : $0 } }
}

/// Kubernetes' MicroTime: `2026-12-07T21:30:00.123456Z`.
public enum MicroTime {
    public static func text(_ date: Date) -> String {
        let total = (date.timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = (total / 1_000_000).rounded(.down)
        let micros = Int(total - seconds * 1_000_000)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: seconds))
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        return "\(String(format: "%04d", parts.year ?? 0))-\(two(parts.month))-\(two(parts.day))T\(two(parts.hour)):\(two(parts.minute)):"
            + "\(two(parts.second)).\(String(format: "%06d", micros))Z"
    }

    /// The time in `text`, with or without a fraction of a second; nil when it is not one.
    public static func date(_ text: String) -> Date? {
        guard text.hasSuffix("Z") else { return nil }
        let body = text.dropLast()
        let (whole, fraction) =
            body.firstIndex(of: ".").map { (body[..<$0], body[body.index(after: $0)...]) } ?? (body, Substring(""))
        guard let date = try? Date(String(whole) + "Z", strategy: .iso8601), fraction.allSatisfy(\.isNumber), fraction.count <= 9 else {
            return nil
        }
        return date + (Double("0." + fraction) ?? 0)
    }
}
