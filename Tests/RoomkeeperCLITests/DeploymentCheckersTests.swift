import Foundation
import Manifests
import TestSupport
import Testing

/// The deploy files under manifests/, checked by the tools operators run on them: kustomize and
/// kubernetes-validate, the Pod Security "restricted" profile, systemd-analyze, actionlint with
/// ShellCheck. scripts/setup installs every checker and scripts/test requires them (as CI does);
/// under a plain `swift test` a test runs where its checker is on the PATH.
@Suite("Deploy files through their checkers")
struct DeploymentCheckersTests {
    private static let manifests = repositoryRoot.appendingPathComponent("manifests")
    private static let tenants = ["contoso", "fabrikam"]

    /// A checker's path on the PATH; nil where it is not installed.
    /// True where the checkers must run (scripts/test, CI) or are installed.
    static func checkable(_ names: String...) -> Bool {
        Checkers.required || names.allSatisfy { Checkers.find($0) != nil }
    }

    static func run(_ name: String, _ arguments: [String], input: String = "", in directory: URL? = nil) async throws -> ProcessResult {
        let tool = try #require(Checkers.find(name), "\(name) is not installed; scripts/setup installs it")
        return try await runProcess(tool, arguments, in: directory, input: input)
    }

    /// `kubectl kustomize` of one tenant's overlay.
    static func render(_ tenant: String) async throws -> String {
        let rendered = try await run("kubectl", ["kustomize", manifests.appendingPathComponent("kubernetes/tenants/\(tenant)").path])
        #expect(rendered.status == 0, "\(tenant): \(rendered.errors)")
        return rendered.output
    }

    @Test(
        "Each tenant's overlay renders with kubectl kustomize and passes kubernetes-validate --strict",
        .enabled(if: checkable("kubectl", "kubernetes-validate"), Comment(rawValue: Checkers.reason)))
    func kustomizeAndValidate() async throws {
        for tenant in Self.tenants {
            let rendered = try await Self.render(tenant)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-\(tenant)-\(UUID().uuidString).yaml")
            try rendered.write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let validated = try await Self.run("kubernetes-validate", ["--strict", file.path])
            #expect(validated.status == 0, "\(tenant): \(validated.output) \(validated.errors)")
            for kind in ["namespace", "configmap", "deployment", "cronjob", "service", "persistentvolumeclaim", "networkpolicy"] {
                #expect(
                    validated.output.contains("passed for resource \(kind)/") || validated.errors.contains("passed for resource \(kind)/"),
                    "\(tenant): no \(kind) was validated")
            }
        }
    }

    @Test(
        "Both tenants' pods meet Pod Security 'restricted', read secrets as files, and share no volume or history",
        .enabled(if: checkable("kubectl"), Comment(rawValue: Checkers.reason)))
    func restrictedPods() async throws {
        for tenant in Self.tenants {
            let documents = YAMLParser.parse(SourceText(path: tenant, bytes: Array(try await Self.render(tenant).utf8))).0.documents
            var pods: [(String, YAMLNode)] = []
            for document in documents {
                let name = "\(tenant) \(document["kind"]?.text ?? "?")/\(document["metadata"]?["name"]?.text ?? "?")"
                #expect(
                    document["metadata"]?["namespace"]?.text ?? "roomkeeper-\(tenant)" == "roomkeeper-\(tenant)",
                    "\(name) is in its tenant's namespace")
                switch document["kind"]?.text {
                case "Deployment":
                    pods.append((name, try #require(document["spec"]?["template"]?["spec"])))
                case "CronJob":
                    #expect(document["spec"]?["concurrencyPolicy"]?.text == "Forbid", "\(name): two runs never overlap")
                    pods.append((name, try #require(document["spec"]?["jobTemplate"]?["spec"]?["template"]?["spec"])))
                case "Namespace":
                    #expect(document["metadata"]?["labels"]?["pod-security.kubernetes.io/enforce"]?.text == "restricted")
                default: break
                }
            }
            #expect(pods.count == 2, "\(tenant): a controller and a drift CronJob")
            var claims: [String] = []
            for (name, pod) in pods {
                Self.expectRestricted(pod, name)
                claims += Self.list(pod["volumes"]).compactMap { $0["persistentVolumeClaim"]?["claimName"]?.text }
            }
            #expect(
                claims.count == 2 && Set(claims).count == 2,
                "\(tenant): the controller and the CronJob have a volume each, never one shared: \(claims)")
        }
    }

    @Test(
        "The partner overlay: three replicas spread across nodes with a disruption budget, a Role for Leases alone, restricted pods, valid tenants",
        .enabled(if: checkable("kubectl", "kubernetes-validate"), Comment(rawValue: Checkers.reason)))
    func partnerOverlay() async throws {
        let folder = Self.manifests.appendingPathComponent("kubernetes/partner")
        let rendered = try await Self.run("kubectl", ["kustomize", folder.path])
        #expect(rendered.status == 0, "\(rendered.errors)")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-partner-\(UUID().uuidString).yaml")
        try rendered.output.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let validated = try await Self.run("kubernetes-validate", ["--strict", file.path])
        #expect(validated.status == 0, "\(validated.output) \(validated.errors)")

        let documents = YAMLParser.parse(SourceText(path: "partner", bytes: Array(rendered.output.utf8))).0.documents
        func named(_ kind: String) -> YAMLNode? { documents.first { $0["kind"]?.text == kind } }
        #expect(named("Namespace")?["metadata"]?["labels"]?["pod-security.kubernetes.io/enforce"]?.text == "restricted")
        let deployment = try #require(named("Deployment"))
        #expect(deployment["spec"]?["replicas"]?.text == "3")
        let pod = try #require(deployment["spec"]?["template"]?["spec"])
        Self.expectRestricted(pod, "partner controller")
        #expect(Self.list(pod["topologySpreadConstraints"]).contains { $0["topologyKey"]?.text == "kubernetes.io/hostname" })
        let container = try #require(Self.list(pod["containers"]).first)
        #expect(Self.list(container["args"]).contains { $0.text?.hasPrefix("--tenants=") == true })
        #expect(
            Self.list(container["env"]).contains {
                $0["name"]?.text == "POD_NAME" && $0["valueFrom"]?["fieldRef"]?["fieldPath"]?.text == "metadata.name"
            },
            "each replica's name is its pod's")
        #expect(named("PodDisruptionBudget")?["spec"]?["minAvailable"]?.text == "2")
        // The service account may use Leases in its namespace, and nothing else.
        let rules = Self.list(named("Role")?["rules"])
        #expect(rules.count == 1)
        #expect(Self.list(rules.first?["apiGroups"]).map(\.text) == ["coordination.k8s.io"])
        #expect(Self.list(rules.first?["resources"]).map(\.text) == ["leases"])
        #expect(Set(Self.list(rules.first?["verbs"]).compactMap(\.text)) == ["get", "list", "watch", "create", "update", "delete"])
        #expect(named("ClusterRole") == nil && named("ClusterRoleBinding") == nil)

        let tenants = try await runProcess(
            Roomkeeper.executable, ["tenants", "validate", folder.appendingPathComponent("tenants.yaml").path],
            environment: ["PATH": "/usr/bin:/bin"],
            in: nil, input: "")
        #expect(tenants.status == 0 && tenants.output.contains("2 tenants valid"), "\(tenants.output) \(tenants.errors)")
    }

    /// The elements of a sequence node, none when it is missing.
    static func list(_ node: YAMLNode?) -> [YAMLNode] { node.map { Array($0.elements) } ?? [] }

    /// The Pod Security Standards' "restricted" profile, and this project's rules on top: a
    /// read-only root file system, resources set, secrets as files rather than variables.
    static func expectRestricted(_ pod: YAMLNode, _ name: String) {
        let podContext = pod["securityContext"]
        #expect(pod["hostNetwork"]?.text != "true" && pod["hostPID"]?.text != "true" && pod["hostIPC"]?.text != "true", "\(name)")
        let allowedVolumes: Set<String> = [
            "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
        ]
        for volume in list(pod["volumes"]) {
            let types = volume.entries.compactMap { $0.key.text }.filter { $0 != "name" }
            #expect(types.allSatisfy(allowedVolumes.contains), "\(name): volume \(types) is not allowed under 'restricted'")
        }
        let containers = list(pod["containers"]) + list(pod["initContainers"])
        #expect(!containers.isEmpty, "\(name)")
        for container in containers {
            let context = container["securityContext"]
            let label = "\(name) container \(container["name"]?.text ?? "?")"
            #expect(context?["allowPrivilegeEscalation"]?.text == "false", "\(label): allowPrivilegeEscalation false")
            #expect(context?["privileged"]?.text != "true", "\(label)")
            #expect(list(context?["capabilities"]?["drop"]).contains { $0.text == "ALL" }, "\(label): drops ALL capabilities")
            #expect(list(context?["capabilities"]?["add"]).allSatisfy { $0.text == "NET_BIND_SERVICE" }, "\(label)")
            #expect((context?["runAsNonRoot"] ?? podContext?["runAsNonRoot"])?.text == "true", "\(label): runAsNonRoot")
            #expect((context?["runAsUser"] ?? podContext?["runAsUser"])?.text != "0", "\(label): not uid 0")
            #expect(
                ["RuntimeDefault", "Localhost"].contains((context?["seccompProfile"] ?? podContext?["seccompProfile"])?["type"]?.text ?? ""),
                "\(label): seccomp RuntimeDefault")
            #expect(context?["readOnlyRootFilesystem"]?.text == "true", "\(label): read-only root file system")
            #expect(
                container["resources"]?["requests"]?["cpu"] != nil && container["resources"]?["requests"]?["memory"] != nil
                    && container["resources"]?["limits"]?["memory"] != nil, "\(label): resources set")
            for variable in list(container["env"]) {
                #expect(
                    variable["valueFrom"]?["secretKeyRef"] == nil,
                    "\(label): \(variable["name"]?.text ?? "") comes from a Secret as a variable; mount it as a file")
            }
            #expect(list(container["envFrom"]).allSatisfy { $0["secretRef"] == nil }, "\(label): no Secret as variables")
        }
    }

    @Test(
        "The controller's tenant data is behind tokens: probes on their own port, off the Service, and a NetworkPolicy for both ports",
        .enabled(if: checkable("kubectl"), Comment(rawValue: Checkers.reason)))
    func controllerExposure() async throws {
        for tenant in Self.tenants {
            let documents = YAMLParser.parse(SourceText(path: tenant, bytes: Array(try await Self.render(tenant).utf8))).0.documents
            func named(_ kind: String, _ name: String) -> YAMLNode? {
                documents.first { $0["kind"]?.text == kind && $0["metadata"]?["name"]?.text == name }
            }
            let deployment = try #require(named("Deployment", "roomkeeper-controller"))
            let container = try #require(deployment["spec"]?["template"]?["spec"]?["containers"]?.elements.first)
            let arguments = container["args"]?.elements.compactMap(\.text) ?? []
            #expect(arguments.contains("--probe-listen=0.0.0.0:9091"), "\(tenant): \(arguments)")
            #expect(arguments.contains { $0.hasPrefix("--admin-token-file=/etc/roomkeeper/secrets/") }, "\(tenant)")
            #expect(arguments.contains { $0.hasPrefix("--read-token-file=/etc/roomkeeper/secrets/") }, "\(tenant)")
            for probe in ["livenessProbe", "readinessProbe"] {
                #expect(container[probe]?["httpGet"]?["port"]?.text == "probes", "\(tenant): \(probe) on the probes port")
            }
            let service = try #require(named("Service", "roomkeeper-controller"))
            let ports = service["spec"]?["ports"]?.elements.compactMap { $0["port"]?.text } ?? []
            #expect(ports == ["9090"], "\(tenant): the Service exposes the token-protected port only: \(ports)")
            let policy = try #require(named("NetworkPolicy", "roomkeeper-controller"), "\(tenant): a NetworkPolicy for the controller")
            #expect(policy["spec"]?["podSelector"]?["matchLabels"]?["app.kubernetes.io/component"]?.text == "controller")
            let allowed = Set(policy["spec"]?["ingress"]?.elements.flatMap { $0["ports"]?.elements.compactMap { $0["port"]?.text } ?? [] } ?? [])
            #expect(allowed == ["9090", "9091"], "\(tenant): \(allowed)")
            #expect(policy["spec"]?["ingress"]?.elements.allSatisfy { $0["from"] != nil } == true, "\(tenant): every rule names who may come in")
        }
    }

    @Test(
        "The overlays render the same with Debian's kubectl and a current one: kustomize 2 syntax only",
        .enabled(if: checkable("kubectl"), Comment(rawValue: Checkers.reason)))
    func kustomizeTwoSyntax() throws {
        // Debian 12's kubernetes-client (1.20) embeds kustomize 2, which knows neither `labels` nor
        // `patches` nor directories under `resources`; a current kubectl still reads what it knows.
        for folder in ["base"] + Self.tenants.map({ "tenants/\($0)" }) {
            let url = Self.manifests.appendingPathComponent("kubernetes/\(folder)/kustomization.yaml")
            let document = try #require(YAMLParser.parse(SourceText(path: folder, bytes: Array(try Data(contentsOf: url)))).0.documents.first)
            let keys = Set(document.entries.compactMap { $0.key.text })
            #expect(keys.isDisjoint(with: ["labels", "patches", "components"]), "\(folder): \(keys)")
            for resource in Self.list(document["resources"]) {
                #expect(
                    resource.text?.hasSuffix(".yaml") == true,
                    "\(folder): \(resource.text ?? "") under resources must be a file in kustomize 2; use bases")
            }
        }
    }

    @Test(
        "systemd units pass systemd-analyze verify, with exposure 2.0 or better",
        .enabled(if: checkable("systemd-analyze"), Comment(rawValue: Checkers.reason)))
    func systemdUnits() async throws {
        // verify checks ExecStart's binary exists: point the units at the one this test built.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-units-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let units = ["roomkeeper-drift.service", "roomkeeper-drift.timer", "roomkeeper-controller.service"]
        for unit in units {
            let text = try String(contentsOf: Self.manifests.appendingPathComponent("systemd/\(unit)"), encoding: .utf8)
            try text.replacingOccurrences(of: "/usr/local/bin/roomkeeper", with: Roomkeeper.executable.path)
                .write(to: folder.appendingPathComponent(unit), atomically: true, encoding: .utf8)
        }
        let verified = try await Self.run("systemd-analyze", ["verify", "--man=no"] + units.map { "./\($0)" }, in: folder)
        #expect(verified.status == 0 && verified.errors.isEmpty, "\(verified.errors)")
        for unit in units where unit.hasSuffix(".service") {
            let text = try String(contentsOf: folder.appendingPathComponent(unit), encoding: .utf8)
            #expect(text.contains("TimeoutStartSec="), "\(unit): a start timeout")
            let security = try await Self.run("systemd-analyze", ["security", "--offline=true", "--threshold=20", "./\(unit)"], in: folder)
            let summary = security.output.split(separator: "\n").last { $0.contains("Overall exposure level") } ?? ""
            let exposure: Double = summary.split(separator: " ").compactMap { Double($0) }.last ?? 10
            #expect(security.status == 0 && exposure <= 2.0, "\(unit): \(summary) \(security.errors)")
        }
        let drift = try String(contentsOf: folder.appendingPathComponent("roomkeeper-drift.service"), encoding: .utf8)
        #expect(drift.contains("StandardOutput=null") && drift.contains("--out "), "the drift report goes to a file, not the journal")
    }

    @Test(
        "The GitHub Actions workflows pass actionlint with ShellCheck",
        .enabled(if: checkable("actionlint", "shellcheck"), Comment(rawValue: Checkers.reason)))
    func workflowLints() async throws {
        let shellcheck = try #require(Checkers.find("shellcheck"))
        for name in ["github-actions-plan.yaml", "github-actions-plan-comment.yaml"] {
            let linted = try await Self.run("actionlint", ["-shellcheck", shellcheck.path, Self.manifests.appendingPathComponent("ci/\(name)").path])
            #expect(linted.status == 0, "\(name): \(linted.output) \(linted.errors)")
        }
    }

    @Test("The Dockerfile passes hadolint", .enabled(if: checkable("hadolint"), Comment(rawValue: Checkers.reason)))
    func dockerfileLints() async throws {
        let linted = try await Self.run("hadolint", [repositoryRoot.appendingPathComponent("Dockerfile").path])
        #expect(linted.status == 0, "\(linted.output) \(linted.errors)")
    }

    @Test("The cron file has a name cron reads, a git cache a system user can write, and reports every failing exit status")
    func cronFile() throws {
        let folder = Self.manifests.appendingPathComponent("cron")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(!names.isEmpty && names.allSatisfy { !$0.contains(".") }, "cron skips /etc/cron.d files with a dot: \(names)")
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            let job = try #require(text.split(separator: "\n").first { $0.first?.isNumber == true || $0.hasPrefix("*") })
            #expect(job.contains("--git-cache /var/lib/roomkeeper/"), "a cache path under the system user's state folder")
            #expect(job.contains("|| echo"), "a failing run prints, so cron mails it")
            #expect(!job.contains("%"), "cron turns % into a new line")
        }
    }
}
