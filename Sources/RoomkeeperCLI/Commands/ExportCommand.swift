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
                if let into { try Adoption.adopt(result.manifests, into: into, from: portal.endpointDescription) }
                return
            }
            var files: [(name: String, text: String)] = []
            for kind in ManifestKind.allCases {
                let documents = result.manifests.filter { $0.kind == kind }
                guard !documents.isEmpty else { continue }
                files.append((Self.fileName(kind), try YAMLWriter.write(documents.map(\.yamlValue))))
            }
            let folder = URL(fileURLWithPath: out)
            let policyFile = folder.appendingPathComponent("roomkeeper.yaml")
            if select.isEmpty, !FileManager.default.fileExists(atPath: policyFile.path) {
                files.append(("roomkeeper.yaml", try YAMLWriter.write([Self.policy(adopting: result.handMadeKinds)])))
            }
            let existing = files.map { folder.appendingPathComponent($0.name).path }.filter(FileManager.default.fileExists(atPath:))
            if !force, !existing.isEmpty {
                throw CommandFailure(
                    "\(existing.joined(separator: ", ")) already exist\(existing.count == 1 ? "s" : ""); "
                        + "pass --force to overwrite, or choose another --out. Nothing was written")
            }
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for file in files {
                try file.text.write(to: folder.appendingPathComponent(file.name), atomically: true, encoding: .utf8)
            }
            let renderer = PlanRenderer(style: TerminalStyle.automatic())
            for finding in result.skipped { printError(renderer.finding(finding).trimmingCharacters(in: .newlines)) }
            print(
                "Exported \(counted(result.manifests.count, "object")) from \(PortalEndpoint.phrase(portal.endpointDescription)) to \(out): "
                    + files.map(\.name).joined(separator: ", ") + ".")
        }

        static func fileName(_ kind: ManifestKind) -> String {
            switch kind {
            case .roomGroup: "room-groups.yaml"
            case .role: "roles.yaml"
            case .roleAssignment: "role-assignments.yaml"
            case .device: "devices.yaml"
            case .updateRing: "update-rings.yaml"
            }
        }

        /// A policy that lets a plan take ownership of the hand-made objects just exported.
        static func policy(adopting kinds: Set<ManifestKind>) -> YAMLValue {
            let adopt = RepositoryPolicy.manageableKinds.filter(kinds.contains).map { (key: $0.collectionName, value: YAMLValue.bool(true)) }
            var spec: [(key: String, value: YAMLValue)] = []
            if !adopt.isEmpty { spec.append(("adopt", .mapping(adopt))) }
            return .mapping([
                ("apiVersion", .string(ManifestKind.apiVersion)), ("kind", .string("Policy")), ("spec", .mapping(spec)),
            ])
        }
    }
}
