import ArgumentParser

@main
struct Roomkeeper: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roomkeeper",
        abstract: "GitOps for the Microsoft Teams Rooms Pro Management portal.",
        discussion: """
            Declare room groups, roles, role assignments, expected devices and update rings as YAML \
            manifests in git; Roomkeeper checks them, plans the changes against the portal, applies \
            them and reports drift.

            Exit codes: 0 success (valid, in sync), 1 error, 2 changes or drift found, 64 usage error.
            """,
        version: "0.1.0",
        subcommands: [Validate.self, PlanCommand.self, ApplyCommand.self, DriftCommand.self, ExportCommand.self, ControllerCommand.self, Schema.self, PortalCommand.self])
}
