import Foundation
import Manifests
import Reports
import Tenants
import Testing

@Suite("The tenants a partner's controller serves")
struct TenantCatalogTests {
    /// A folder of tenant files, removed when the test ends.
    final class Folder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID().uuidString)")

        func write(_ relative: String, _ text: String) throws {
            let file = url.appendingPathComponent(relative)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }

        deinit { try? FileManager.default.removeItem(at: url) }
    }

    @Test(
        "A folder of files, several tenants to a file: defaults filled in, secret paths from each file's folder, a ConfigMap's own folders left out")
    func folder() throws {
        let folder = Folder()
        try folder.write(
            "customers/a.yaml",
            """
            apiVersion: roomkeeper/v1
            kind: Tenant
            metadata:
              name: contoso
            spec:
              source:
                url: https://git.example.com/contoso/rooms.git
                ref: production
                path: manifests
                allowedSigners: keys/allowed_signers
              portal:
                url: https://portal.example.com/api
                tokenFile: secrets/contoso-portal-token
              graph:
                tenantId: contoso.onmicrosoft.com
                clientId: 3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f
                clientCertificateFile: /var/run/secrets/contoso/app.pem
              notifications:
                urlFile: secrets/contoso-webhook
                format: teams
              interval: 10m
              selfHeal: true
            ---
            apiVersion: roomkeeper/v1
            kind: Tenant
            metadata:
              name: fabrikam
            spec:
              source:
                url: git@git.example.com:fabrikam/rooms.git
              graph:
                tenantId: fabrikam.onmicrosoft.com
                clientId: 4c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f
                federatedTokenFile: /var/run/secrets/azure/tokens/azure-identity-token
                cloud: usgov
            """)
        try folder.write(
            "b.yml",
            """
            apiVersion: roomkeeper/v1
            kind: Tenant
            metadata:
              name: adatum
            spec:
              source:
                url: ssh://git@git.example.com/adatum/rooms.git
              portal:
                url: http://127.0.0.1:8080
                tokenFile: adatum-token
              reconcileTimeout: 90s
            """)
        // What Kubernetes puts beside a ConfigMap's files, and a file of another type.
        try folder.write("..2026_12_07_21_00_00.123/a.yaml", "kind: Broken")
        try folder.write("README.md", "# not a tenant")

        let loaded = TenantCatalog.load(path: folder.url.path)
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        #expect(loaded.catalog.tenants.map(\.name) == ["adatum", "contoso", "fabrikam"])
        let (adatum, contoso, fabrikam) = (loaded.catalog.tenants[0], loaded.catalog.tenants[1], loaded.catalog.tenants[2])
        let customers = folder.url.appendingPathComponent("customers").path

        #expect(contoso.source.url == "https://git.example.com/contoso/rooms.git" && contoso.source.ref == "production")
        #expect(contoso.source.path == "manifests" && contoso.source.gpgKeyring == nil)
        #expect(contoso.source.allowedSigners == customers + "/keys/allowed_signers")
        #expect(contoso.portal?.url == "https://portal.example.com/api")
        #expect(contoso.portal?.tokenFile == customers + "/secrets/contoso-portal-token")
        #expect(contoso.graph?.credential == .certificateFile("/var/run/secrets/contoso/app.pem"))
        #expect(contoso.graph?.tenantId == "contoso.onmicrosoft.com" && contoso.graph?.cloud == nil)
        #expect(contoso.notifications?.urlFile == customers + "/secrets/contoso-webhook" && contoso.notifications?.format == "teams")
        #expect(contoso.intervalSeconds == 600 && contoso.selfHeal && contoso.reconcileTimeoutSeconds == 1800)

        #expect(fabrikam.portal == nil && fabrikam.graph?.cloud == "usgov" && !fabrikam.selfHeal)
        #expect(fabrikam.source.ref == "main" && fabrikam.source.path == "" && fabrikam.intervalSeconds == 300)
        #expect(fabrikam.graph?.credential == .federatedTokenFile("/var/run/secrets/azure/tokens/azure-identity-token"))

        #expect(adatum.portal?.tokenFile == folder.url.appendingPathComponent("adatum-token").path)
        #expect(adatum.graph == nil && adatum.reconcileTimeoutSeconds == 90)
        #expect(adatum.location.file.hasSuffix("b.yml") && adatum.location.line == 1)
    }

    @Test("Every problem at once, each at its line and column with what to do; a secret's value is never repeated")
    func problems() throws {
        let folder = Folder()
        try folder.write(
            "tenants.yaml",
            """
            apiVersion: roomkeeper/v1
            kind: Tenant
            metadata:
              name: contoso
            spec:
              source:
                url: https://git.example.com/contoso/rooms.git
              portal:
                url: https://portal.example.com/api
                tokenFile: contoso-token
            ---
            apiVersion: roomkeeper/v1
            kind: Tenant
            metadata:
              name: fabrikam
            spec:
              source:
                url: https://git.example.com/fabrikam/rooms.git
              graph:
                tenantId: fabrikam.onmicrosoft.com
                clientId: 4c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f
                clientSecret: hunter2-do-not-echo
                clientSecretFile: fabrikam-secret
            ---
            apiVersion: roomkeeper/v1
            kind: Tenant
            metadata:
              name: contoso
            spec:
              source:
                url: rooms
              portal:
                url: http://portal.example.com
                tokenFile: t
              interval: soon
            ---
            apiVersion: roomkeeper/v1
            kind: Tenant
            metadata:
              name: adatum
            spec:
              source:
                url: https://git.example.com/adatum/rooms.git
              selfHeal: true
            ---
            apiVersion: roomkeeper/v1
            kind: RoomGroup
            metadata:
              name: london
            spec: {}
            """)
        let loaded = TenantCatalog.load(path: folder.url.appendingPathComponent("tenants.yaml").path)
        let errors = loaded.diagnostics.filter { $0.severity == .error }
        func error(at line: Int, _ words: String) -> Diagnostic? {
            errors.first { $0.location?.line == line && $0.message.contains(words) }
        }
        #expect(error(at: 22, "looks like a secret") != nil)
        #expect(error(at: 25, "a second tenant named 'contoso'")?.notes.first?.location.line == 1)
        #expect(error(at: 31, "is not a git URL")?.hint?.contains("git@host:owner/repo.git") == true)
        #expect(error(at: 33, "must be https://") != nil)
        #expect(error(at: 35, "not a length of time")?.hint == "write it as 90s, 5m or 1h")
        #expect(error(at: 42, "neither a portal nor graph") != nil)
        #expect(error(at: 44, "selfHeal needs a portal") != nil)
        #expect(error(at: 47, "'kind' must be Tenant, not 'RoomGroup'") != nil)
        #expect(error(at: 50, "missing required field 'source'") != nil)
        #expect(errors.count == 9, "\(errors.map { "\($0.location?.line ?? 0): \($0.message)" })")
        let rendered = DiagnosticRenderer(style: TerminalStyle(usesColor: false)).render(loaded.diagnostics, sources: loaded.sources)
        #expect(!rendered.contains("hunter2"))
        // A catalog with errors is not to be used; the duplicate is not taken.
        #expect(loaded.diagnostics.hasErrors && loaded.catalog.tenants.filter { $0.name == "contoso" }.count == 1)
    }

    @Test("A path with no tenant files, or none at all, is an error rather than an empty fleet")
    func nothingToRead() throws {
        let folder = Folder()
        try folder.write("notes.txt", "nothing here")
        #expect(TenantCatalog.load(path: folder.url.path).diagnostics.first?.message.contains("no tenant files") == true)
        #expect(
            TenantCatalog.load(path: folder.url.appendingPathComponent("missing").path).diagnostics.first?.message.contains("no such file") == true)
    }
}
