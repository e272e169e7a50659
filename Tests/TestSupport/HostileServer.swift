import Foundation

/// A small hostile HTTP peer on 127.0.0.1 and a free port (Python, in a child process), playing
/// a portal, a git server or a webhook receiver that misbehaves in one chosen way. Every request
/// it gets is recorded with whether it carried credentials.
public final class HostileServer: Sendable {
    /// How the peer misbehaves.
    public enum Behaviour: Sendable {
        /// Answers every GET with an empty page whose `@odata.nextLink` is `link`.
        case nextLink(String)
        /// Answers every GET with an empty last page whose delta link is this one.
        case deltaLink(String)
        /// Answers every GET with an empty page that links to itself.
        case loopingNextLink
        /// Answers every GET with an empty page padded with `bytes` of white space, linking to a
        /// new page on itself: endless, and never twice the same link.
        case paddedPages(bytes: Int)
        /// Answers 429 (or `status`) with this Retry-After header, every time.
        case retryAfter(String, status: Int = 429)
        /// Sends 200 headers promising a body, then nothing, forever.
        case stallAfterHeaders
        /// Accepts connections and never sends a byte.
        case silent
        /// Answers 400 with a contract error body whose message is `message` (Python escapes such
        /// as `\x1b` are decoded, so control characters need not pass through the command line).
        case errorMessage(String)
        /// Answers 401 asking for basic credentials (a git server wanting a password).
        case askForCredentials
        /// Redirects every request to the same path on `base`, with `status` (307 and 308 keep
        /// the method and the body).
        case redirect(to: String, status: Int = 302)

        var arguments: [String] {
            switch self {
            case .nextLink(let link): ["next", link]
            case .deltaLink(let link): ["delta", link]
            case .loopingNextLink: ["loop", ""]
            case .paddedPages(let bytes): ["padded", "\(bytes)"]
            case .retryAfter(let value, let status): ["retry-after", "\(status) \(value)"]
            case .stallAfterHeaders: ["stall", ""]
            case .silent: ["silent", ""]
            case .errorMessage(let message): ["error", message]
            case .askForCredentials: ["auth", ""]
            case .redirect(let base, let status): ["redirect", "\(status) \(base)"]
            }
        }
    }

    public let url: String
    private let process: BackgroundProcess

    private init(url: String, process: BackgroundProcess) {
        self.url = url
        self.process = process
    }

    public static func start(_ behaviour: Behaviour) async throws -> HostileServer {
        let process = try BackgroundProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-u", "-c", script] + behaviour.arguments)
        guard let line = try await process.line(containing: "listening on"), let port = line.split(separator: " ").last else {
            try await process.kill()
            throw FixtureError("the hostile server did not start: \(process.printed)")
        }
        return HostileServer(url: "http://127.0.0.1:\(port)", process: process)
    }

    /// One line per request: `request METHOD PATH credentials=yes|no`.
    public var requests: [String] {
        process.printed.split(separator: "\n").filter { $0.hasPrefix("request ") }.map(String.init)
    }

    /// Whether any request carried an Authorization header.
    public var sawCredentials: Bool { requests.contains { $0.hasSuffix("credentials=yes") } }

    public func stop() async { try? await process.kill() }

    private static let script = #"""
        import http.server, socketserver, socket, sys, time, json, threading
        mode, argument = sys.argv[1], sys.argv[2].encode().decode("unicode_escape")
        if mode == "silent":
            listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen(64)
            print("listening on", listener.getsockname()[1], flush=True)
            held = []
            while True:
                connection, _ = listener.accept(); held.append(connection)
                print("request CONNECT - credentials=no", flush=True)
        class Peer(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def answer(self):
                print("request", self.command, self.path, "credentials=" + ("yes" if self.headers.get("Authorization") else "no"), flush=True)
                length = int(self.headers.get("Content-Length", 0) or 0)
                if length: self.rfile.read(length)
                if mode == "next" or mode == "loop":
                    link = argument if mode == "next" else "http://%s%s" % (self.headers.get("Host"), self.path)
                    self.send_json(200, {"value": [], "@odata.nextLink": link})
                elif mode == "padded":
                    Peer.pages = getattr(Peer, "pages", 0) + 1
                    separator = "&" if "?" in self.path else "?"
                    link = "http://%s%s%spage=%d" % (self.headers.get("Host"), self.path.split("page=")[0].rstrip("&?"), separator, Peer.pages)
                    body = json.dumps({"value": [], "@odata.nextLink": link}).encode()
                    padding = int(argument)
                    self.send_response(200); self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body) + padding)); self.end_headers()
                    self.wfile.write(b" " * padding); self.wfile.write(body)
                elif mode == "delta":
                    self.send_json(200, {"value": [], "@odata.deltaLink": argument})
                elif mode == "retry-after":
                    status, value = argument.split(" ", 1)
                    body = b'{"error":{"code":"TooManyRequests","message":"slow down"}}'
                    self.send_response(int(status)); self.send_header("Retry-After", value)
                    self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(body))); self.end_headers()
                    self.wfile.write(body)
                elif mode == "stall":
                    self.send_response(200); self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", "100000"); self.end_headers(); self.wfile.write(b'{"value": ['); self.wfile.flush()
                    time.sleep(3600)
                elif mode == "error":
                    self.send_json(400, {"error": {"code": "BadRequest", "message": argument}})
                elif mode == "auth":
                    self.send_response(401); self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0"); self.end_headers()
                elif mode == "redirect":
                    status, base = argument.split(" ", 1)
                    self.send_response(int(status)); self.send_header("Location", base + self.path)
                    self.send_header("Content-Length", "0"); self.end_headers()
            def send_json(self, status, value):
                body = json.dumps(value).encode()
                self.send_response(status); self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
            do_GET = do_POST = do_PUT = do_DELETE = answer
            def log_message(self, *args): pass
        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
        server = Server(("127.0.0.1", 0), Peer)
        print("listening on", server.server_address[1], flush=True)
        server.serve_forever()
        """#
}
