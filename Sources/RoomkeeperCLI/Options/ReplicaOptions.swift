import ArgumentParser
import Foundation
import KubernetesLeases
import Logging

/// How the replicas of a controller serving --tenants share them: in Kubernetes, one Lease per
/// tenant in the controller's namespace, found through the in-cluster API; elsewhere, or with
/// `--kubernetes-api`, through the API named.
struct ReplicaOptions: ParsableArguments {
    @Option(help: "With --tenants: the Kubernetes API to share tenants through (default: in a pod, the cluster's own; elsewhere none).")
    var kubernetesAPI: String?

    @Option(help: "With --kubernetes-api: a file holding the service account's token.", completion: .file())
    var kubernetesTokenFile: String?

    @Option(help: "With --kubernetes-api: the namespace of the Leases.")
    var kubernetesNamespace = "default"

    @Option(help: "With --tenants in Kubernetes: this replica's name (else POD_NAME, else the host name).")
    var replicaName: String?

    @Option(
        help:
            "With --tenants in Kubernetes: how long a tenant's Lease lasts unrenewed, in seconds; it is renewed every 2 s (at 15), and given up after two thirds."
    )
    var tenantLeaseSeconds = 15

    /// How often a round renews and takes Leases: 2 s at client-go's 15 s lease, in proportion below.
    var tick: Duration { .milliseconds(max(500, tenantLeaseSeconds * 1000 * 2 / 15)) }

    func validate() throws {
        guard (3...300).contains(tenantLeaseSeconds) else { throw ValidationError("--tenant-lease-seconds must be from 3 to 300") }
    }

    /// The coordinator of this replica, or nil outside Kubernetes (one replica: no sharing).
    func coordinator(logger: Logger) throws -> ShardCoordinator? {
        let api: KubernetesAPI?
        if let kubernetesAPI {
            api = KubernetesAPI(server: kubernetesAPI, namespace: kubernetesNamespace, tokenFile: kubernetesTokenFile, logger: logger)
        } else {
            api = try KubernetesAPI.inCluster(logger: logger)
        }
        guard let api else { return nil }
        let environment = ProcessInfo.processInfo.environment
        let identity = replicaName ?? environment["POD_NAME"].flatMap { $0.isEmpty ? nil : $0 } ?? ProcessInfo.processInfo.hostName
        let client = LeaseClient(api: api)
        let lock = LeaseLock(
            client: client, identity: identity, leaseDurationSeconds: tenantLeaseSeconds, renewDeadlineSeconds: Double(tenantLeaseSeconds) * 2 / 3)
        logger.info("Sharing tenants through Kubernetes Leases", metadata: ["replica": "\(identity)", "namespace": "\(api.namespace)"])
        return ShardCoordinator(lock: lock, client: client, prefix: "roomkeeper")
    }
}
