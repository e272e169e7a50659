import Foundation
import GraphAPI
import GraphClient
import PortalAPI
import TestSupport
import Testing

@testable import GraphEmulator

@Suite("Signing in to Microsoft Graph")
struct GraphSignInTests {
    private func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-graph-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("A registered certificate signs in, and the token is reused until it nears expiry")
    func certificate() async throws {
        let certificate = try TestCertificate.make()
        let app = GraphTenant.App(clientId: TestDirectory.clientId, certificates: [certificate.certificatePEM])
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(app: app))
        defer { Task { await graph.stop() } }
        let file = try folder().appendingPathComponent("app.pem")
        try certificate.pem.write(to: file, atomically: true, encoding: .utf8)
        chmod(file.path, 0o644)
        #expect(throws: GraphConfigurationError.self, "a private key others may read is refused, as ssh refuses one") {
            try ClientCertificate(pemFile: file.path)
        }
        chmod(file.path, 0o600)
        let session = try graph.session(.certificate(ClientCertificate(pemFile: file.path)))
        let first: GraphPage<GraphUser> = try await session.get(session.url("/users?$select=id,userPrincipalName"))
        let second: GraphPage<GraphUser> = try await session.get(session.url("/users?$select=id,userPrincipalName"))
        #expect(first.value.count == 7 + 4)  // people, and the resource accounts of the four rooms
        #expect(second.value.map(\.id) == first.value.map(\.id))
        #expect(await session.tokens.signIns == 1)
    }

    @Test("A certificate the app does not have is refused with Entra's reason, naming tenant and client")
    func wrongCertificate() async throws {
        let registered = try TestCertificate.make()
        let other = try TestCertificate.make(name: "someone-else")
        let app = GraphTenant.App(clientId: TestDirectory.clientId, certificates: [registered.certificatePEM])
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(app: app))
        defer { Task { await graph.stop() } }
        let session = try graph.session(.certificate(ClientCertificate(pem: other.pem)))
        let error = await #expect(throws: GraphError.self) {
            let _: GraphPage<GraphUser> = try await session.get(session.url("/users"))
        }
        let message = error?.description ?? ""
        #expect(message.contains("tenant \(TestDirectory.tenantId)"))
        #expect(message.contains("client \(TestDirectory.clientId)"))
        #expect(message.contains("AADSTS700027"))
        #expect(!message.contains("PRIVATE KEY"))
    }

    @Test("An assertion outside its validity window is refused as expired")
    func expiredAssertion() async throws {
        let certificate = try TestCertificate.make()
        let app = GraphTenant.App(clientId: TestDirectory.clientId, certificates: [certificate.certificatePEM])
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(app: app))
        defer { Task { await graph.stop() } }
        // A client whose clock is an hour behind signs an assertion that expired long ago.
        let session = try graph.session(.certificate(ClientCertificate(pem: certificate.pem)), now: { Date().addingTimeInterval(-3600) })
        let error = await #expect(throws: GraphError.self) {
            let _: GraphPage<GraphUser> = try await session.get(session.url("/users"))
        }
        #expect(error?.description.contains("AADSTS700024") == true)
    }

    @Test("A certificate assertion is used once and lasts ten minutes at most; issued tokens are pruned once expired")
    func assertionReplayAndLifetime() async throws {
        let certificate = try TestCertificate.make()
        let app = GraphTenant.App(clientId: TestDirectory.clientId, certificates: [certificate.certificatePEM])
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(app: app))
        defer { Task { await graph.stop() } }
        let signIn = try graph.signIn(.certificate(ClientCertificate(pem: certificate.pem)))
        func request(_ assertion: String) async throws -> HTTPResult {
            var unreserved = CharacterSet.alphanumerics
            unreserved.insert(charactersIn: "-._~")
            let form = [
                ("client_id", TestDirectory.clientId), ("scope", signIn.scope), ("grant_type", "client_credentials"),
                ("client_assertion_type", TokenRequestField.assertionType), ("client_assertion", assertion),
            ].map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: unreserved) ?? $1)" }
            return try await httpRequest(
                "POST", signIn.tokenEndpoint, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: form.joined(separator: "&"))
        }
        let assertion = try ClientCertificate(pem: certificate.pem).assertion(clientId: TestDirectory.clientId, audience: signIn.tokenEndpoint)
        #expect(try await request(assertion).status == 200)
        let replayed = try await request(assertion)
        #expect(replayed.status == 401 && replayed.body.contains("already used"), "\(replayed.body)")

        let now = Int(Date().timeIntervalSince1970)
        let day = try certificate.sign(
            .init(
                aud: signIn.tokenEndpoint, iss: TestDirectory.clientId, sub: TestDirectory.clientId, jti: UUID().uuidString, nbf: now,
                exp: now + 86_400),
            naming: true)
        let long = try await request(day)
        #expect(long.status == 401 && long.body.contains("AADSTS700024") && long.body.contains("at most 600"), "\(long.body)")
        let noId = try certificate.sign(
            .init(aud: signIn.tokenEndpoint, iss: TestDirectory.clientId, sub: TestDirectory.clientId, nbf: now, exp: now + 300), naming: true)
        #expect(try await request(noId).body.contains("no 'jti' claim"))
        let fine = try certificate.sign(
            .init(
                aud: signIn.tokenEndpoint, iss: TestDirectory.clientId, sub: TestDirectory.clientId, jti: UUID().uuidString, nbf: now, exp: now + 300),
            naming: true)
        #expect(try await request(fine).status == 200, "the same certificate, a fresh jti")

        // Issued tokens expire and are dropped at the next issue.
        graph.store.state.withLock { state in
            for key in state.tokens.keys { state.tokens[key]?.expires = Date().addingTimeInterval(-1) }
        }
        let another = try ClientCertificate(pem: certificate.pem).assertion(clientId: TestDirectory.clientId, audience: signIn.tokenEndpoint)
        #expect(try await request(another).status == 200)
        #expect(graph.store.state.withLock { $0.tokens.count } == 1)
    }

    @Test("One server for many tenants: a token reaches the directory of the tenant it was issued in, and no other")
    func manyTenants() async throws {
        let template = TestDirectory.tenant()
        let graph = try await RunningGraph.start(tenants: (0..<3).map { template.copy($0) })
        defer { Task { await graph.stop() } }
        #expect(graph.stores.map(\.tenantId) == (0..<3).map { GraphTenant.tenantId(ofCopy: $0, of: TestDirectory.tenantId) })
        #expect(graph.stores[2].tenantId.hasSuffix("-000000000002"))
        graph.stores[1].put(GraphTenant.User(userPrincipalName: "only.in.one@contoso.com", displayName: "Only In One"))
        var seen: [Set<String>] = []
        for store in graph.stores {
            let session = try graph.session(.secret(ClientSecret(TestDirectory.secret)), tenantId: store.tenantId)
            let page: GraphPage<GraphUser> = try await session.get(session.url("/users?$select=id,userPrincipalName&$top=999"))
            seen.append(Set(page.value.compactMap(\.userPrincipalName)))
        }
        #expect(seen[1].contains("only.in.one@contoso.com"))
        #expect(!seen[0].contains("only.in.one@contoso.com") && !seen[2].contains("only.in.one@contoso.com"))
        #expect(graph.stores.map(\.requestCount) == [1, 1, 1], "each tenant counts its own requests")

        // A token whose tag is changed to another tenant's is not that tenant's.
        let session = try graph.session(.secret(ClientSecret(TestDirectory.secret)), tenantId: graph.stores[0].tenantId)
        let token = try await session.tokens.token()
        let forged = "1" + token.drop { $0 != "." }
        let answer = try await httpRequest("GET", "\(graph.url)/v1.0/users", headers: ["Authorization": "Bearer \(forged)"])
        #expect(answer.status == 401 && answer.body.contains("InvalidAuthenticationToken"), "\(answer)")
        let unknown = try graph.session(
            .secret(ClientSecret(TestDirectory.secret)), tenantId: GraphTenant.tenantId(ofCopy: 9, of: TestDirectory.tenantId))
        let error = await #expect(throws: GraphError.self) {
            let _: GraphPage<GraphUser> = try await unknown.get(unknown.url("/users"))
        }
        #expect(error?.description.contains("AADSTS90002") == true, "\(String(describing: error))")
    }

    @Test("A revoked secret is refused without the secret appearing anywhere in the error")
    func revokedSecret() async throws {
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant())
        defer { Task { await graph.stop() } }
        let working = try graph.session(.secret(ClientSecret(TestDirectory.secret)))
        let _: GraphPage<GraphUser> = try await working.get(working.url("/users?$top=1"))
        let revoked = "revoked-secret-\(UUID().uuidString)"
        let session = try graph.session(.secret(ClientSecret(revoked)))
        let error = await #expect(throws: GraphError.self) {
            let _: GraphPage<GraphUser> = try await session.get(session.url("/users"))
        }
        let message = error?.description ?? ""
        #expect(message.contains("AADSTS7000215"))
        #expect(message.contains("client secret"))
        #expect(!message.contains(revoked))
        #expect(!"\(ClientSecret(revoked))".contains(revoked))
    }

    @Test("An expired secret is refused as expired")
    func expiredSecret() async throws {
        let app = GraphTenant.App(
            clientId: TestDirectory.clientId, secrets: [.init(value: TestDirectory.secret, expires: Date().addingTimeInterval(-60))])
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(app: app))
        defer { Task { await graph.stop() } }
        let session = try graph.session(.secret(ClientSecret(TestDirectory.secret)))
        let error = await #expect(throws: GraphError.self) {
            let _: GraphPage<GraphUser> = try await session.get(session.url("/users"))
        }
        #expect(error?.description.contains("AADSTS7000222") == true)
    }

    @Test("A workload identity's federated token file signs in; a token for another subject does not")
    func federatedToken() async throws {
        let issuerKey = try TestCertificate.make(name: "cluster-oidc")
        let issuer = "https://oidc.cluster.example/7c1d"
        let subject = "system:serviceaccount:roomkeeper:controller"
        let app = GraphTenant.App(
            clientId: TestDirectory.clientId, federated: [.init(issuer: issuer, subject: subject, signingCertificate: issuerKey.certificatePEM)])
        let graph = try await RunningGraph.start(tenant: TestDirectory.tenant(app: app))
        defer { Task { await graph.stop() } }
        let file = try folder().appendingPathComponent("token")
        let expiry = Int(Date().timeIntervalSince1970) + 3600
        try issuerKey.sign(.init(aud: TokenRequestField.federatedAudience, iss: issuer, sub: subject, exp: expiry))
            .write(to: file, atomically: true, encoding: .utf8)
        let session = try graph.session(.federatedTokenFile(path: file.path))
        let page: GraphPage<GraphUser> = try await session.get(session.url("/users?$top=2"))
        #expect(page.value.count == 2)

        // The kubelet rotates the file; a token for another service account is refused.
        try issuerKey.sign(.init(aud: TokenRequestField.federatedAudience, iss: issuer, sub: "system:serviceaccount:other:app", exp: expiry))
            .write(to: file, atomically: true, encoding: .utf8)
        let refused = try graph.session(.federatedTokenFile(path: file.path))
        let error = await #expect(throws: GraphError.self) {
            let _: GraphPage<GraphUser> = try await refused.get(refused.url("/users"))
        }
        #expect(error?.description.contains("AADSTS700213") == true)
        #expect(error?.description.contains(String(try String(contentsOf: file, encoding: .utf8).prefix(40))) == false)
    }

    @Test("Settings come from flags, then Azure's environment variables; more than one credential is refused")
    func settings() throws {
        let environment = [
            "AZURE_TENANT_ID": TestDirectory.tenantId, "AZURE_CLIENT_ID": TestDirectory.clientId, "AZURE_CLIENT_SECRET": "s3cret",
        ]
        let signIn = try GraphSignInSettings().resolve(environment: environment)
        #expect(signIn.tokenEndpoint == "https://login.microsoftonline.com/\(TestDirectory.tenantId)/oauth2/v2.0/token")
        #expect(signIn.scope == "https://graph.microsoft.com/.default")
        #expect(!"\(signIn)".contains("s3cret"))

        let china = try GraphSignInSettings(cloud: "china").resolve(environment: environment)
        #expect(china.scope == "https://microsoftgraph.chinacloudapi.cn/.default")
        #expect(china.authority.origin == "https://login.chinacloudapi.cn")

        var both = environment
        both["AZURE_FEDERATED_TOKEN_FILE"] = "/var/run/secrets/azure/tokens/azure-identity-token"
        #expect(throws: GraphConfigurationError.self) { try GraphSignInSettings().resolve(environment: both) }
        // A flag chooses among them.
        let chosen = try GraphSignInSettings(federatedTokenFile: "/token").resolve(environment: both)
        #expect(chosen.credential.kind == "federated token file /token")

        #expect(throws: GraphConfigurationError.self) {
            try GraphSignInSettings(graphEndpoint: "http://graph.example.net").resolve(environment: environment)
        }
        #expect(throws: GraphConfigurationError.self) {
            try GraphSignInSettings(tenantId: "../../evil").resolve(environment: environment)
        }

        // Empty is not set, for a flag as for a variable: the other one is used, or none.
        #expect(try GraphSignInSettings(tenantId: "").resolve(environment: environment).tenantId == TestDirectory.tenantId)
        var emptied = environment
        emptied["AZURE_TENANT_ID"] = ""
        #expect(throws: GraphConfigurationError.self) { try GraphSignInSettings().resolve(environment: emptied) }
        #expect(setting("", "ROOMKEEPER_CONTROLLER_URL", in: ["ROOMKEEPER_CONTROLLER_URL": "http://10.0.0.1:9090"]) == "http://10.0.0.1:9090")
        #expect(setting(nil, "ROOMKEEPER_CONTROLLER_URL", in: ["ROOMKEEPER_CONTROLLER_URL": ""]) == nil)
        #expect(setting("http://flag", "ROOMKEEPER_CONTROLLER_URL", in: ["ROOMKEEPER_CONTROLLER_URL": "http://variable"]) == "http://flag")
    }
}

@Suite("Client certificates made the way the README says")
struct ClientCertificateFileTests {
    @Test("A certificate and key from openssl load, with the thumbprint openssl reports; a key that does not match is refused")
    func opensslCertificate() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-openssl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func openssl(_ arguments: [String]) async throws -> String {
            let result = try await runProcess(URL(fileURLWithPath: "/usr/bin/openssl"), arguments, in: folder)
            #expect(result.status == 0, "openssl \(arguments): \(result.errors)")
            return result.output
        }
        for name in ["first", "second"] {
            _ = try await openssl([
                "req", "-x509", "-newkey", "rsa:3072", "-sha256", "-days", "365", "-nodes", "-subj", "/CN=Roomkeeper",
                "-keyout", "\(name).key", "-out", "\(name).crt",
            ])
        }
        let key = try String(contentsOf: folder.appendingPathComponent("first.key"), encoding: .utf8)
        let certificate = try String(contentsOf: folder.appendingPathComponent("first.crt"), encoding: .utf8)
        let loaded = try ClientCertificate(pem: key + certificate)
        let fingerprint = try await openssl(["x509", "-in", "first.crt", "-noout", "-fingerprint", "-sha1"])
        #expect(fingerprint.contains(loaded.thumbprint.chunked(by: 2).joined(separator: ":")), "\(fingerprint) vs \(loaded.thumbprint)")

        let other = try String(contentsOf: folder.appendingPathComponent("second.crt"), encoding: .utf8)
        let mismatch = #expect(throws: GraphConfigurationError.self) { try ClientCertificate(pem: key + other) }
        #expect(mismatch?.description.contains("does not belong to the certificate") == true)
        let keyOnly = #expect(throws: GraphConfigurationError.self) { try ClientCertificate(pem: key, source: "app.pem") }
        #expect(keyOnly?.description.contains("must hold both") == true)
    }
}

extension String {
    /// The string in pieces of `size` characters.
    fileprivate func chunked(by size: Int) -> [String] {
        stride(from: 0, to: count, by: size).map { offset in
            let start = index(startIndex, offsetBy: offset)
            return String(self[start..<(index(start, offsetBy: size, limitedBy: endIndex) ?? endIndex)])
        }
    }
}
