import ArgumentParser
import Foundation
import Manifests
import PortalModel
import Reports
import Tenants

/// `roomkeeper tenants`: the tenants file of a partner's controller.
struct TenantsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants", abstract: "Check the tenants a partner's controller serves (kind: Tenant).",
        subcommands: [ValidateTenants.self])

    struct ValidateTenants: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "validate",
            abstract: "Check a tenants file or folder as the controller reads it: every problem at once, at its line and column.")

        @Argument(help: "A YAML file of kind: Tenant documents, or a folder of them.", completion: .file())
        var path: String

        func run() async throws {
            let loaded = TenantCatalog.load(path: path)
            if !loaded.diagnostics.isEmpty {
                Console.current.err(DiagnosticRenderer(style: .automatic()).render(loaded.diagnostics, sources: loaded.sources), terminator: "")
            }
            guard !loaded.diagnostics.hasErrors else { throw ExitCode.failure }
            let tenants = loaded.catalog.tenants
            Console.current.out("\(tenants.count) tenant\(tenants.count == 1 ? "" : "s") valid")
            for tenant in tenants {
                let through = [tenant.portal.map { _ in "portal" }, tenant.graph.map { _ in "graph" }].compactMap { $0 }.joined(separator: " and ")
                Console.current.out(
                    "  \(tenant.name): \(through), every \(DurationText.text(tenant.intervalSeconds))\(tenant.selfHeal ? ", self-heal" : "")")
            }
        }
    }
}
