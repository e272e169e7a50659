import ArgumentParser
import Engine
import Foundation
import Manifests
import PortalAPI
import Reconciler
import Reports

extension Roomkeeper {
    struct ExportCommand: AsyncParsableCommand, LoggingCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Write manifests from the live portal: bootstrap a repository, or adopt a change into git.",
            discussion: """
                Reads the portal and writes one file per kind into --out (room-groups.yaml, roles.yaml, \
                role-assignments.yaml, update-rings.yaml, devices.yaml), objects sorted by name, so a \
                repository can start from an existing tenant. Objects Roomkeeper manages keep their \
                manifest names; hand-made ones are named after their display names, and a roomkeeper.yaml \
                allowing their adoption is written when the folder has none. With --select, only the \
                named objects are written (the adopt remedy of a drift report). With --graph \
                --room-lists, a room group per Places room list is added, selecting the list's rooms. \
                Existing files are not \
                overwritten without --force. Planning the exported folder against the same portal shows \
                no changes, apart from taking ownership of hand-made objects.
                """)

        @Option(help: "The folder to write the manifests into (created if missing).")
        var out: String?

        @Option(help: "With --select: a manifest repository to adopt the objects into, rewriting the documents that declare them.")
        var into: String?

        @Option(help: "Export only KIND/NAME (repeatable); NAME is a manifest name, a portal id or a device serial number.")
        var select: [String] = []

        @Flag(help: "Overwrite files that already exist.")
        var force = false

        @Flag(help: "With --graph: also write a room group per Places room list, selecting its rooms.")
        var roomLists = false

        @OptionGroup var portalOptions: PortalOptions

        @OptionGroup var graphOptions: GraphOptions

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            guard (out == nil) != (into == nil) else { throw ValidationError("give --out DIR or --into REPOSITORY, one of them") }
            if into != nil, select.isEmpty { throw ValidationError("--into adopts the objects --select names; name at least one") }
            if roomLists, !graphOptions.isEnabled() {
                throw ValidationError("--room-lists reads the tenant's room lists through Microsoft Graph; add --graph")
            }
        }

        func run() async throws {
            let engine = try graphOptions.engine()
            let portal = try await portalOptions.choice().open()
            let live = try await Planning.readLive(portal, engine: engine)
            let result = Exporter.export(live, select: Set(select), roomListGroups: roomLists)
            if !select.isEmpty, result.manifests.isEmpty {
                throw CommandFailure(
                    "nothing in \(PortalEndpoint.phrase(portal.endpointDescription)) matches \(select.joined(separator: ", ")); nothing was written")
            }
            guard let out else {
                if let into { try adopt(result.manifests, into: into, from: portal.endpointDescription) }
                return
            }
            let written: [String]
            do {
                written = try ExportFiles.write(result, to: URL(fileURLWithPath: out), withPolicy: select.isEmpty, force: force)
            } catch ExportError.wouldOverwrite(let existing) {
                throw CommandFailure(
                    "\(existing.joined(separator: ", ")) already exist\(existing.count == 1 ? "s" : ""); "
                        + "pass --force to overwrite, or choose another --out. Nothing was written")
            }
            let renderer = PlanRenderer(style: TerminalStyle.automatic())
            for finding in result.skipped { printError(renderer.finding(finding).trimmingCharacters(in: .newlines)) }
            Console.current.out(
                "Exported \(counted(result.manifests.count, "object")) from \(PortalEndpoint.phrase(portal.endpointDescription)) to \(out): "
                    + written.joined(separator: ", ") + ".")
        }

        private func adopt(_ manifests: [Manifest], into folder: String, from portal: String) throws {
            let changed: [String]
            do {
                changed = try ExportFiles.adopt(manifests, into: URL(fileURLWithPath: folder))
            } catch ExportError.repositoryInvalid(let loaded) {
                let renderer = DiagnosticRenderer(style: TerminalStyle.automatic())
                Console.current.err(renderer.render(loaded.diagnostics, sources: loaded.sources), terminator: "")
                throw CommandFailure("\(folder): \(DiagnosticRenderer.count(loaded.diagnostics)); nothing was adopted")
            }
            Console.current.out(
                "Adopted \(counted(manifests.count, "object")) from \(PortalEndpoint.phrase(portal)) into \(folder): \(changed.joined(separator: ", ")). "
                    + "Rewritten documents keep their metadata but not their comments; review with git diff, then commit.")
        }
    }
}
