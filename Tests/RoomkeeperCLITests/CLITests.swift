import Foundation
import TestSupport
import Testing

/// Runs the built `roomkeeper` executable, as a user would.
enum Roomkeeper {
    /// The executable SwiftPM built next to this test bundle.
    static var executable: URL { built("roomkeeper") }

    /// A product SwiftPM built next to this test bundle (or in .build/debug).
    static func built(_ product: String) -> URL {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(product)
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return repositoryRoot.appendingPathComponent(".build/debug/\(product)")
    }

    static func run(_ arguments: String...) async throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        return try await runProcess(executable, arguments, environment: environment, in: repositoryRoot)
    }
}

@Suite("roomkeeper validate and schema, end to end")
struct CLITests {
    @Test("validate on the example tenant exits 0 with a summary")
    func validTenant() async throws {
        let result = try await Roomkeeper.run("validate", "examples/contoso")
        #expect(result.status == 0)
        #expect(
            result.output == """
                examples/contoso: valid: 12 files, 95 manifests (12 RoomGroup, 3 Role, 7 RoleAssignment, 71 Device, 2 UpdateRing), \
                policy from roomkeeper.yaml

                """)
    }

    @Test("validate on broken manifests lists every problem with its line, and exits 1")
    func invalidTenant() async throws {
        let result = try await Roomkeeper.run("validate", "examples/invalid")
        #expect(result.status == 1)
        let lines = result.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.contains("shapes/unknown-fields.yaml:8:3: error: unknown field 'roms' in RoomGroup spec"))
        #expect(lines.contains("   8 |   roms:"))
        #expect(lines.contains("   hint: did you mean 'rooms'?"))
        #expect(lines.contains("examples/invalid: 69 errors; nothing was changed"))
        #expect(!result.output.contains("hunter2"), "a secret from a manifest was printed")
    }

    @Test("validate --format json is a versioned report of every diagnostic")
    func jsonReport() async throws {
        let result = try await Roomkeeper.run("validate", "examples/invalid", "--format", "json")
        #expect(result.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(report["formatVersion"] as? String == "1.0")
        #expect(report["valid"] as? Bool == false)
        let diagnostics = try #require(report["diagnostics"] as? [[String: Any]])
        #expect(diagnostics.count == 69)
        let first = try #require(diagnostics.first)
        #expect(first["file"] as? String == "roomkeeper.yaml")
        #expect(first["line"] as? Int == 6)
        #expect(first["column"] as? Int == 5)
    }

    @Test("validate --format github writes one workflow annotation per diagnostic, escaped, with the workspace path")
    func githubAnnotations() async throws {
        let result = try await Roomkeeper.run("validate", "examples/invalid", "--format", "github")
        #expect(result.status == 1)
        let annotations = result.output.split(separator: "\n").filter { $0.hasPrefix("::error ") || $0.hasPrefix("::warning ") }
        #expect(annotations.count == 69)
        #expect(
            annotations.contains(
                "::error file=examples/invalid/shapes/unknown-fields.yaml,line=8,col=3,title=Roomkeeper%3A error::unknown field 'roms' in RoomGroup spec%0Ahint: did you mean 'rooms'?"
            ))
        // A message's line breaks are escaped: every annotation is one line.
        #expect(result.output.split(separator: "\n").allSatisfy { $0.hasPrefix("::") || $0.hasPrefix("examples/invalid: ") })
        #expect(!result.output.contains("hunter2"), "a secret from a manifest was printed")
    }

    @Test("validate --format sarif is a SARIF 2.1.0 log with one located result per diagnostic")
    func sarifLog() async throws {
        let result = try await Roomkeeper.run("validate", "examples/invalid", "--format", "sarif")
        #expect(result.status == 1)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let driver = try #require((run["tool"] as? [String: Any])?["driver"] as? [String: Any])
        #expect(driver["name"] as? String == "roomkeeper")
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == 69)
        let first = try #require(results.first)
        #expect(first["level"] as? String == "error")
        let physical = try #require(((first["locations"] as? [[String: Any]])?.first)?["physicalLocation"] as? [String: Any])
        #expect((physical["artifactLocation"] as? [String: Any])?["uri"] as? String == "examples/invalid/roomkeeper.yaml")
        #expect((physical["region"] as? [String: Any])?["startLine"] as? Int == 6)
        let valid = try await Roomkeeper.run("validate", "examples/contoso", "--format", "sarif")
        #expect(valid.status == 0)
        #expect(valid.output.contains("\"results\" : [") || valid.output.contains("\"results\": ["))
    }

    @Test("validate on a missing folder says so and exits 1")
    func missingFolder() async throws {
        let result = try await Roomkeeper.run("validate", "no/such/folder")
        #expect(result.status == 1)
        #expect(result.output.contains("error: cannot list the manifest files:"))
        #expect(result.output.contains("is not a folder"))
    }

    @Test("schema prints a draft-07 JSON Schema covering every kind")
    func schema() async throws {
        let result = try await Roomkeeper.run("schema")
        #expect(result.status == 0)
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(schema["$schema"] as? String == "http://json-schema.org/draft-07/schema#")
        let definitions = try #require(schema["definitions"] as? [String: Any])
        #expect(Set(definitions.keys) == ["RoomGroup", "Role", "RoleAssignment", "Device", "UpdateRing", "Policy"])
    }

    @Test("A bad flag value is a usage error (exit 64) that names the choices")
    func usageError() async throws {
        let result = try await Roomkeeper.run("validate", "examples/contoso", "--format", "yaml")
        #expect(result.status == 64)
        #expect(result.errors.contains("text"))
        #expect(result.errors.contains("json"))
    }
}
