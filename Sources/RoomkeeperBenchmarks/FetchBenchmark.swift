import Foundation
import GitSource

/// Fetches a repository through the git source, cold (empty cache) and after one new commit, and
/// times `git clone --bare` and `git fetch` on the same repository for comparison. Builds the
/// repository first: the generated 20,000-room tenant (`--sites`) with `--commits` commits of history.
func fetchBenchmark() async throws {
    let repository = GeneratedRepository(sites: option("--sites", default: 200))
    let commits = option("--commits", default: 1000)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roomkeeper-fetch-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: folder) }
    let work = folder.appendingPathComponent("work")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    try git(["init", "-q", "-b", "main"], in: work)
    for file in repository.files() {
        let url = work.appendingPathComponent(file.path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try file.text.write(to: url, atomically: false, encoding: .utf8)
    }
    try git(["add", "-A"], in: work)
    try git(["commit", "-q", "-m", "Import the tenant"], in: work)
    // History: each commit changes one site's assignments file.
    for index in 1..<commits {
        let file = work.appendingPathComponent("sites/site-\(index % repository.sites)/assignments.yaml")
        let text = try String(contentsOf: file, encoding: .utf8)
        try (text + "# change \(index)\n").write(to: file, atomically: false, encoding: .utf8)
        try git(["commit", "-q", "-a", "-m", "Change \(index)"], in: work)
    }
    let url = "file://" + work.path
    print("built a repository of \(repository.files().count) files and \(commits) commits")

    let cache = folder.appendingPathComponent("cache")
    let source = GitSource(url: url, ref: "main", cacheFolder: cache)
    let cold = try time { _ = try source.read() }
    let gitClone = try time { try git(["clone", "-q", "--bare", url, folder.appendingPathComponent("plain.git").path], in: folder) }
    let file = work.appendingPathComponent("sites/site-0/groups.yaml")
    try (try String(contentsOf: file, encoding: .utf8) + "# one more\n").write(to: file, atomically: false, encoding: .utf8)
    try git(["commit", "-q", "-a", "-m", "One more"], in: work)
    let warm = try time { _ = try source.read() }
    let gitFetch = try time { try git(["fetch", "-q", url, "+refs/heads/*:refs/heads/*"], in: folder.appendingPathComponent("plain.git")) }
    print(
        String(
            format: "clone: roomkeeper %.2f s (fetch and read every manifest), git clone --bare %.2f s, ratio %.2f", cold, gitClone,
            cold / gitClone))
    print(String(format: "fetch of one new commit: roomkeeper %.2f s (and read), git fetch %.2f s, ratio %.2f", warm, gitFetch, warm / gitFetch))
    print("peak memory: \(String(format: "%.0f", peakMemoryMiB())) MiB")
}

private func time(_ work: () throws -> Void) throws -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try work()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

private func git(_ arguments: [String], in folder: URL) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
    process.arguments = ["-c", "user.name=Bench", "-c", "user.email=bench@contoso.com"] + arguments
    process.currentDirectoryURL = folder
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw GitSourceError.other("git \(arguments.joined(separator: " ")) failed") }
}
