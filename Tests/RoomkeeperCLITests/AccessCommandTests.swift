import Foundation
import TestSupport
import Testing

@Suite("roomkeeper access")
struct AccessCommandTests {
    @Test("Lists assignments, grants through groups and Entra directory roles, leaves out remote access while it is off, in text, JSON and Markdown")
    func accessReport() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        #expect(try await workspace.run(["apply", "contoso", "--auto-approve"]).status == 0)

        let json = try await workspace.run(["access", "--format", "json"])
        #expect(json.status == 0, "\(json.errors)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(report["remoteAccessEnabled"] as? Bool == false)
        let people = try #require(report["people"] as? [[String: Any]])
        func grants(_ upn: String) -> [[String: Any]] {
            people.first { $0["userPrincipalName"] as? String == upn }?["grants"] as? [[String: Any]] ?? []
        }
        let reader = grants("lee.gu@contoso.com")
        #expect(
            reader.contains {
                $0["source"] as? String == "directoryRole" && $0["name"] as? String == "Global Reader" && $0["allRooms"] as? Bool == true
            })
        #expect(reader.allSatisfy { ($0["permissions"] as? [String])?.contains("roleManagement.modify") != true }, "Global Reader only reads")
        let lead = grants("isaiah.langer@contoso.com")
        #expect(lead.contains { $0["viaGroup"] as? String == "emea-facilities@contoso.com" }, "through sg-emea-facilities")
        #expect(lead.contains { $0["viaGroup"] == nil && $0["name"] as? String == "EMEA site leads" }, "and directly")
        let engineer = grants("diego.siciliani@contoso.com").first { $0["name"] as? String == "AV engineers" }
        #expect((engineer?["permissions"] as? [String])?.contains { $0.hasPrefix("remoteAccess.") } == false, "remote access is off")
        #expect(engineer?["allRooms"] as? Bool == false)
        #expect(grants("nobody-here@contoso.com").isEmpty)

        let markdown = try await workspace.run(["access", "--format", "markdown", "--user", "LEE.GU@contoso.com"])
        #expect(markdown.status == 0)
        #expect(markdown.output.contains("| lee.gu@contoso.com | Entra role Global Reader, without a portal assignment | all rooms |"))
        #expect(!markdown.output.contains("isaiah"), "--user keeps one person")

        let text = try await workspace.run(["access"])
        #expect(text.output.hasPrefix("Access to the embedded portal"))
        #expect(text.output.contains("Remote access is off for this tenant"))
    }
}
