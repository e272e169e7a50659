import AsyncHTTPClient
import Foundation
import NIOCore

/// What a test HTTP request got back.
public struct HTTPResult: Sendable {
    public var status: Int
    public var body: String
}

/// Sends one HTTP request with the shared test client and collects the answer.
public func httpRequest(_ method: String, _ url: String, headers: [String: String] = [:], body: String? = nil) async throws -> HTTPResult {
    var request = HTTPClientRequest(url: url)
    request.method = .RAW(value: method)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let body { request.body = .bytes(ByteBuffer(string: body)) }
    let response = try await RunningPortal.testClient.execute(request, timeout: .seconds(30))
    let bytes = try await response.body.collect(upTo: 16 << 20)
    return HTTPResult(status: Int(response.status.code), body: String(buffer: bytes))
}
