import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PortalAPI
import PortalEmulator
import TestSupport
import Testing

@Suite("Faults and the contract")
struct FaultAndContractTests {
    private let token = TestTenant.tokens[TestTenant.administrator] ?? ""

    @Test("Through 429s, 5xx and dropped connections the client still reads every object, and counts its retries")
    func readsConvergeUnderFaults() async throws {
        let portal = try await RunningPortal.start(
            seed: TestTenant.seed(rooms: 1_000), tokens: TestTenant.tokens,
            faults: try FaultPlan(parsing: "latency=2ms,429=0.15,5xx=0.1,drop=0.05,seed=7"))
        let client = portal.client(token: token, retry: RetryPolicy(maximumAttempts: 12, baseDelay: 0.01, maximumDelay: 0.05), pageSize: 50)
        let rooms = try await client.list(PortalRoom.self)
        await portal.stopAndRemove()
        #expect(rooms.count == 1_000)
        #expect(Set(rooms.map(\.resource.id)).count == 1_000)
        #expect(client.transportCounts.retried > 0)
    }

    @Test("With stale entity tags injected, every write is refused with 412 and nothing changes")
    func staleTagsAreRefused() async throws {
        let portal = try await RunningPortal.start(
            seed: TestTenant.seed(), tokens: TestTenant.tokens, faults: try FaultPlan(parsing: "stale-etag=1"))
        let client = portal.client(token: token)
        let group = try await client.create(PortalRoomGroup(id: "", displayName: "G", roomIds: []), idempotencyKey: nil)
        var edited = group.resource
        edited.description = "edited"
        do {
            _ = try await client.replace(edited, ifMatch: group.etag)
            Issue.record("a write went through a stale tag")
        } catch let error as PortalError {
            #expect(error.status == 412)
        }
        #expect(try await client.get(PortalRoomGroup.self, id: group.resource.id).resource.description == nil)
        await portal.stopAndRemove()
    }

    /// Every operation the OpenAPI document lists, as (method, path with placeholder ids),
    /// after checking the document with openapi-spec-validator.
    private static func documentedOperations() async throws -> [(method: String, path: String)] {
        let document = try #require(PortalContract.documentURL)
        let result = try await runPython(
            """
            import json, sys, yaml
            from openapi_spec_validator import validate
            spec = yaml.safe_load(open(sys.argv[1]))
            validate(spec)
            print(json.dumps([[m.upper(), p] for p, item in spec["paths"].items() for m in item if m in ("get","put","post","delete")]))
            """, [document.path])
        guard result.status == 0 else {
            Issue.record("openapi-spec-validator failed: \(result.errors)")
            return []
        }
        return try JSONDecoder().decode([[String]].self, from: Data(result.output.utf8)).map { operation in
            (operation[0], operation[1].replacingOccurrences(of: "{id}", with: "x").replacingOccurrences(of: "{name}", with: "x"))
        }
    }

    private static func send(_ method: String, _ path: String, token: String?, on portal: RunningPortal) async throws -> (Int, String) {
        var request = HTTPClientRequest(url: portal.url + path)
        request.method = HTTPMethod(rawValue: method)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if method == "PUT" || method == "POST" {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: "{}"))
        }
        let response = try await portal.http.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(decoding: bytes.readableBytesView, as: UTF8.self))
    }

    @Test("The OpenAPI document is valid, and every operation it documents is routed")
    func contract() async throws {
        let operations = try await Self.documentedOperations()
        #expect(operations.count >= 30)
        let portal = try await RunningPortal.start(seed: TestTenant.seed(), tokens: TestTenant.tokens)
        for (method, path) in operations {
            let (status, body) = try await Self.send(method, path, token: token, on: portal)
            // The router's own 404 says "Not Found"; the contract's say what does not exist.
            #expect(!(status == 404 && body.contains("Not Found")), "\(method) \(path) is not routed")
            #expect(status < 500, "\(method) \(path): \(body)")
        }
        await portal.stopAndRemove()
    }

    @Test("Every operation refuses a missing or unknown token (401) and a user without the permission (403)")
    func everyOperationIsGuarded() async throws {
        let operations = try await Self.documentedOperations()
        #expect(operations.count >= 30)
        let portal = try await RunningPortal.start(seed: TestTenant.seed(), tokens: TestTenant.tokens)
        let nobody = try #require(TestTenant.tokens[TestTenant.nobody])
        // Who the caller is, any user may ask; agents authenticate with the enrollment key instead.
        let anyUser: Set<String> = ["GET /v1/me"]
        let agents: Set<String> = ["POST /v1/agent/checkin"]
        for (method, path) in operations {
            let name = "\(method) \(path)"
            if agents.contains(name) {
                #expect(try await Self.send(method, path, token: nil, on: portal).0 == 401, "\(name) without the enrollment key")
                continue
            }
            #expect(try await Self.send(method, path, token: nil, on: portal).0 == 401, "\(name) without a token")
            #expect(try await Self.send(method, path, token: "not-a-token", on: portal).0 == 401, "\(name) with an unknown token")
            let (status, body) = try await Self.send(method, path, token: nobody, on: portal)
            if anyUser.contains(name) {
                #expect(status == 200, "\(name): \(body)")
            } else {
                #expect(status == 403, "\(name) as a user with no role: \(status) \(body)")
            }
        }
        await portal.stopAndRemove()
    }
}
