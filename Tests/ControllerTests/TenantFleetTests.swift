import Controller
import Foundation
import Logging
import PortalAPI
import PortalClient
import Tenants
import TestSupport
import Testing

@Suite("Many tenants in one process")
struct TenantFleetTests {
    /// A catalog of tenants with these names, each in a new file; what each runs against is the
    /// test's `configure`. The tenants in `slower` are checked every two hours rather than one.
    static func catalog(_ names: [String], in folder: URL, slower: Set<String> = []) throws -> TenantCatalog {
        let text = names.map { name in
            """
            apiVersion: roomkeeper/v1
            kind: Tenant
            metadata: {name: \(name)}
            spec:
              source: {url: "https://git.example.com/\(name)/rooms.git"}
              portal: {url: "https://portal.example.com", tokenFile: token}
              interval: \(slower.contains(name) ? "2h" : "1h")
            """
        }.joined(separator: "\n---\n")
        let file = folder.appendingPathComponent("tenants-\(names.count)-\(UUID().uuidString).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let loaded = TenantCatalog.load(path: file.path)
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        return loaded.catalog
    }

    /// Waits up to `seconds` for `condition`, checking every 50 ms.
    static func eventually(_ seconds: Double = 60, _ condition: () async -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if await condition() { return true }
            try await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    @Test(
        "A tenant whose portal hangs holds one turn until its deadline, never the others'; each tenant's series carry its name; a new catalog stops, starts and reports"
    )
    func isolation() async throws {
        let folder = try temporaryFolder("roomkeeper-fleet")
        let configuration = try temporaryFolder("roomkeeper-fleet-tenants")
        defer {
            try? FileManager.default.removeItem(at: folder)
            try? FileManager.default.removeItem(at: configuration)
        }
        try """
        apiVersion: roomkeeper/v1
        kind: RoomGroup
        metadata: {name: first-rooms}
        spec: {displayName: First rooms, rooms: [\(TestTenant.room(0))]}
        """.write(to: folder.appendingPathComponent("groups.yaml"), atomically: true, encoding: .utf8)

        try await RunningPortal.with(seed: TestTenant.seed(onboardingUnit: false), tokens: TestTenant.tokens) { portal in
            let url = portal.url
            // One turn for all: the hung tenant takes it first as often as not.
            let fleet = TenantFleet(concurrency: 1, logger: Logger(label: "test")) { tenant in
                if tenant.name == "broken" { throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: "/var/run/secrets/broken/token"]) }
                let hangs = tenant.name == "hung"
                let openPortal: @Sendable () async throws -> any Portal = {
                    if hangs { try await Task.sleep(for: .seconds(3600)) }
                    return HTTPPortalClient(baseURL: url, token: "admin-token", http: RunningPortal.testClient)
                }
                var configuration = ControllerConfiguration.testing(
                    .folder(folder.path), root: configuration.appendingPathComponent(tenant.name), interval: .seconds(3600),
                    retryInterval: .seconds(3600), mode: .report, openPortal: openPortal)
                // The hung tenant gives up at 2 s; the other has all the time a busy machine needs.
                configuration.reconcileTimeout = hangs ? .seconds(2) : .seconds(120)
                return configuration
            }
            await fleet.apply(try Self.catalog(["broken", "contoso", "hung"], in: configuration))
            #expect(await fleet.names == ["contoso", "hung"])
            #expect(await fleet.problems["broken"]?.contains("broken/token") == true)

            let contoso = try #require(await fleet.controller(named: "contoso"))
            let hung = try #require(await fleet.controller(named: "hung"))
            let contosoReconciled = try await Self.eventually { [.inSync, .driftDetected].contains(await contoso.status.reason) }
            #expect(contosoReconciled, "contoso never reconciled")
            let hungTimedOut = try await Self.eventually { await hung.status.reason == .timedOut }
            #expect(hungTimedOut, "the hung tenant's pass never reached its deadline")

            let exposition = fleet.registry.emitToString()
            #expect(exposition.contains(#"roomkeeper_reconcile_total{result="success",tenant="contoso"} 1"#), "\(exposition)")
            #expect(exposition.contains(#"roomkeeper_reconcile_total{result="failure",tenant="hung"} 1"#))

            // The hung tenant is dropped from the catalog: it stops, the others run on.
            await fleet.apply(try Self.catalog(["contoso"], in: configuration))
            let problems = await fleet.problems
            #expect(await fleet.names == ["contoso"] && problems.isEmpty)
            #expect(await fleet.controller(named: "contoso") === contoso, "an unchanged tenant in another file is not restarted")

            // A changed definition restarts its tenant, with the new settings, once its pass is over.
            await fleet.apply(try Self.catalog(["contoso"], in: configuration, slower: ["contoso"]))
            let restarted = try #require(await fleet.controller(named: "contoso"))
            #expect(restarted !== contoso, "a changed tenant keeps running with its old settings")
            let restartedReconciled = try await Self.eventually { [.inSync, .driftDetected].contains(await restarted.status.reason) }
            #expect(restartedReconciled, "the restarted tenant never reconciled")
            await fleet.stop()
            #expect(await fleet.names.isEmpty)
        }
    }
}
