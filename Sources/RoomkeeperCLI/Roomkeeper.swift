import ArgumentParser
import Foundation
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
            ControllerCommand.self, TenantsCommand.self, Schema.self, PortalCommand.self, GraphCommand.self,
        ])

    /// The executable's entry point (not named `main`: from another module that name would reach
    /// ArgumentParser's synchronous `main`, which cannot run an async command): bootstraps
    /// logging from the command's flags, runs it and exits with its code.
    public static func execute() async {
        Foundation.exit(await run(Array(CommandLine.arguments.dropFirst()), bootstrappingLogging: true))
    }

    /// Runs the command `arguments` name, writing to `Console.current`, and returns its exit code:
    /// a `CommandFailure` is one line on standard error and 1 (never the usage text); anything
    /// else is ArgumentParser's message and code (64 for a usage error). Used by the executable,
    /// and by tests that run a command in process; only a process bootstraps logging, which
    /// swift-log allows once.
    public static func run(_ arguments: [String], bootstrappingLogging: Bool = false) async -> Int32 {
        let console = Console.current
        do {
            var command = try parseAsRoot(arguments)
            if bootstrappingLogging {
                (command as? any LoggingCommand)?.logging.bootstrap()
                if !(command is any LongRunningCommand) { ProcessMemory.tuneForOneShotCommand() }
            }
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
            return 0
        } catch let failure as CommandFailure {
            console.err("roomkeeper: error: \(failure.description.terminalSafe)")
            return ExitCode.failure.rawValue
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty { code == .success ? console.out(message) : console.err(message) }
            return code.rawValue
        }
    }
}

/// A failure the user can act on: printed as `roomkeeper: error: MESSAGE`, exit 1, no usage text.
/// Commands throw it; `Roomkeeper.run(_:)` is the one place that turns it into words and a code.
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
