import ArgumentParser
import Reconciler
import Reports

extension Roomkeeper {
    struct AccessCommand: AsyncParsableCommand, LoggingCommand {
        static let configuration = CommandConfiguration(
            commandName: "access",
            abstract: "Show who can do what in which rooms: portal assignments and Entra directory roles together.",
            discussion: """
                Reads the portal's role assignments (to users, and to security groups and so to their \
                members) and the Entra directory roles that reach the portal without any assignment \
                (Global Administrator, Global Reader, Teams Administrator, Teams Devices Administrator), \
                and lists each person with every way they get in and what it lets them do where. \
                Changes nothing. Exit 0, or 1 when the portal cannot be read.
                """)

        @OptionGroup var portalOptions: PortalOptions

        @OptionGroup var graphOptions: GraphOptions

        @Option(help: "Output format: text, json, or markdown (for an audit ticket).")
        var format: OutputOptions.PlanFormat = .text

        @Option(help: "Only this person (a user principal name).")
        var user: String?

        @OptionGroup var colorOptions: ColorOptions

        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let engine = try graphOptions.engine()
            let portal = try await portalOptions.choice().open()
            var report = AccessReport.make(try await Planning.readLive(portal, engine: engine))
            if let user { report.people = report.people.filter { $0.userPrincipalName.lowercased() == user.lowercased() } }
            switch format {
            case .json: Console.current.out(try AccessRenderer.json(report), terminator: "")
            case .text:
                Console.current.out(AccessRenderer.text(report, portal: portal.endpointDescription, style: colorOptions.style), terminator: "")
            case .markdown: Console.current.out(AccessRenderer.markdown(report, portal: portal.endpointDescription), terminator: "")
            }
        }
    }
}
