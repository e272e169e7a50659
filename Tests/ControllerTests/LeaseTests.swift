import Foundation
import KubernetesLeases
import Logging
import Synchronization
import TestSupport
import Testing

@Suite("Kubernetes Leases: the API's semantics, client-go's election, tenants spread across replicas")
struct LeaseTests {
    /// A time the test moves by hand, the same for every replica it is given to.
    final class TestTime: Sendable {
        private let date = Mutex(Date(timeIntervalSince1970: 1_796_000_000))
        var now: @Sendable () -> Date { { self.date.withLock { $0 } } }
        func advance(_ seconds: Double) { date.withLock { $0 += seconds } }
    }

    static func client(_ cluster: KubernetesStandIn, token: String? = nil) throws -> LeaseClient {
        let tokenFile = FileManager.default.temporaryDirectory.appendingPathComponent("sa-token-\(UUID().uuidString)")
        try (token ?? cluster.token).write(to: tokenFile, atomically: true, encoding: .utf8)
        return LeaseClient(api: KubernetesAPI(server: cluster.url, namespace: "roomkeeper", tokenFile: tokenFile.path, logger: Logger(label: "test")))
    }

    @Test("Create, read, update by resourceVersion: 409 AlreadyExists, 409 Conflict on a stale version, 404, 401 without the token")
    func apiSemantics() async throws {
        let cluster = try await KubernetesStandIn.start()
        defer { Task { await cluster.stop() } }
        let client = try Self.client(cluster)

        #expect(try await client.get("tenant-contoso") == nil)
        let lease = Lease(
            metadata: .init(name: "tenant-contoso", labels: ["app": "roomkeeper"]), spec: .init(holderIdentity: "pod-a", leaseDurationSeconds: 15))
        let created = try await client.create(lease)
        #expect(created.metadata.resourceVersion != nil && created.spec.holderIdentity == "pod-a")
        await #expect(throws: LeaseError.alreadyExists("tenant-contoso")) { try await client.create(lease) }

        var renewed = created
        renewed.spec.renewTime = MicroTime.text(Date())
        let updated = try await client.update(renewed)
        #expect(updated.metadata.resourceVersion != created.metadata.resourceVersion)
        // A write from the older read loses.
        await #expect(throws: LeaseError.conflict("tenant-contoso")) { try await client.update(renewed) }

        var missing = created
        missing.metadata.name = "tenant-nobody"
        await #expect(throws: LeaseError.notFound("tenant-nobody")) { try await client.update(missing) }
        #expect(try await client.list(labelSelector: "app=roomkeeper").map(\.metadata.name) == ["tenant-contoso"])
        #expect(try await client.list(labelSelector: "app=other").isEmpty)

        let stranger = try Self.client(cluster, token: "not-the-token")
        do {
            _ = try await stranger.get("tenant-contoso")
            Issue.record("a request without the service account's token was answered")
        } catch let error as LeaseError {
            if case .refused(401, _) = error {
                #expect(error.description.contains("Role must allow"))
            } else {
                Issue.record("\(error)")
            }
        }
        try await client.delete("tenant-contoso")
        #expect(try await client.get("tenant-contoso") == nil)
    }

    @Test("MicroTime is written with microseconds and read with or without them")
    func microTime() {
        let date = Date(timeIntervalSince1970: 1_796_000_000.123456)
        #expect(MicroTime.text(date) == "2026-11-30T00:53:20.123456Z")
        #expect(abs((MicroTime.date("2026-11-30T00:53:20.123456Z") ?? .distantPast).timeIntervalSince(date)) < 0.000_01)
        #expect(MicroTime.date("2026-11-30T00:53:20Z") == Date(timeIntervalSince1970: 1_796_000_000))
        #expect(MicroTime.date("yesterday") == nil && MicroTime.date("2026-11-30T00:53:20.12x4Z") == nil)
    }

    @Test("Two replicas, one Lease: one holds it; the other takes it only when it went unrenewed for its duration, at once when released")
    func election() async throws {
        let cluster = try await KubernetesStandIn.start()
        defer { Task { await cluster.stop() } }
        let time = TestTime()
        let a = LeaseLock(client: try Self.client(cluster), identity: "pod-a", leaseDurationSeconds: 15, renewDeadlineSeconds: 10, now: time.now)
        let b = LeaseLock(client: try Self.client(cluster), identity: "pod-b", leaseDurationSeconds: 15, renewDeadlineSeconds: 10, now: time.now)

        // Both race for a Lease nobody has: exactly one wins.
        async let aWon = a.acquireOrRenew("tenant-contoso")
        async let bWon = b.acquireOrRenew("tenant-contoso")
        let (first, second) = try await (aWon, bWon)
        #expect(first != second)
        let (holder, other) = first ? (a, b) : (b, a)
        let holderHolds = await holder.holds("tenant-contoso")
        let otherHolds = await other.holds("tenant-contoso")
        #expect(holderHolds && !otherHolds)

        // The holder renews every few seconds; the other never takes it.
        for _ in 0..<5 {
            time.advance(5)
            #expect(try await holder.acquireOrRenew("tenant-contoso"))
            #expect(try await !other.acquireOrRenew("tenant-contoso"))
        }

        // The holder stops renewing (killed, or cut off): it stops acting at its renew deadline,
        // before the other may take the Lease at the duration.
        time.advance(10)
        let stillHolds = await holder.holds("tenant-contoso")
        #expect(!stillHolds)
        #expect(try await !other.acquireOrRenew("tenant-contoso"))
        time.advance(5)
        #expect(try await other.acquireOrRenew("tenant-contoso"))
        let taken = try #require(try await Self.client(cluster).get("tenant-contoso"))
        #expect(taken.holder == (first ? "pod-b" : "pod-a") && taken.spec.leaseTransitions == 1)

        // A graceful stop releases it: the first takes it back on its next try, no waiting.
        try await other.release("tenant-contoso")
        let holdsAfterRelease = await other.holds("tenant-contoso")
        #expect(!holdsAfterRelease)
        #expect(try await holder.acquireOrRenew("tenant-contoso"))
        #expect(try await Self.client(cluster).get("tenant-contoso")?.spec.leaseTransitions == 2)
    }

    @Test(
        "In a pod: the API from KUBERNETES_SERVICE_HOST and _PORT, the service account's namespace and token (read per request), over TLS trusting the cluster's CA alone"
    )
    func inCluster() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func openssl(_ arguments: [String]) async throws {
            let result = try await runProcess(URL(fileURLWithPath: "/usr/bin/openssl"), arguments, in: folder)
            try #require(result.status == 0, "openssl \(arguments): \(result.errors)")
        }
        // The cluster's CA, the API server's certificate for 127.0.0.1 signed by it, and a CA of another cluster.
        for ca in ["cluster-ca", "other-ca"] {
            try await openssl([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=\(ca)", "-keyout", "\(ca).key", "-out", "\(ca).crt",
            ])
        }
        try await openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver", "-keyout", "server.key", "-out", "server.csr"])
        try "subjectAltName=IP:127.0.0.1\n".write(to: folder.appendingPathComponent("san.ext"), atomically: true, encoding: .utf8)
        try await openssl([
            "x509", "-req", "-in", "server.csr", "-CA", "cluster-ca.crt", "-CAkey", "cluster-ca.key", "-CAcreateserial", "-days", "2", "-extfile",
            "san.ext", "-out", "server.crt",
        ])
        let cluster = try await KubernetesStandIn.start(
            tls: (folder.appendingPathComponent("server.crt").path, folder.appendingPathComponent("server.key").path))
        defer { Task { await cluster.stop() } }
        let port = try #require(URLComponents(string: cluster.url)?.port)

        /// A pod's service account folder that trusts `ca`.
        func serviceAccount(_ name: String, trusting ca: String) throws -> String {
            let account = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: account, withIntermediateDirectories: true)
            try cluster.token.write(to: account.appendingPathComponent("token"), atomically: true, encoding: .utf8)
            try "rooms\n".write(to: account.appendingPathComponent("namespace"), atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(at: folder.appendingPathComponent("\(ca).crt"), to: account.appendingPathComponent("ca.crt"))
            return account.path
        }
        let pod = ["KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "\(port)"]
        let account = try serviceAccount("pod", trusting: "cluster-ca")
        #expect(try KubernetesAPI.inCluster(environment: [:], serviceAccount: account, logger: Logger(label: "test")) == nil, "outside a cluster")
        let api = try #require(try KubernetesAPI.inCluster(environment: pod, serviceAccount: account, logger: Logger(label: "test")))
        #expect(api.server == "https://127.0.0.1:\(port)" && api.namespace == "rooms")
        let client = LeaseClient(api: api)
        _ = try await client.create(
            Lease(metadata: .init(name: "roomkeeper-tenant-contoso"), spec: .init(holderIdentity: "pod-a", leaseDurationSeconds: 15)))
        #expect(try await client.get("roomkeeper-tenant-contoso")?.spec.holderIdentity == "pod-a")

        // The kubelet rotates the token in place: the next request reads the new one.
        try "a-rotated-token-the-server-does-not-know".write(to: URL(fileURLWithPath: account + "/token"), atomically: true, encoding: .utf8)
        await #expect(throws: LeaseError.self) { _ = try await client.get("roomkeeper-tenant-contoso") }

        // A pod of another cluster (another CA) does not talk to this server: the TLS handshake fails.
        let stranger = try #require(
            try KubernetesAPI.inCluster(
                environment: pod, serviceAccount: try serviceAccount("stranger", trusting: "other-ca"), logger: Logger(label: "test")))
        do {
            _ = try await LeaseClient(api: stranger).get("roomkeeper-tenant-contoso")
            Issue.record("a server whose certificate the cluster's CA did not sign was trusted")
        } catch {
            #expect(!(error is LeaseError), "refused before any answer: \(error)")
        }
    }

    @Test("A replica that cannot reach the API holds nothing")
    func unreachable() async throws {
        let nowhere = LeaseClient(
            api: KubernetesAPI(server: "http://127.0.0.1:9", namespace: "roomkeeper", tokenFile: nil, logger: Logger(label: "test")))
        let lock = LeaseLock(client: nowhere, identity: "pod-a")
        await #expect(throws: (any Error).self) { try await lock.acquireOrRenew("tenant-contoso") }
        let held = await lock.held
        #expect(held.isEmpty)
    }

    @Test(
        "Three replicas share 30 tenants: one holder each, as rendezvous hashing says; a dead replica's are taken within a lease duration, a stopped one's at once"
    )
    func sharding() async throws {
        let cluster = try await KubernetesStandIn.start()
        defer { Task { await cluster.stop() } }
        let time = TestTime()
        let client = try Self.client(cluster)
        func replica(_ name: String) -> ShardCoordinator {
            ShardCoordinator(
                lock: LeaseLock(client: client, identity: name, leaseDurationSeconds: 15, renewDeadlineSeconds: 10, now: time.now), client: client,
                prefix: "roomkeeper")
        }
        let tenants = (0..<30).map { "tenant-\($0)" }
        let all = ["roomkeeper-0": replica("roomkeeper-0"), "roomkeeper-1": replica("roomkeeper-1"), "roomkeeper-2": replica("roomkeeper-2")]
        /// Rounds of `running`, 2 s apart; after each replica's round, no tenant has two holders.
        func rounds(_ count: Int, _ running: [String]) async throws -> [String: Set<String>] {
            var acting: [String: Set<String>] = [:]
            for _ in 0..<count {
                for name in running.sorted() {
                    _ = try await all[name]?.round(tenants: tenants)
                    acting = [:]
                    for (other, coordinator) in all {
                        let held = await coordinator.lock.held.filter { $0.hasPrefix("roomkeeper-tenant-") }
                        acting[other] = Set(held.map { String($0.dropFirst("roomkeeper-tenant-".count)) })
                    }
                    let holders = acting.values.flatMap { $0 }
                    #expect(holders.count == Set(holders).count, "a tenant with two holders")
                }
                time.advance(2)
            }
            return acting
        }
        func expected(_ replicas: [String]) -> [String: Set<String>] {
            var owned = Dictionary(uniqueKeysWithValues: all.keys.map { ($0, Set<String>()) })
            for tenant in tenants { owned[Rendezvous.owner(of: tenant, among: replicas) ?? "", default: []].insert(tenant) }
            return owned
        }

        let everyone = ["roomkeeper-0", "roomkeeper-1", "roomkeeper-2"]
        let settled = try await rounds(3, everyone)
        #expect(settled == expected(everyone))
        #expect(settled.values.allSatisfy { $0.count >= 4 }, "\(settled.mapValues(\.count))")

        // roomkeeper-1 is killed: it renews nothing more. Its tenants wait out the lease duration.
        let orphaned = settled["roomkeeper-1"] ?? []
        let early = try await rounds(3, ["roomkeeper-0", "roomkeeper-2"])
        #expect(early["roomkeeper-0", default: []].union(early["roomkeeper-2", default: []]).isDisjoint(with: orphaned))
        let late = try await rounds(7, ["roomkeeper-0", "roomkeeper-2"])
        let survivors = ["roomkeeper-0", "roomkeeper-2"]
        #expect(late["roomkeeper-0"] == expected(survivors)["roomkeeper-0"] && late["roomkeeper-2"] == expected(survivors)["roomkeeper-2"])
        #expect(late["roomkeeper-1", default: []].isEmpty)

        // roomkeeper-2 stops gracefully: roomkeeper-0 takes everything on its next round.
        await all["roomkeeper-2"]?.releaseAll()
        let alone = try await rounds(1, ["roomkeeper-0"])
        #expect(alone["roomkeeper-0"] == Set(tenants))
    }

    @Test("Rendezvous hashing: each tenant one owner, a fair share each, and a replica that leaves moves only its own")
    func rendezvous() {
        let tenants = (0..<1000).map { "tenant-\($0)" }
        let replicas = ["roomkeeper-0", "roomkeeper-1", "roomkeeper-2"]
        let owners = Dictionary(grouping: tenants) { Rendezvous.owner(of: $0, among: replicas) ?? "" }
        #expect(Set(owners.keys) == Set(replicas))
        for replica in replicas { #expect((283...383).contains(owners[replica]?.count ?? 0), "\(replica): \(owners[replica]?.count ?? 0)") }
        let survivors = ["roomkeeper-0", "roomkeeper-2"]
        for tenant in tenants {
            let before = Rendezvous.owner(of: tenant, among: replicas)
            let after = Rendezvous.owner(of: tenant, among: survivors)
            if before != "roomkeeper-1" { #expect(after == before) }
        }
        #expect(Rendezvous.owner(of: "tenant-0", among: [String]()) == nil)
    }
}
