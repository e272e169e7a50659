import Foundation

/// A plan as `plan --out` saves it and `apply` and `show` read it back: JSON with sorted keys
/// and ISO 8601 dates. Reading checks that it is a plan, of a format this release applies, with
/// an id Roomkeeper writes; whether it still describes the manifests and the portal is for the
/// engine to judge against a fresh read.
public enum SavedPlan {
    /// Far above the plan of any tenant.
    public static let maximumBytes = 256 << 20

    public static func encode(_ plan: Plan) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(plan), as: UTF8.self) + "\n"
    }

    public static func decode(_ data: Data) throws(SavedPlanError) -> Plan {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let plan: Plan
        do {
            plan = try decoder.decode(Plan.self, from: data)
        } catch {
            throw .notAPlan
        }
        guard plan.formatVersion.split(separator: ".").first == Plan.currentFormatVersion.split(separator: ".").first else {
            throw .otherFormat(plan.formatVersion)
        }
        guard Plan.isWellFormed(id: plan.id) else { throw .malformedId }
        return plan
    }
}

/// Why a file is not a plan this release applies.
public enum SavedPlanError: Error, Sendable, Equatable {
    case notAPlan
    /// Its format's major version is not this release's.
    case otherFormat(String)
    /// Its id has characters Roomkeeper never writes.
    case malformedId

    /// What is wrong with the file at `path`, and what to do.
    public func message(path: String) -> String {
        switch self {
        case .notAPlan: "\(path) is not a plan saved by `roomkeeper plan --out`"
        case .otherFormat(let version):
            "\(path) is a plan of format \(version.terminalSafe); this Roomkeeper applies \(Plan.currentFormatVersion): run plan again"
        case .malformedId: "\(path) has a plan id that Roomkeeper never writes (letters, digits and dashes only); nothing was applied"
        }
    }
}
