import Foundation

/// A real HTTP server on 127.0.0.1 and a free port that records every POST body, one per line
/// (Python's http.server, in a child process). The first `failures` requests get a 503, to
/// exercise the sender's retries.
public final class WebhookReceiver: Sendable {
    public let url: String
    private let log: URL
    private let process: BackgroundProcess

    private init(url: String, log: URL, process: BackgroundProcess) {
        self.url = url
        self.log = log
        self.process = process
    }

    public static func start(failures: Int = 0) async throws -> WebhookReceiver {
        let log = try temporaryFolder("roomkeeper-webhook").appendingPathComponent("received.jsonl")
        let (process, port) = try await BackgroundProcess.pythonServer(script, arguments: [log.path, String(failures)], name: "the webhook receiver")
        return WebhookReceiver(url: "http://127.0.0.1:\(port)/hooks/drift", log: log, process: process)
    }

    /// The bodies received so far, oldest first.
    public var received: [String] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// How many requests came in, refused ones included.
    public var attempts: Int {
        process.printed.split(separator: "\n").filter { $0.hasPrefix("request") }.count
    }

    public func stop() async {
        try? await process.kill()
        try? FileManager.default.removeItem(at: log.deletingLastPathComponent())
    }

    private static let script = #"""
        import http.server, sys
        log, failures = sys.argv[1], int(sys.argv[2])
        seen = [0]
        class Receiver(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                seen[0] += 1
                print("request", seen[0], flush=True)
                if seen[0] <= failures:
                    self.send_response(503); self.end_headers(); return
                with open(log, "ab") as f:
                    f.write(body.replace(b"\n", b" ") + b"\n")
                self.send_response(204); self.end_headers()
            def log_message(self, *args): pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
        print("listening on", server.server_address[1], flush=True)
        server.serve_forever()
        """#
}
