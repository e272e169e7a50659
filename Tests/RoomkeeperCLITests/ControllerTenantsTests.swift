import Foundation
import KubernetesLeases
import TestSupport
import Testing

@Suite("roomkeeper controller --tenants, end to end")
struct ControllerTenantsTests {
    private static let adminToken = "fleet-admin-token-31"
    private static let clientId = "6d5c4b3a-2f1e-4d0c-9b8a-7f6e5d4c3b2a"

    /// The fleet's `/status`, or a tenant's with `tenant`.
    private static func status(_ base: String, tenant: String? = nil) async throws -> [String: Any] {
        let path = tenant.map { "/tenants/\($0)/status" } ?? "/status"
        let answer = try await httpRequest("GET", base + path, headers: ["Authorization": "Bearer \(adminToken)"])
        return try #require(try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any], "\(answer.status) \(answer.body)")
    }

    /// Polls the fleet's `/status` until `condition` holds, for up to `seconds`.
    private static func waitForFleet(_ base: String, seconds: Double = 90, _ condition: ([String: [String: Any]]) -> Bool) async throws
        -> [String: [String: Any]]
    {
        let deadline = Date().addingTimeInterval(seconds)
        var tenants: [String: [String: Any]] = [:]
        var last: [String: Any] = [:]
        while Date() < deadline {
            last = try await status(base)
            tenants = last["tenants"] as? [String: [String: Any]] ?? [:]
            if condition(tenants) { return tenants }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("the fleet's status did not come to pass: \(last)")
        return tenants
    }

    @Test("Flags that belong in each tenant's document are refused with --tenants; self-heal through Graph alone is refused")
    func refusals() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        var environment = workspace.environment
        environment["ROOMKEEPER_PORTAL_URL"] = nil
        func run(_ arguments: [String]) async throws -> ProcessResult {
            try await runProcess(Roomkeeper.executable, arguments, environment: environment, in: workspace.state, input: "")
        }
        let mixed = try await run(["controller", "--tenants", "tenants.yaml", "--source", "https://git.example.com/rooms.git", "--self-heal"])
        #expect(mixed.status == 64 && mixed.errors.contains("leave out --source, --self-heal"), "\(mixed.errors)")
        let graphOnly = try await run([
            "controller", "--graph", "--tenant-id", "contoso.onmicrosoft.com", "--client-id", Self.clientId, "--self-heal",
        ])
        #expect(graphOnly.status == 64 && graphOnly.errors.contains("--self-heal needs a portal"), "\(graphOnly.errors)")
        let badName = try await run(["controller", "status", "--tenant", "Contoso_EU"])
        #expect(badName.status == 64 && badName.errors.contains("--tenant must be a tenant's name"), "\(badName.errors)")
    }

    @Test(
        "Two tenants from one file, one through its portal and one through Graph alone: each reconciled, served at its own path, labelled in the metrics; the file is read again, a broken edit refused"
    )
    func fleet() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let git = try GitFixture()
        defer { git.remove() }
        try await git.create("contoso")
        _ = try await git.commit("contoso", "Add Contoso", files: GeneratedManifests.example("contoso"))
        let daemon = try await git.daemon()
        defer { Task { await daemon.stop() } }

        // Contoso's portal, and Fabrikam's directory (its portal has no API).
        let portal = try BackgroundProcess(
            Roomkeeper.executable,
            ["portal", "serve", "--db", workspace.state.appendingPathComponent("portal.sqlite").path, "--listen", "127.0.0.1:0"],
            environment: ["ROOMKEEPER_PORTAL_TOKENS": "roomkeeper@contoso.com=contoso-portal-token", "PATH": "/usr/bin:/bin"])
        defer { Task { _ = try? await portal.terminate() } }
        let portalLine = try #require(try await portal.line(containing: "emulator listening on"), "\(portal.printed)")
        let portalURL = try #require(portalLine.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))

        let secrets = workspace.state.appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
        try "contoso-portal-token".write(to: secrets.appendingPathComponent("contoso-portal-token"), atomically: true, encoding: .utf8)
        let appSecret = "fabrikam-app-secret-\(UUID().uuidString)"
        try appSecret.write(to: secrets.appendingPathComponent("fabrikam-app-secret"), atomically: true, encoding: .utf8)
        // Secret files readable by their owner only, as Roomkeeper requires.
        for file in ["contoso-portal-token", "fabrikam-app-secret"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secrets.appendingPathComponent(file).path)
        }
        // The partner's people sign in to the console through the same app (an emulator's tenant here).
        let consolePort = try freeLoopbackPort()
        let consoleOrigin = "http://127.0.0.1:\(consolePort)"
        let (graph, graphURL, graphTenant) = try await serveGraph(
            workspace, clientId: Self.clientId, secretFile: secrets.appendingPathComponent("fabrikam-app-secret"),
            extra: ["--redirect-uri", "\(consoleOrigin)/console/callback", "--app-role", "megan.bowen@contoso.com=Roomkeeper.Viewer"])
        defer { Task { _ = try? await graph.terminate() } }

        let contoso = """
            apiVersion: roomkeeper/v1
            kind: Tenant
            metadata: {name: contoso}
            spec:
              source: {url: "\(daemon.url)/contoso.git"}
              portal: {url: "\(portalURL)", tokenFile: secrets/contoso-portal-token}
              interval: 1h
            """
        let fabrikam = """
            apiVersion: roomkeeper/v1
            kind: Tenant
            metadata: {name: fabrikam}
            spec:
              source: {url: "\(daemon.url)/contoso.git"}
              graph:
                tenantId: "\(graphTenant)"
                clientId: "\(Self.clientId)"
                clientSecretFile: secrets/fabrikam-app-secret
                authorityHost: "\(graphURL)"
                graphEndpoint: "\(graphURL)"
              interval: 1h
            """
        let tenantsFile = workspace.state.appendingPathComponent("tenants.yaml")
        try (contoso + "\n---\n" + fabrikam).write(to: tenantsFile, atomically: true, encoding: .utf8)
        #expect(try await workspace.run(["tenants", "validate", tenantsFile.path]).output.contains("2 tenants valid"))

        var environment = workspace.environment
        environment["ROOMKEEPER_PORTAL_URL"] = nil
        environment["ROOMKEEPER_ADMIN_TOKEN"] = Self.adminToken
        environment["XDG_CACHE_HOME"] = workspace.state.appendingPathComponent("cache").path
        environment.merge(
            [
                "AZURE_TENANT_ID": graphTenant, "AZURE_CLIENT_ID": Self.clientId, "AZURE_CLIENT_SECRET": appSecret, "AZURE_AUTHORITY_HOST": graphURL,
            ], uniquingKeysWith: { _, new in new })
        let controller = try BackgroundProcess(
            Roomkeeper.executable,
            [
                "controller", "--tenants", tenantsFile.path, "--tenants-reload", "1s", "--listen", "127.0.0.1:\(consolePort)", "--console-url",
                consoleOrigin, "--log-format", "json",
            ],
            environment: environment)
        defer { Task { _ = try? await controller.terminate() } }
        let listening = try #require(try await controller.line(containing: "controller listening on"), "\(controller.printed)")
        let base = try #require(listening.split(separator: " ").last.map(String.init))

        let reconciled = try await Self.waitForFleet(base) { tenants in
            ["contoso", "fabrikam"].allSatisfy { tenants[$0]?["lastSuccessAt"] != nil }
        }
        #expect(reconciled["contoso"]?["condition"] as? String == "Ready", "\(reconciled)")
        #expect(reconciled["fabrikam"]?["condition"] as? String == "Ready", "\(reconciled)")
        #expect((reconciled["fabrikam"]?["message"] as? String)?.contains("the portal has no API") == true, "\(reconciled)")
        #expect(try await Self.status(base, tenant: "contoso")["mode"] as? String == "report")
        let report = try await httpRequest("GET", "\(base)/tenants/fabrikam/report", headers: ["Authorization": "Bearer \(Self.adminToken)"])
        #expect(report.status == 200 && report.body.contains("Roomkeeper drift report"))
        #expect(try await httpRequest("GET", "\(base)/tenants/nobody/status", headers: ["Authorization": "Bearer \(Self.adminToken)"]).status == 404)
        #expect(try await httpRequest("GET", "\(base)/status").status == 401)
        let metrics = try await httpRequest("GET", "\(base)/metrics").body
        #expect(metrics.contains(#"roomkeeper_reconcile_total{result="success",tenant="contoso"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"roomkeeper_reconcile_total{result="success",tenant="fabrikam"} 1"#))

        // The console lists both tenants; the Graph-only one has a checklist, the one with a portal a plan.
        let browser = CookieBrowser()
        _ = try await browser.signIn(to: consoleOrigin, as: "megan.bowen@contoso.com")
        let overview = try await browser.get(consoleOrigin + "/console")
        #expect(overview.body.contains(">contoso</a>") && overview.body.contains(">fabrikam</a>"), "\(overview.body)")
        #expect(try await browser.get(consoleOrigin + "/console/tenants/fabrikam/checklist").body.contains("steps to do in the portal"))
        let plan = try await browser.get(consoleOrigin + "/console/tenants/contoso/plan")
        #expect(plan.status == 200 && !plan.body.contains("No plan yet"), "\(plan.body)")

        // The operator's commands, per tenant.
        let operatorEnvironment = ["ROOMKEEPER_ADMIN_TOKEN": Self.adminToken, "PATH": "/usr/bin:/bin"]
        let one = try await workspace.run(["controller", "status", "--controller", base, "--tenant", "contoso"], environment: operatorEnvironment)
        #expect(one.output.contains("Ready"), "\(one.output) \(one.errors)")
        let all = try await workspace.run(["controller", "status", "--controller", base], environment: operatorEnvironment)
        #expect(all.output.contains("2 tenants running") && all.output.contains("fabrikam: Ready"), "\(all.output) \(all.errors)")
        let suspended = try await workspace.run(
            ["controller", "suspend", "--controller", base, "--tenant", "fabrikam"], environment: operatorEnvironment)
        let fabrikamStatus = try await Self.status(base, tenant: "fabrikam")
        #expect(suspended.status == 0 && fabrikamStatus["suspended"] as? Bool == true, "\(suspended.output) \(suspended.errors)")

        // A broken edit is refused and changes nothing; a good one drops Fabrikam.
        try (contoso + "\n---\nkind: Tenant\n").write(to: tenantsFile, atomically: true, encoding: .utf8)
        _ = try #require(try await controller.line(containing: "Tenants file refused"), "\(controller.printed.suffix(2000))")
        let afterRefusal = try await Self.status(base)["tenants"] as? [String: Any]
        #expect(afterRefusal?.count == 2)
        try contoso.write(to: tenantsFile, atomically: true, encoding: .utf8)
        let dropped = try await Self.waitForFleet(base, seconds: 30) { $0.count == 1 }
        #expect(dropped.keys.sorted() == ["contoso"])

        // SIGTERM: every tenant stops after its pass in progress, and the process exits cleanly.
        #expect(try await controller.terminate() == 0, "\(controller.printed.suffix(2000))")
    }

    @Test(
        "Three replicas share nine tenants through Kubernetes Leases: each tenant run by one; a kill -9 hands its tenants over within a lease; a SIGTERM at once"
    )
    func replicas() async throws {
        let workspace = try Workspace()
        defer { workspace.remove() }
        let git = try GitFixture()
        defer { git.remove() }
        try await git.create("rooms")
        _ = try await git.commit("rooms", "Add Contoso", files: GeneratedManifests.example("contoso"))
        let daemon = try await git.daemon()
        defer { Task { await daemon.stop() } }
        let cluster = try await KubernetesStandIn.start()
        defer { Task { await cluster.stop() } }
        let secrets = workspace.state.appendingPathComponent("secrets")
        try FileManager.default.createDirectory(at: secrets, withIntermediateDirectories: true)
        for (file, text) in [("app-secret", "app-secret-\(UUID().uuidString)"), ("sa-token", cluster.token)] {
            try text.write(to: secrets.appendingPathComponent(file), atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secrets.appendingPathComponent(file).path)
        }
        let (graph, graphURL, graphTenant) = try await serveGraph(
            workspace, clientId: Self.clientId, secretFile: secrets.appendingPathComponent("app-secret"))
        defer { Task { _ = try? await graph.terminate() } }

        // Nine Graph-only tenants over one repository and one directory: what is shared is the point.
        let names = (1...9).map { "customer-\($0)" }
        let tenantsFile = workspace.state.appendingPathComponent("tenants.yaml")
        try names.map { name in
            graphOnlyTenantDocument(
                name: name, sourceURL: "\(daemon.url)/rooms.git", tenantId: graphTenant, clientId: Self.clientId, graphURL: graphURL)
        }.joined(separator: "\n---\n").write(to: tenantsFile, atomically: true, encoding: .utf8)

        var environment = workspace.environment
        environment["ROOMKEEPER_PORTAL_URL"] = nil
        environment["ROOMKEEPER_ADMIN_TOKEN"] = Self.adminToken
        var replicas: [String: (process: BackgroundProcess, base: String)] = [:]
        for replica in ["roomkeeper-0", "roomkeeper-1", "roomkeeper-2"] {
            var own = environment
            own["ROOMKEEPER_STATE_DIR"] = workspace.state.appendingPathComponent(replica).path
            own["XDG_CACHE_HOME"] = workspace.state.appendingPathComponent("\(replica)-cache").path
            let process = try BackgroundProcess(
                Roomkeeper.executable,
                [
                    "controller", "--tenants", tenantsFile.path, "--listen", "127.0.0.1:0", "--kubernetes-api", cluster.url,
                    "--kubernetes-token-file", secrets.appendingPathComponent("sa-token").path, "--kubernetes-namespace", "rooms",
                    "--replica-name", replica, "--tenant-lease-seconds", "3", "--log-format", "json",
                ], environment: own)
            let line = try #require(try await process.line(containing: "controller listening on"), "\(process.printed)")
            replicas[replica] = (process, try #require(line.split(separator: " ").last.map(String.init)))
        }
        defer { for replica in replicas.values { Task { _ = try? await replica.process.terminate() } } }

        /// Which replica runs which tenant, once `live` run exactly their rendezvous shares.
        func settled(_ live: [String], seconds: Double = 60) async throws -> [String: Set<String>] {
            var expected = Dictionary(uniqueKeysWithValues: live.map { ($0, Set<String>()) })
            for tenant in names { expected[Rendezvous.owner(of: tenant, among: live) ?? "", default: []].insert(tenant) }
            let deadline = Date().addingTimeInterval(seconds)
            var running: [String: Set<String>] = [:]
            while Date() < deadline {
                running = [:]
                for name in live {
                    let tenants = try await Self.status(replicas[name]?.base ?? "")["tenants"] as? [String: Any] ?? [:]
                    running[name] = Set(tenants.keys)
                }
                if running == expected { return running }
                try await Task.sleep(for: .milliseconds(200))
            }
            Issue.record("the tenants were not shared as rendezvous hashing says: \(running), expected \(expected)")
            return running
        }

        let three = try await settled(["roomkeeper-0", "roomkeeper-1", "roomkeeper-2"])
        #expect(three.values.allSatisfy { !$0.isEmpty }, "each replica runs some: \(three)")

        // kill -9: its tenants are taken over once their Leases expire (3 s), by the two left.
        let killed = Date()
        try await replicas["roomkeeper-1"]?.process.kill()
        let two = try await settled(["roomkeeper-0", "roomkeeper-2"])
        let takeover = Date().timeIntervalSince(killed)
        #expect(takeover < 30, "takeover took \(takeover) s")
        #expect(two.values.allSatisfy { !$0.isEmpty }, "\(two)")

        // SIGTERM: the replica releases its Leases as it stops; the last one takes everything.
        #expect(try await replicas["roomkeeper-2"]?.process.terminate() == 0)
        let one = try await settled(["roomkeeper-0"], seconds: 30)
        #expect(one["roomkeeper-0"] == Set(names))
        print("replicas: 9 tenants over 3 replicas \(three.mapValues(\.count)); kill -9 taken over in \(String(format: "%.1f", takeover)) s")
    }
}
