import Foundation

/// Manifest repositories built in code for tests that need many objects.
public enum GeneratedManifests {
    /// A policy that prunes room groups and role assignments, with a guard wide enough for tests.
    public static let pruningPolicy = """
        apiVersion: roomkeeper/v1
        kind: Policy
        spec:
          prune: {roomGroups: true, roleAssignments: true}
          deletionGuard: {maxDeletes: 10000, maxDeletePercent: 100}
        """

    /// `count` room groups (over the first `rooms` rooms of `TestTenant`) and as many site-lead
    /// assignments, each scoped to its group; `description` goes on every object, so changing it
    /// makes an apply update everything.
    public static func groupsAndAssignments(count: Int, rooms: Int, description: String) -> String {
        var text = ""
        for index in 0..<count {
            text += """
                ---
                apiVersion: roomkeeper/v1
                kind: RoomGroup
                metadata: {name: group-\(index)}
                spec: {displayName: Group \(index), description: \(description), rooms: [\(TestTenant.room(index % rooms))]}
                ---
                apiVersion: roomkeeper/v1
                kind: RoleAssignment
                metadata: {name: leads-\(index)}
                spec:
                  role: builtin:site-lead
                  displayName: Leads \(index)
                  description: \(description)
                  members: [{user: \(TestTenant.siteLead)}]
                  scope: {roomGroups: [group-\(index)]}

                """
        }
        return text
    }

    /// Every `.yaml` file of `examples/<name>`, by its path under `prefix` (e.g. `contoso/`), to
    /// commit to a test repository.
    public static func example(_ name: String, under prefix: String = "") throws -> [String: String] {
        let root = examples(name).standardizedFileURL
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "yaml" else { continue }
            files[prefix + String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))] = try String(contentsOf: url, encoding: .utf8)
        }
        return files
    }
}
