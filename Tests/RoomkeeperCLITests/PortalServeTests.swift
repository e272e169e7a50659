import Foundation
import PortalAPI
import PortalClient
import TestSupport
import Testing

@Suite("roomkeeper portal serve, end to end")
struct PortalServeTests {
    @Test("Serves the example tenant on a free port, stops cleanly on SIGTERM, and never prints a token")
    func serve() async throws {
        let folder = try temporaryFolder("roomkeeper-serve")
        defer { try? FileManager.default.removeItem(at: folder) }
        let secret = "tok-\(UUID().uuidString)"
        var environment = ProcessInfo.processInfo.environment
        environment["ROOMKEEPER_PORTAL_TOKENS"] = "megan.bowen@contoso.com=\(secret)"
        let server = try BackgroundProcess(
            Roomkeeper.executable,
            ["portal", "serve", "--db", folder.appendingPathComponent("p.sqlite").path, "--listen", "127.0.0.1:0"],
            environment: environment)
        let line = try #require(try await server.line(containing: "listening on http://"), "no start line:\n\(server.printed)")
        let url = try #require(line.split(separator: " ").first { $0.hasPrefix("http://") }).description
        let client = HTTPPortalClient(baseURL: url, token: secret)
        #expect(try await client.list(PortalRoom.self).count == 41)
        #expect(try await server.terminate() == 0)
        #expect(!server.printed.contains(secret))
    }

    @Test("Without tokens it refuses to start and says how to provide them")
    func noTokens() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["ROOMKEEPER_PORTAL_TOKENS"] = nil
        let result = try await runProcess(
            Roomkeeper.executable, ["portal", "serve", "--db", "/nonexistent/p.sqlite", "--listen", "127.0.0.1:0"],
            environment: environment)
        #expect(result.status == 64)
        #expect(result.errors.contains("ROOMKEEPER_PORTAL_TOKENS"))
    }

    @Test(
        "Short or shared tokens and a zero rate limit are refused at start-up",
        arguments: [
            (["ROOMKEEPER_PORTAL_TOKENS": "megan.bowen@contoso.com=x"], [String](), "shorter than 12 characters"),
            (
                ["ROOMKEEPER_PORTAL_TOKENS": "a@contoso.com=shared-token-123;b@contoso.com=shared-token-123"], [],
                "a@contoso.com and b@contoso.com have the same token"
            ),
            (["ROOMKEEPER_PORTAL_TOKENS": "a@contoso.com=long-enough-token"], ["--rate-limit", "0"], "--rate-limit must be a positive number"),
        ])
    func refusedStart(_ environment: [String: String], _ arguments: [String], _ message: String) async throws {
        let folder = try temporaryFolder("roomkeeper-serve")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try await runProcess(
            Roomkeeper.executable,
            ["portal", "serve", "--db", folder.appendingPathComponent("p.sqlite").path, "--listen", "127.0.0.1:0"] + arguments,
            environment: ProcessInfo.processInfo.environment.merging(environment) { _, new in new })
        #expect(result.status != 0)
        #expect(result.errors.contains(message), "\(result.errors)")
        #expect(!result.errors.contains("shared-token-123"))
    }

    @Test("A malformed --faults value is a usage error naming the part")
    func badFaults() async throws {
        let result = try await Roomkeeper.run("portal", "serve", "--db", "x.sqlite", "--faults", "429=2")
        #expect(result.status == 64)
        #expect(result.errors.contains("cannot read the fault '429=2'"))
    }
}
