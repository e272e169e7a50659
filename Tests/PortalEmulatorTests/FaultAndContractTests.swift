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
        #expect(client.retryCount > 0)
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

    @Test("The OpenAPI document is valid, and every operation it documents is routed")
    func contract() async throws {
        let document = try #require(PortalContract.documentURL)
        let result = try await runPython(
            """
            import json, sys, yaml
            from openapi_spec_validator import validate
            spec = yaml.safe_load(open(sys.argv[1]))
            validate(spec)
            print(json.dumps([[m.upper(), p] for p, item in spec["paths"].items() for m in item if m in ("get","put","post","delete")]))
            """, [document.path])
        if result.status != 0 {
            Issue.record("openapi-spec-validator failed: \(result.errors)")
            return
        }
        let operations = try JSONDecoder().decode([[String]].self, from: Data(result.output.utf8))
        #expect(operations.count >= 30)
        let portal = try await RunningPortal.start(seed: TestTenant.seed(), tokens: TestTenant.tokens)
        for operation in operations {
            let path = operation[1].replacingOccurrences(of: "{id}", with: "x").replacingOccurrences(of: "{name}", with: "x")
            var request = HTTPClientRequest(url: portal.url + path)
            request.method = HTTPMethod(rawValue: operation[0])
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let response = try await portal.http.execute(request, timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 1 << 20)
            let body: String = String(decoding: bytes.readableBytesView, as: UTF8.self)
            let status = Int(response.status.code)
            // The router's own 404 says "Not Found"; the contract's say what does not exist.
            #expect(!(status == 404 && body.contains("Not Found")), "\(operation[0]) \(path) is not routed")
            #expect(status < 500, "\(operation[0]) \(path): \(body)")
        }
        await portal.stopAndRemove()
    }
}
