import Foundation
import RoomkeeperCLI
import TestSupport
import Testing

@Suite("Commands in process")
struct InProcessCommandTests {
    /// Runs `arguments` in this process, with what the command writes kept.
    private func run(_ arguments: [String]) async -> (status: Int32, console: CapturedConsole) {
        let console = CapturedConsole()
        let status = await Console.$current.withValue(console.console) { await RoomkeeperCLI.Roomkeeper.run(arguments) }
        return (status, console)
    }

    @Test("A command runs in process with its words kept: validate's summary, a usage error's code and message, a failure's one line")
    func captured() async {
        let folder = repositoryRoot.appendingPathComponent("examples/contoso").path
        let valid = await run(["validate", folder])
        #expect(valid.status == 0)
        #expect(
            valid.console.output
                == "\(folder): valid: 12 files, 95 manifests (12 RoomGroup, 3 Role, 7 RoleAssignment, 71 Device, 2 UpdateRing), policy from roomkeeper.yaml\n"
        )
        #expect(valid.console.error.isEmpty)

        let usage = await run(["plan", folder, "--portal", "embedded", "--target", "Rooms/conf-lon-3a@contoso.com"])
        #expect(
            usage.status == 64 && usage.console.error.contains("--target 'Rooms/conf-lon-3a@contoso.com' is not KIND/NAME"), "\(usage.console.error)")
        #expect(usage.console.output.isEmpty)

        let missing = await run(["show", "/nonexistent/plan.json"])
        #expect(missing.status == 1)
        #expect(missing.console.error == "roomkeeper: error: /nonexistent/plan.json is not a plan saved by `roomkeeper plan --out`\n")
    }
}
