import Foundation
import TestSupport
import Testing

/// A state folder (for the embedded portal and journals) and a copy of examples/contoso to edit.
struct Workspace {
    let state: URL
    let repository: URL

    init() throws {
        state = try temporaryFolder("roomkeeper-apply")
        repository = state.appendingPathComponent("contoso")
        try FileManager.default.copyItem(at: examples("contoso"), to: repository)
    }

    func remove() { try? FileManager.default.removeItem(at: state) }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["ROOMKEEPER_STATE_DIR"] = state.path
        environment["ROOMKEEPER_PORTAL_URL"] = "embedded"
        environment["ROOMKEEPER_TOKEN"] = nil
        return environment
    }

    func run(_ arguments: [String], input: String = "", environment extra: [String: String] = [:]) async throws -> ProcessResult {
        try await runProcess(
            Roomkeeper.executable, arguments, environment: environment.merging(extra) { _, new in new }, in: state, input: input)
    }

    func edit(_ file: String, _ change: (String) -> String) throws {
        let url = repository.appendingPathComponent(file)
        try change(try String(contentsOf: url, encoding: .utf8)).write(to: url, atomically: true, encoding: .utf8)
    }
}

/// `roomkeeper graph serve` with the app `clientId` signing in with the secret in `secretFile`,
/// and `extra` flags: the process, its URL, and its tenant id.
func serveGraph(_ workspace: Workspace, clientId: String, secretFile: URL, extra: [String] = []) async throws -> (BackgroundProcess, String, String) {
    let graph = try BackgroundProcess(
        Roomkeeper.executable,
        ["graph", "serve", "--listen", "127.0.0.1:0", "--client-id", clientId, "--client-secret-file", secretFile.path] + extra,
        environment: workspace.environment)
    let line = try #require(try await graph.line(containing: "emulator listening on http://"), "\(graph.printed)")
    let url = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") }.map(String.init))
    let tenant = try #require(line.split(separator: " ").last.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "()")) })
    return (graph, url, tenant)
}
