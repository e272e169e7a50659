import Foundation
import PortalAPI
import PortalClient
import TestSupport
import Testing

/// A portal that answers with endless pages: the client stops by bytes, not only by pages and objects.
@Suite("Paged reads against a hostile portal")
struct PagedReadBoundsTests {
    @Test("Paged reads are bounded in bytes as well: endless padded pages stop at the limit")
    func pagedBytes() async throws {
        let padded = try await HostileServer.start(.paddedPages(bytes: 2 << 20))
        defer { Task { await padded.stop() } }
        // The limit of 512 MiB, scaled down: endless pages of 2 MiB, and a client given 8 MiB.
        let client = HTTPPortalClient(baseURL: padded.url, token: "t", http: RunningPortal.testClient, listedBytesLimit: 8 << 20)
        await #expect {
            _ = try await client.list(PortalRoom.self)
        } throws: { error in
            "\(error)".contains("went on past 8 MiB; Roomkeeper stops there")
        }
        #expect(
            (1...4).contains(padded.requests.count),
            "the fourth page of 2 MiB and a little passes 8 MiB, and no page is asked for after it: \(padded.requests.count) pages")
        #expect(HTTPPortalClient.maximumListedBytes == 512 << 20)
    }
}
