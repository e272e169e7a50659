import Foundation
import Manifests
import PortalModel

/// The tenants a controller serves, read from one YAML file or a folder of them (`*.yaml`,
/// `*.yml`, each holding any number of `kind: Tenant` documents), checked as strictly as
/// manifests: every problem at once, each at its file, line and column, with what to do.
///
/// A catalog with an error is not used at all: the controller keeps the tenants it has (a
/// half-read catalog would stop the tenants it lost). Paths to secret files are taken as
/// written when absolute, else from the folder of the file that names them.
public struct TenantCatalog: Sendable, Equatable {
    /// In the order of their names.
    public var tenants: [TenantDefinition]

    public init(tenants: [TenantDefinition]) {
        self.tenants = tenants.sorted { $0.name < $1.name }
    }

    /// Limits on what is read, so that a tenants folder cannot exhaust the controller.
    public static let maximumFileBytes = 4 << 20
    public static let maximumFiles = 10_000

    public struct Loaded: Sendable {
        public var catalog: TenantCatalog
        /// Usable only when none is an error.
        public var diagnostics: [Diagnostic]
        /// The files read, for showing the lines the diagnostics point at.
        public var sources: [String: SourceText]
    }

    /// Reads the tenants at `path`, a file or a folder.
    public static func load(path: String) -> Loaded {
        var diagnostics: [Diagnostic] = []
        var sources: [String: SourceText] = [:]
        var tenants: [TenantDefinition] = []
        let files: [String]
        do {
            files = try tenantFiles(at: path)
        } catch {
            return Loaded(catalog: TenantCatalog(tenants: []), diagnostics: [.error("\(error)", at: nil)], sources: [:])
        }
        for file in files {
            let bytes: [UInt8]
            do {
                bytes = try read(file)
            } catch {
                diagnostics.append(.error("\(error)", at: SourceLocation(file: file, line: 1, column: 1)))
                continue
            }
            let source = SourceText(path: file, bytes: bytes)
            sources[file] = source
            let (tree, parsed) = YAMLParser.parse(source)
            diagnostics += parsed
            let folder = URL(fileURLWithPath: file).deletingLastPathComponent().path
            for document in tree.documents {
                let problems = ShapeValidation.check(document, against: .object(documentShape))
                diagnostics += problems
                guard !problems.hasErrors else { continue }
                let reader = DocumentReader(document: document, folder: folder)
                if let tenant = reader.tenant() { tenants.append(tenant) }
                diagnostics += reader.problems
            }
        }
        var first: [String: TenantDefinition] = [:]
        for tenant in tenants {
            if let earlier = first[tenant.name] {
                diagnostics.append(
                    .error(
                        "a second tenant named '\(tenant.name)'", at: tenant.location, hint: "give each tenant its own name",
                        notes: [.init("first named here", at: earlier.location)]))
            } else {
                first[tenant.name] = tenant
            }
        }
        if files.isEmpty { diagnostics.append(.error("no tenant files (*.yaml, *.yml) in \(path)", at: nil)) }
        return Loaded(catalog: TenantCatalog(tenants: Array(first.values)), diagnostics: diagnostics.sortedByLocation(), sources: sources)
    }

    /// The YAML files at `path`: the file itself, or those in the folder and below it, in order.
    private static func tenantFiles(at path: String) throws -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw CatalogError("no such file or folder: \(path)") }
        guard isFolder.boolValue else { return [path] }
        guard let walker = FileManager.default.enumerator(atPath: path) else { throw CatalogError("cannot read the folder \(path)") }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            // A ConfigMap's volume holds `..data` and timestamped folders beside the files' links.
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                walker.skipDescendants()
                continue
            }
            guard relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") else { continue }
            files.append((path as NSString).appendingPathComponent(relative))
            guard files.count <= maximumFiles else { throw CatalogError("more than \(maximumFiles) files in \(path)") }
        }
        return files.sorted()
    }

    private static func read(_ file: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: file) else { throw CatalogError("cannot read \(file)") }
        defer { try? handle.close() }
        let data = try handle.read(upToCount: maximumFileBytes + 1) ?? Data()
        guard data.count <= maximumFileBytes else { throw CatalogError("\(file) is larger than \(maximumFileBytes >> 20) MiB") }
        return Array(data)
    }

    struct CatalogError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// Reads one checked `kind: Tenant` document, noting what its shape alone cannot rule out.
private final class DocumentReader {
    let document: YAMLNode
    let folder: String
    var problems: [Diagnostic] = []

    init(document: YAMLNode, folder: String) {
        self.document = document
        self.folder = folder
    }

    func tenant() -> TenantDefinition? {
        guard let name = document["metadata"]?["name"]?.text, let spec = document["spec"], let sourceNode = spec["source"] else { return nil }
        let source = TenantDefinition.Source(
            url: sourceNode["url"]?.text ?? "", ref: sourceNode["ref"]?.text ?? "main", path: sourceNode["path"]?.text ?? "",
            allowedSigners: file(sourceNode["allowedSigners"]), gpgKeyring: file(sourceNode["gpgKeyring"]))
        checkGitURL(sourceNode["url"])
        let portal = spec["portal"].map { node in
            checkPortalURL(node["url"])
            return TenantDefinition.Portal(url: node["url"]?.text ?? "", tokenFile: file(node["tokenFile"]) ?? "")
        }
        let graph = spec["graph"].flatMap { node -> TenantDefinition.Graph? in
            let credential: TenantDefinition.Graph.Credential? =
                if let path = file(node["clientCertificateFile"]) {
                    .certificateFile(path)
                } else if let path = file(node["clientSecretFile"]) {
                    .secretFile(path)
                } else {
                    file(node["federatedTokenFile"]).map { .federatedTokenFile($0) }
                }
            guard let credential else { return nil }
            return TenantDefinition.Graph(
                tenantId: node["tenantId"]?.text ?? "", clientId: node["clientId"]?.text ?? "", credential: credential,
                cloud: node["cloud"]?.text, authorityHost: node["authorityHost"]?.text, graphEndpoint: node["graphEndpoint"]?.text)
        }
        if portal == nil, graph == nil {
            problems.append(
                .error(
                    "tenant '\(name)' has neither a portal nor graph: there is nothing to reconcile it against", at: spec.location,
                    hint: "add spec.portal (the portal's API) or spec.graph (the tenant's app registration), or both"))
        }
        let selfHeal = spec["selfHeal"]?.text == "true"
        if selfHeal, portal == nil, let node = spec["selfHeal"] {
            problems.append(
                .error(
                    "selfHeal needs a portal: through Graph alone the portal's changes are a person's checklist", at: node.location,
                    hint: "remove selfHeal, or add spec.portal"))
        }
        let notifications = spec["notifications"].map { node in
            TenantDefinition.Notifications(urlFile: file(node["urlFile"]) ?? "", format: node["format"]?.text ?? "json")
        }
        return TenantDefinition(
            name: name, location: document.location, source: source, portal: portal, graph: graph, notifications: notifications,
            intervalSeconds: duration(spec["interval"]) ?? 300, selfHeal: selfHeal,
            reconcileTimeoutSeconds: duration(spec["reconcileTimeout"]) ?? 1800)
    }

    /// A path to a file, from the tenant file's folder when relative.
    private func file(_ node: YAMLNode?) -> String? {
        guard let text = node?.text else { return nil }
        return text.hasPrefix("/") ? text : URL(fileURLWithPath: folder).appendingPathComponent(text).standardized.path
    }

    private func duration(_ node: YAMLNode?) -> Double? {
        guard let node, let text = node.text else { return nil }
        guard let seconds = DurationText.seconds(text) else {
            problems.append(.error("'\(text)' is not a length of time", at: node.location, hint: "write it as 90s, 5m or 1h"))
            return nil
        }
        return seconds
    }

    private func checkGitURL(_ node: YAMLNode?) {
        guard let node, let url = node.text else { return }
        let schemes = ["https://", "http://", "ssh://", "git://", "file://"]
        // `user@host:path`, as git and OpenSSH write it.
        let scpLike = url.contains("@") && url.contains(":") && !url.contains("://")
        if !schemes.contains(where: url.hasPrefix), !scpLike {
            problems.append(
                .error(
                    "'\(url)' is not a git URL", at: node.location,
                    hint: "write https://host/owner/repo.git, ssh://git@host/owner/repo.git or git@host:owner/repo.git"))
        }
    }

    private func checkPortalURL(_ node: YAMLNode?) {
        guard let node, let text = node.text, let url = URL(string: text) else { return }
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(url.host ?? "")
        if url.scheme != "https", !(url.scheme == "http" && loopback) {
            problems.append(
                .error(
                    "the portal's URL must be https:// (http:// only on loopback): the token goes with every request", at: node.location,
                    hint: "write https://\(url.host ?? "portal.example.com")\(url.path)"))
        }
    }
}

extension TenantCatalog {
    /// The format of a `kind: Tenant` document.
    static let documentShape = ObjectShape(
        "Tenant",
        fields: [
            FieldShape("apiVersion", .string(.oneOf([ManifestKind.apiVersion])), required: true, "Always roomkeeper/v1."),
            FieldShape("kind", .string(.oneOf(["Tenant"])), required: true, "Always Tenant."),
            FieldShape(
                "metadata",
                .object(
                    ObjectShape(
                        "Tenant metadata",
                        fields: [
                            FieldShape(
                                "name", .string(.dnsLabel), required: true, "The tenant's name: its state folder, Lease and metrics label.")
                        ])), required: true, "The tenant's identity."),
            FieldShape("spec", .object(specShape), required: true, "How the tenant is reached and kept."),
        ])

    static let specShape = ObjectShape(
        "Tenant spec",
        fields: [
            FieldShape(
                "source",
                .object(
                    ObjectShape(
                        "Tenant source",
                        fields: [
                            FieldShape("url", .string(.text(maximumLength: 2048)), required: true, "The git repository of the manifests."),
                            FieldShape("ref", .string(.text(maximumLength: 256)), "The branch, tag or full commit id (default main)."),
                            FieldShape("path", .string(.text(maximumLength: 1024)), "The folder of the manifests inside the repository."),
                            FieldShape("allowedSigners", .string(.text(maximumLength: 4096)), "An OpenSSH allowed_signers file."),
                            FieldShape("gpgKeyring", .string(.text(maximumLength: 4096)), "An OpenPGP keyring file."),
                        ])), required: true, "Where the tenant's manifests come from."),
            FieldShape(
                "portal",
                .object(
                    ObjectShape(
                        "Tenant portal",
                        fields: [
                            FieldShape("url", .string(.url), required: true, "The portal API's base URL."),
                            FieldShape("tokenFile", .string(.text(maximumLength: 4096)), required: true, "A file holding the bearer token."),
                        ])), "The portal's API; leave out for Microsoft Graph alone."),
            FieldShape(
                "graph",
                .object(
                    ObjectShape(
                        "Tenant graph",
                        fields: [
                            FieldShape(
                                "tenantId", .string(.text(maximumLength: 256)), required: true, "The directory (tenant) id or a domain of it."),
                            FieldShape("clientId", .string(.text(maximumLength: 64)), required: true, "The app registration's client id."),
                            FieldShape("clientCertificateFile", .string(.text(maximumLength: 4096)), "A PEM file with certificate and key."),
                            FieldShape("clientSecretFile", .string(.text(maximumLength: 4096)), "A file holding a client secret."),
                            FieldShape("federatedTokenFile", .string(.text(maximumLength: 4096)), "A workload identity's token file."),
                            FieldShape("cloud", .string(.oneOf(["global", "usgov", "usgov-dod", "china"])), "The Microsoft cloud."),
                            FieldShape("authorityHost", .string(.url), "The sign-in host, overriding the cloud's."),
                            FieldShape("graphEndpoint", .string(.url), "The Graph host, overriding the cloud's (an emulator on loopback)."),
                        ], exactlyOneOf: ["clientCertificateFile", "clientSecretFile", "federatedTokenFile"])),
                "The tenant's Entra ID app registration."),
            FieldShape(
                "notifications",
                .object(
                    ObjectShape(
                        "Tenant notifications",
                        fields: [
                            FieldShape("urlFile", .string(.text(maximumLength: 4096)), required: true, "A file holding the webhook URL."),
                            FieldShape("format", .string(.oneOf(["json", "teams"])), "The payload: json or teams."),
                        ])), "Where drift is posted."),
            FieldShape("interval", .string(.text(maximumLength: 16)), "Between reconciles: 90s, 5m, 1h (default 5m)."),
            FieldShape("selfHeal", .boolean, "Apply drift from git rather than only report it (needs a portal)."),
            FieldShape("reconcileTimeout", .string(.text(maximumLength: 16)), "The longest one reconcile may take (default 30m)."),
        ])
}
