import Foundation
import TestSupport
import Testing

@Suite("roomkeeper with signed revisions")
struct SignedSourceTests {
    /// The flags that read `contoso/` of the fixture's `tenants` repository into the workspace's git cache.
    private static func source(_ fixture: GitFixture, _ workspace: Workspace) -> [String] {
        [
            "--source", "file://" + fixture.exports.appendingPathComponent("tenants.git").path, "--path", "contoso",
            "--git-cache", workspace.state.appendingPathComponent("git").path,
        ]
    }

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
        let source = Self.source(fixture, workspace)
        let refused = try await workspace.run(["plan"] + source, environment: ["ROOMKEEPER_ALLOWED_SIGNERS": keys.allowedSigners.path])
        #expect(refused.status == 1)
        #expect(
            refused.errors.contains("roomkeeper: error: commit \(unsigned.prefix(12)) is not signed; Roomkeeper reconciles only revisions signed"),
            "\(refused.errors)")
        #expect(refused.errors.contains("no plan was made"))

        let signed = try await fixture.signedCommit("tenants", "Sign off", files: ["README.md": "# Tenants\n"], signer: .ssh("alice"), keys: keys)
        let planned = try await workspace.run(["plan"] + source + ["--allowed-signers", keys.allowedSigners.path, "--format", "json"])
        #expect(planned.status == 2, "\(planned.errors)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(planned.output.utf8)) as? [String: Any])
        let signers = try #require((plan["origin"] as? [String: Any])?["verifiedSigners"] as? [String])
        #expect(signers.count == 1 && signers[0].hasPrefix("commit \(signed.prefix(12)) signed by alice@contoso.com (ssh key SHA256:"))

        let text = try await workspace.run(["plan"] + source + ["--allowed-signers", keys.allowedSigners.path])
        #expect(
            text.output.split(separator: "\n").dropFirst().first?.hasPrefix("Verified: commit \(signed.prefix(12)) signed by alice@contoso.com")
                == true,
            "\(text.output.prefix(400))")

        let misused = try await workspace.run(["plan", "contoso", "--allowed-signers", keys.allowedSigners.path])
        #expect(misused.status == 64)
        #expect(misused.errors.contains("--allowed-signers and --gpg-keyring verify revisions read with --source"))
    }

    @Test("plan refuses a rollback to an older signed commit until --accept-rewritten-history names it")
    func rollback() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let keys = try await SigningKeys.make()
        defer { keys.remove() }
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        let older = try await fixture.signedCommit(
            "tenants", "Add Contoso", files: try GeneratedManifests.example("contoso", under: "contoso/"), signer: .ssh("alice"), keys: keys)
        let source = Self.source(fixture, workspace) + ["--allowed-signers", keys.allowedSigners.path]
        #expect(try await workspace.run(["plan"] + source).status == 2)
        let newer = try await fixture.signedCommit("tenants", "Add a README", files: ["README.md": "# Tenants\n"], signer: .ssh("alice"), keys: keys)
        #expect(try await workspace.run(["plan"] + source).status == 2)

        try await fixture.resetMain("tenants", to: older)
        let refused = try await workspace.run(["plan"] + source)
        #expect(refused.status == 1)
        #expect(
            refused.errors.contains(
                "ref 'main' now points at commit \(older.prefix(12)), which does not descend from commit \(newer.prefix(12))"), "\(refused.errors)")
        #expect(refused.errors.contains("--accept-rewritten-history \(older)"))
        let accepted = try await workspace.run(["plan"] + source + ["--accept-rewritten-history", older])
        #expect(accepted.status == 2, "\(accepted.errors)")
        // Accepted once, it is the new base: later plans need no flag.
        #expect(try await workspace.run(["plan"] + source).status == 2)
    }

    @Test(
        "A blank trust setting is an error, a folder with trust set is refused for apply and warned for plan, and plans say when nothing was checked")
    func blankTrust() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let fixture = try GitFixture()
        defer { fixture.remove() }
        try await fixture.create("tenants")
        try await fixture.commit("tenants", "Contoso", files: try GeneratedManifests.example("contoso", under: "contoso/"))
        let source = Self.source(fixture, workspace)
        for variable in ["ROOMKEEPER_ALLOWED_SIGNERS", "ROOMKEEPER_GPG_KEYRING"] {
            let blank = try await workspace.run(["plan"] + source, environment: [variable: ""])
            #expect(blank.status == 1, "\(variable)")
            #expect(blank.errors.contains("\(variable) is set but empty, which would turn signature verification off"), "\(blank.errors)")
        }
        let blankFlag = try await workspace.run(["plan"] + source + ["--allowed-signers", " "])
        #expect(blankFlag.status == 1)
        #expect(blankFlag.errors.contains("--allowed-signers is set but empty"))

        let insecure = try await workspace.run(["plan", "--source", "http://git.example.net/tenants.git", "--allow-insecure-source"])
        #expect(insecure.status == 1)
        #expect(insecure.errors.contains("--allow-insecure-source needs signatures checked"), "\(insecure.errors)")

        let unchecked = try await workspace.run(["plan"] + source)
        #expect(unchecked.status == 2)
        #expect(unchecked.output.contains("Signatures: not checked (no --allowed-signers or --gpg-keyring)"), "\(unchecked.output.prefix(300))")

        let trustFile = ["ROOMKEEPER_ALLOWED_SIGNERS": workspace.state.appendingPathComponent("allowed_signers").path]
        let folderPlan = try await workspace.run(["plan", "contoso"], environment: trustFile)
        #expect(folderPlan.status == 2)
        #expect(folderPlan.errors.contains("warning: ROOMKEEPER_ALLOWED_SIGNERS"), "\(folderPlan.errors)")
        #expect(folderPlan.errors.contains("a folder has no signatures"))
        let folderApply = try await workspace.run(["apply", "contoso", "--auto-approve"], environment: trustFile)
        #expect(folderApply.status == 1)
        #expect(
            folderApply.errors.contains("a folder has no signatures, so none can be checked; read the manifests with --source"),
            "\(folderApply.errors)")
        #expect(try await workspace.run(["plan", "contoso"]).output.contains("Plan: 23 to create"), "nothing was applied")
    }
}
