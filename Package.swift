// swift-tools-version:6.0
import PackageDescription

/// What a module that sends HTTP requests links: the client, its buffers and headers, logging.
let httpClient: [Target.Dependency] = [
    .product(name: "AsyncHTTPClient", package: "async-http-client"),
    .product(name: "Logging", package: "swift-log"),
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
]

let package = Package(
    name: "Roomkeeper",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "roomkeeper", targets: ["roomkeeper"]),
        .executable(name: "roomkeeper-bench", targets: ["RoomkeeperBenchmarks"]),
        .library(name: "Manifests", targets: ["Manifests"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.36.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        // System libraries, used as they are installed by Debian's -dev packages.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        .systemLibrary(name: "CMalloc"),

        // The portal's fixed vocabulary: permissions, built-in roles, default rings, device types.
        .target(name: "PortalModel"),
        // YAML with source positions, the manifest kinds, validation and diagnostics.
        .target(name: "Manifests", dependencies: ["CYAML", "PortalModel"]),
        // The manifests repository on a git server: a bare cache per remote, read without a work tree.
        .target(
            name: "GitSource",
            dependencies: ["CGit2", "Manifests", "PortalAPI", .product(name: "Crypto", package: "swift-crypto")]),
        // The portal contract, apart from any transport: wire types, the `Portal` protocol,
        // `PortalError`, retry and deadline policy, the local state folder's private files.
        .target(name: "PortalAPI", dependencies: ["PortalModel"], resources: [.copy("openapi.yaml")]),
        // Roomkeeper's HTTP requests, whoever they go to: retries and Retry-After, deadlines,
        // body limits, no redirects, retry logging and counts. The clients describe endpoints.
        .target(
            name: "HTTPTransport",
            dependencies: [
                "PortalAPI"
            ] + httpClient),
        // The contract over HTTP: the portal's endpoints, paging and lost-answer checks.
        .target(
            name: "PortalClient",
            dependencies: [
                "PortalAPI", "HTTPTransport",
            ] + httpClient),
        // Microsoft Graph's wire types, apart from any transport: the clouds, app-only sign-in
        // settings, client certificates and assertions, the entity types Roomkeeper reads.
        .target(
            name: "GraphAPI",
            dependencies: [
                "PortalAPI", "PortalModel",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ]),
        // Graph over HTTP: sign-in and token cache, paging, batching, throttling, delta reads of
        // the directory.
        .target(
            name: "GraphClient",
            dependencies: [
                "GraphAPI", "PortalAPI", "PortalModel", "HTTPTransport",
            ] + httpClient),
        // The Graph emulator: the token endpoint and the Graph v1.0 reads Roomkeeper makes,
        // in memory, for tests, demos and benchmarks.
        .target(
            name: "GraphEmulator",
            dependencies: [
                "GraphAPI", "Manifests",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")]),
        // The emulated portal: SQLite store, RBAC, HTTP server, faults, agent simulation.
        .target(
            name: "PortalEmulator",
            dependencies: [
                "PortalAPI", "PortalModel", "Manifests",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Fixtures")]),
        // Diff, plan, apply and drift: pure where possible, no HTTP, git or YAML of its own.
        .target(
            name: "Reconciler",
            dependencies: ["Manifests", "PortalAPI", "PortalModel", .product(name: "Crypto", package: "swift-crypto")]),
        // Renderers for people and machines: diagnostics, plans, apply and drift reports, notifications.
        .target(name: "Reports", dependencies: ["Manifests", "PortalAPI", "Reconciler"]),
        // Delivering notifications to webhooks, with bounded retries and a timeout.
        .target(
            name: "Notifications",
            dependencies: [
                "PortalAPI", "HTTPTransport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        // The state folder: its layout in one type, and the files on it (read caches, inventory
        // records, drift histories, journals, checklist confirmations, last verified commits).
        .target(name: "StateStore", dependencies: ["Reconciler", "PortalAPI", "GitSource", .product(name: "Crypto", package: "swift-crypto")]),
        // The reconcile pipeline both front ends call: load a source, read the portal with the
        // inventory guard, plan, apply with journal and inventory accounting, check drift with
        // history and notification. Owns the state folder; links no server or metrics library.
        .target(
            name: "Engine",
            dependencies: [
                "Manifests", "GitSource", "PortalAPI", "Reconciler", "Reports", "Notifications", "StateStore",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Kubernetes Leases over the one transport: taken, renewed and released with client-go
        // leader election's semantics, and rendezvous hashing of tenants to replicas.
        .target(
            name: "KubernetesLeases",
            dependencies: ["HTTPTransport", "PortalAPI", .product(name: "NIOSSL", package: "swift-nio-ssl")] + httpClient),
        // The tenants a partner's controller serves: `kind: Tenant` files, checked like manifests.
        .target(name: "Tenants", dependencies: ["Manifests", "PortalModel"]),
        // The web console: people's pages on the controller, signed in with Entra ID.
        .target(
            name: "Console",
            dependencies: [
                "Controller", "GraphAPI", "GraphClient", "HTTPTransport", "PortalModel", "Reconciler", "Reports",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ] + httpClient),
        // The controller: the reconcile loop, its status, metrics and HTTP endpoints.
        .target(
            name: "Controller",
            dependencies: [
                "Engine", "Manifests", "GitSource", "PortalAPI", "Reconciler", "Reports", "Notifications", "StateStore", "Tenants",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        // The command line as a library tests can call: commands, option groups declared once, one
        // error-to-exit mapping.
        .target(
            name: "RoomkeeperCLI",
            dependencies: [
                "Manifests", "Reports", "PortalAPI", "PortalClient", "PortalEmulator", "Reconciler", "GitSource", "Notifications", "Engine",
                "Controller", "Console", "GraphAPI", "GraphClient", "GraphEmulator", "HTTPTransport", "StateStore", "Tenants", "KubernetesLeases",
                "CMalloc", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The `roomkeeper` executable: only `main`.
        .executableTarget(name: "roomkeeper", dependencies: ["RoomkeeperCLI"]),
        // The manifest loader under libFuzzer (scripts/fuzz), or replaying kept inputs without it.
        .executableTarget(name: "ManifestFuzzer", dependencies: ["Manifests", "Reports"]),
        // Release-build benchmarks (`swift run -c release roomkeeper-bench`).
        .executableTarget(
            name: "RoomkeeperBenchmarks",
            dependencies: [
                "Manifests", "CYAML", "PortalAPI", "PortalModel", "PortalClient", "PortalEmulator", "Reconciler", "GitSource", "Engine", "GraphAPI",
                "GraphClient", "StateStore", "GraphEmulator",
                "HTTPTransport",
                // The git daemon and Kubernetes stand-in the tests run, for the many-tenants benchmark.
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),

        // Helpers the test targets share: running processes, example paths, in-memory trees.
        .target(
            name: "TestSupport",
            dependencies: [
                "Manifests", "PortalAPI", "PortalClient", "PortalEmulator", "Reconciler", "GraphAPI", "GraphClient", "GraphEmulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport"),
        .testTarget(name: "PortalModelTests", dependencies: ["PortalModel"]),
        .testTarget(
            name: "GraphTests",
            dependencies: [
                "GraphAPI", "GraphClient", "GraphEmulator", "PortalAPI", "PortalModel", "TestSupport",
                .product(name: "X509", package: "swift-certificates"),
            ],
            resources: [.copy("Fixtures")]),
        .testTarget(
            name: "GitSourceTests",
            dependencies: ["GitSource", "Manifests", "TestSupport", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(
            name: "ReconcilerTests",
            dependencies: ["Reconciler", "Manifests", "PortalAPI", "PortalClient", "PortalEmulator", "StateStore", "TestSupport"]),
        .testTarget(name: "ManifestsTests", dependencies: ["Manifests", "TestSupport"]),
        .testTarget(
            name: "ControllerTests",
            dependencies: [
                "Controller", "StateStore", "Engine", "GitSource", "Notifications", "PortalAPI", "PortalClient", "PortalEmulator", "TestSupport",
                "GraphAPI",
                "GraphClient", "GraphEmulator", "Tenants", "Manifests", "Reports", "KubernetesLeases", "Console",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Manifests", "TestSupport"]),
        .testTarget(
            name: "RoomkeeperCLITests",
            dependencies: [
                "roomkeeper", "RoomkeeperCLI", "TestSupport", "PortalAPI", "PortalClient", "PortalEmulator", "Manifests", "Reconciler", "Engine",
                "StateStore", "KubernetesLeases",
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .testTarget(
            name: "PortalEmulatorTests",
            dependencies: [
                "PortalEmulator", "PortalAPI", "PortalClient", "PortalModel", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
    ]
)
