import ArgumentParser
import Reports

/// The `roomkeeper` command: every subcommand, and the one place errors become messages and exit codes.
public struct Roomkeeper: AsyncParsableCommand {
    public init() {}

    public static let configuration = CommandConfiguration(
        commandName: "roomkeeper",
        abstract: "GitOps for the Microsoft Teams Rooms Pro Management portal.",
        discussion: """
            Declare room groups, roles, role assignments, expected devices and update rings as YAML \
            manifests in git; Roomkeeper checks them, plans the changes against the portal, applies \
            them and reports drift.

            Exit codes: 0 success (valid, in sync), 1 error, 2 changes or drift found, 64 usage error.
            """,
        version: "0.2.0",
        subcommands: [
            Validate.self, PlanCommand.self, ShowCommand.self, ApplyCommand.self, DriftCommand.self, ExportCommand.self, AccessCommand.self,
            ControllerCommand.self, Schema.self, PortalCommand.self, GraphCommand.self,
        ])

    /// The executable's entry point (not named `main`: from another module that name would reach
    /// ArgumentParser's synchronous `main`, which cannot run an async command).
    ///
    /// Runs the command the arguments name; a `CommandFailure` becomes one line on standard error
    /// and exit 1 (never the usage text), everything else goes to ArgumentParser's own handling.
    public static func execute() async {
        do {
            var command = try parseAsRoot()
            (command as? any LoggingCommand)?.logging.bootstrap()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let failure as CommandFailure {
            printError("roomkeeper: error: \(failure.description.terminalSafe)")
            exit(withError: ExitCode.failure)
        } catch {
            exit(withError: error)
        }
    }
}

/// A failure the user can act on: printed as `roomkeeper: error: MESSAGE`, exit 1, no usage text.
/// Commands throw it; `Roomkeeper.execute()` is the one place that turns it into words and a code.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
