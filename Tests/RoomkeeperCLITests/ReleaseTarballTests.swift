import Foundation
import TestSupport
import Testing

/// The tarball `scripts/release` packs, unpacked and run as a user would: without the Swift
/// toolchain on any library path. scripts/test makes the tarball before the tests, as CI does;
/// elsewhere this runs once `scripts/release` has left it in dist/.
@Suite("The release tarball")
struct ReleaseTarballTests {
    /// The system libraries the README names; the binary may link these and nothing else.
    static let systemLibraries = [
        "libyaml-0.so", "libgit2.so", "libsqlite3.so", "libc.so", "libm.so", "libstdc++.so", "libgcc_s.so", "libz.so", "ld-linux",
    ]

    static var tarball: URL? {
        let folder = repositoryRoot.appendingPathComponent("dist")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasPrefix("roomkeeper-") && $0.hasSuffix(".tar.gz") }.sorted().last.map { folder.appendingPathComponent($0) }
    }

    @Test(
        "Unpacked anywhere, the binary runs without the Swift toolchain, links only the README's system libraries, and ships its man page, completions and licences",
        .enabled(if: Checkers.required || tarball != nil, Comment(rawValue: Checkers.reason)))
    func unpackedBinaryRuns() async throws {
        let version = try await runProcess(Roomkeeper.executable, ["--version"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let tarball = try #require(Self.tarball, "scripts/release has not made dist/roomkeeper-\(version)-linux-*.tar.gz")
        #expect(tarball.lastPathComponent.hasPrefix("roomkeeper-\(version)-linux-"), "the tarball carries the binary's version")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-release-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let unpacked = try await runProcess(URL(fileURLWithPath: "/usr/bin/tar"), ["-xzf", tarball.path, "-C", folder.path])
        #expect(unpacked.status == 0, "\(unpacked.errors)")
        let root = try #require(try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).first)
        let binary = root.appendingPathComponent("bin/roomkeeper")

        // Linked libraries: the direct ones are the README's, and none resolves into a toolchain.
        let dynamic = try await runProcess(URL(fileURLWithPath: "/usr/bin/readelf"), ["-d", binary.path])
        let needed = dynamic.output.split(separator: "\n").filter { $0.contains("(NEEDED)") }
            .compactMap { line in line.split(separator: "[").last?.split(separator: "]").first.map(String.init) }
        #expect(!needed.isEmpty)
        for library in needed {
            #expect(Self.systemLibraries.contains { library.hasPrefix($0) }, "\(library) is not a system library the README names")
        }
        let environment = ["PATH": "/usr/bin:/bin", "HOME": folder.path, "ROOMKEEPER_STATE_DIR": folder.appendingPathComponent("state").path]
        let ldd = try await runProcess(URL(fileURLWithPath: "/usr/bin/ldd"), [binary.path], environment: environment)
        #expect(ldd.status == 0 && !ldd.output.contains("not found") && !ldd.output.lowercased().contains("swift"), "\(ldd.output)")

        // The container image installs the package of every library the binary links directly,
        // or its base image has it.
        let dockerfile = try String(contentsOf: repositoryRoot.appendingPathComponent("Dockerfile"), encoding: .utf8)
        let runtime = dockerfile.components(separatedBy: "FROM debian:").last ?? ""
        let base: Set<String> = ["libc6", "libstdc++6", "libgcc-s1", "zlib1g"]
        var checked = 0
        for line in ldd.output.split(separator: "\n") {
            let parts = line.split(whereSeparator: \.isWhitespace)
            guard let name = parts.first, needed.contains(String(name)), parts.count >= 3, parts[2].hasPrefix("/") else { continue }
            checked += 1
            let owner = try await runProcess(URL(fileURLWithPath: "/usr/bin/dpkg"), ["-S", String(parts[2])])
            let package = owner.output.split(separator: ":").first.map(String.init) ?? ""
            #expect(
                base.contains(package) || runtime.contains(" \(package) "),
                "\(name) comes from \(package), which the Dockerfile's runtime stage does not install")
        }
        #expect(checked == needed.count - 1, "every direct library but the dynamic loader was traced to its package: \(checked) of \(needed)")

        // It runs, from a clean environment, the way the README's first command does.
        let printed = try await runProcess(binary, ["--version"], environment: environment)
        #expect(printed.output.trimmingCharacters(in: .whitespacesAndNewlines) == version)
        let plan = try await runProcess(
            binary, ["plan", examples("contoso").path, "--portal", "embedded", "--color", "never"], environment: environment)
        #expect(plan.status == 2 && plan.output.contains("Plan: "), "\(plan.output.suffix(300)) \(plan.errors)")

        // What ships beside it.
        let manual = try String(contentsOf: root.appendingPathComponent("share/man/man1/roomkeeper.1"), encoding: .utf8)
        #expect(manual.contains(".Dt ROOMKEEPER 1") && manual.contains("drift"), "an mdoc man page covering the commands")
        for (path, marker) in [
            ("share/bash-completion/completions/roomkeeper", "complete"), ("share/zsh/site-functions/_roomkeeper", "#compdef"),
            ("share/fish/vendor_completions.d/roomkeeper.fish", "complete -c 'roomkeeper'"),
        ] {
            let script = try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
            #expect(script.contains(marker) && script.contains("drift"), "\(path)")
        }
        let licences = root.appendingPathComponent("share/doc/roomkeeper/licenses")
        let packages = try FileManager.default.contentsOfDirectory(atPath: licences.path)
        #expect(packages.contains("swift-nio") && packages.contains("GRDB.swift") && packages.contains("swift-argument-parser"), "\(packages)")
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("share/doc/roomkeeper/CHANGELOG.md").path))
    }
}
