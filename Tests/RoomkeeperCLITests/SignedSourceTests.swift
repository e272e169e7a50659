import Foundation
import TestSupport
import Testing

@Suite("roomkeeper with signed revisions")
struct SignedSourceTests {
    @Test("plan refuses an unsigned tip naming the commit, and records the verified signer in its JSON")
    func plan() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let keys = try await SigningKeys.make()
        defer { keys.remove() }
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        let unsigned = try await fixture.signedCommit(
            "tenants", "Add Contoso", files: try GeneratedManifests.example("contoso", under: "contoso/"), signer: nil, keys: keys)
        let source = [
            "--source", "file://" + fixture.exports.appendingPathComponent("tenants.git").path, "--path", "contoso",
            "--git-cache", workspace.state.appendingPathComponent("git").path,
        ]
        let refused = try await workspace.run(["plan"] + source, environment: ["ROOMKEEPER_ALLOWED_SIGNERS": keys.allowedSigners.path])
        #expect(refused.status == 1)
        #expect(refused.errors.contains("roomkeeper: error: commit \(unsigned.prefix(12)) is not signed; Roomkeeper reconciles only revisions signed"), "\(refused.errors)")
        #expect(refused.errors.contains("no plan was made"))

        let signed = try await fixture.signedCommit("tenants", "Sign off", files: ["README.md": "# Tenants\n"], signer: .ssh("alice"), keys: keys)
        let planned = try await workspace.run(["plan"] + source + ["--allowed-signers", keys.allowedSigners.path, "--format", "json"])
        #expect(planned.status == 2, "\(planned.errors)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(planned.output.utf8)) as? [String: Any])
        let signers = try #require((plan["origin"] as? [String: Any])?["verifiedSigners"] as? [String])
        #expect(signers.count == 1 && signers[0].hasPrefix("commit \(signed.prefix(12)) signed by alice@contoso.com (ssh key SHA256:"))

        let text = try await workspace.run(["plan"] + source + ["--allowed-signers", keys.allowedSigners.path])
        #expect(text.output.split(separator: "\n").dropFirst().first?.hasPrefix("Verified: commit \(signed.prefix(12)) signed by alice@contoso.com") == true,
                "\(text.output.prefix(400))")

        let misused = try await workspace.run(["plan", "contoso", "--allowed-signers", keys.allowedSigners.path])
        #expect(misused.status == 64)
        #expect(misused.errors.contains("--allowed-signers and --gpg-keyring verify revisions read with --source"))
    }
}
