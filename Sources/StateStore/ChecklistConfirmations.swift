import Foundation
import PortalAPI
import Reconciler

/// The checklist steps people confirmed they did in the portal, for one tenant: one JSON file in
/// the state folder (`StateFolder.checklistConfirmations`), by step id. `apply --walk-through`
/// writes it; the next checklist leaves those steps out, and steps out what they gave that git
/// no longer asks for.
public struct ChecklistConfirmations: Sendable {
    public let url: URL

    public init(url: URL) { self.url = url }

    /// A step a person said they did, with what it asked (recorded since removals are stepped
    /// too; older records have only the title and take part in no removal).
    public struct Confirmation: Codable, Sendable {
        public var title: String
        public var by: String
        public var at: Date
        public var target: String?
        public var navigation: [String]?
        public var values: [Checklist.Value]?
        public var removal: Bool?

        /// What the portal holds since, as the checklist compares it.
        public var step: Checklist.Confirmed? {
            guard let target, let navigation, let values else { return nil }
            return Checklist.Confirmed(target: target, title: title, navigation: navigation, values: values, at: at, removal: removal ?? false)
        }
    }

    /// The confirmed steps by id; none when the file does not exist yet.
    public func load() throws -> [String: Confirmation] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [:] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode([String: Confirmation].self, from: Data(contentsOf: url))
    }

    /// Records that `person` did `step` at `time`.
    public func record(_ step: Checklist.Step, by person: String, at time: Date) throws {
        var confirmed = try load()
        confirmed[step.id] = Confirmation(
            title: step.title, by: person, at: time, target: step.target.description, navigation: step.navigation, values: step.values,
            removal: step.removal)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try PrivateFiles.createFolder(url.deletingLastPathComponent())
        try PrivateFiles.write(try encoder.encode(confirmed), to: url)
    }
}
