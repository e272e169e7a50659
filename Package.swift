// swift-tools-version:6.0
import PackageDescription

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
    ],
    targets: [
        // System libraries, used as they are installed by Debian's -dev packages.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),

        // The portal's fixed vocabulary: permissions, built-in roles, default rings, device types.
        .target(name: "PortalModel"),
        // YAML with source positions, the manifest kinds, validation and diagnostics.
        .target(name: "Manifests", dependencies: ["CYAML", "PortalModel"]),
        // Renderers for people and machines (diagnostics today; plans and drift reports later).
        .target(name: "Reports", dependencies: ["Manifests"]),
        // The command line: parses flags, calls the libraries, renders, sets the exit code.
        .executableTarget(
            name: "roomkeeper",
            dependencies: [
                "Manifests", "Reports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        // Release-build benchmarks (`swift run -c release roomkeeper-bench`).
        .executableTarget(name: "RoomkeeperBenchmarks", dependencies: ["Manifests", "CYAML"]),

        // Helpers the test targets share: running processes, example paths, in-memory trees.
        .target(name: "TestSupport", dependencies: ["Manifests"], path: "Tests/TestSupport"),
        .testTarget(name: "PortalModelTests", dependencies: ["PortalModel"]),
        .testTarget(name: "ManifestsTests", dependencies: ["Manifests", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Manifests", "TestSupport"]),
        .testTarget(name: "RoomkeeperCLITests", dependencies: ["roomkeeper", "TestSupport"]),
    ]
)
