import Foundation

/// The Kubernetes API server's Leases (`coordination.k8s.io/v1`), as a separate process on
/// 127.0.0.1 and a free port (Python's http.server), written from the API's documented
/// behaviour rather than from Roomkeeper's client: a create of an existing name is 409
/// AlreadyExists, an update that names an older `resourceVersion` is 409 Conflict, a missing
/// Lease is 404, each write bumps the version, and a request without the bearer token is 401.
/// Several controller processes can share one.
public final class KubernetesStandIn: Sendable {
    public let url: String
    public let token: String
    private let process: BackgroundProcess

    private init(url: String, token: String, process: BackgroundProcess) {
        self.url = url
        self.token = token
        self.process = process
    }

    /// Starts the stand-in; with `tls` (PEM files of its certificate and key) it serves HTTPS, as
    /// a cluster's API server does.
    public static func start(tls: (certificate: String, key: String)? = nil) async throws -> KubernetesStandIn {
        let token = "sa-token-\(UUID().uuidString)"
        let (process, port) = try await BackgroundProcess.pythonServer(
            script, arguments: [token] + (tls.map { [$0.certificate, $0.key] } ?? []), name: "the Kubernetes stand-in")
        return KubernetesStandIn(url: "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)", token: token, process: process)
    }

    public func stop() async { try? await process.kill() }

    /// Ends it at once, without waiting: for cleanup that cannot wait (a `defer`).
    public func stopNow() { Foundation.kill(process.processIdentifier, SIGKILL) }

    private static let script = #"""
        import http.server, json, re, sys, threading, urllib.parse
        token = sys.argv[1]
        leases, lock, version = {}, threading.Lock(), [0]
        path_re = re.compile(r"^/apis/coordination\.k8s\.io/v1/namespaces/([a-z0-9-]+)/leases(?:/([^/?]+))?(?:\?(.*))?$")
        def status(code, reason, message):
            return code, {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason, "message": message, "code": code}
        class API(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True
            def answer(self, code, body):
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            def handle_any(self, method):
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length) if length else b""
                if self.headers.get("Authorization") != "Bearer " + token:
                    return self.answer(*status(401, "Unauthorized", "Unauthorized"))
                match = path_re.match(self.path)
                if not match:
                    return self.answer(*status(404, "NotFound", "the server could not find the requested resource"))
                namespace, name, query = match.groups()
                with lock:
                    key = (namespace, name)
                    if method == "GET" and name is None:
                        given = urllib.parse.parse_qs(query or "").get("labelSelector", [""])[0]
                        selector = dict(p.split("=", 1) for p in given.split(",") if "=" in p)
                        items = [l for (ns, _), l in sorted(leases.items()) if ns == namespace
                                 and all(l["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())]
                        return self.answer(200, {"kind": "LeaseList", "apiVersion": "coordination.k8s.io/v1", "items": items})
                    if method == "GET":
                        if key not in leases:
                            return self.answer(*status(404, "NotFound", 'leases.coordination.k8s.io "%s" not found' % name))
                        return self.answer(200, leases[key])
                    if method == "DELETE":
                        if key not in leases:
                            return self.answer(*status(404, "NotFound", 'leases.coordination.k8s.io "%s" not found' % name))
                        del leases[key]
                        return self.answer(200, {"kind": "Status", "status": "Success"})
                    body = json.loads(raw or b"{}")
                    meta = body.setdefault("metadata", {})
                    if method == "POST":
                        name = meta.get("name", "")
                        key = (namespace, name)
                        if key in leases:
                            return self.answer(*status(409, "AlreadyExists", 'leases.coordination.k8s.io "%s" already exists' % name))
                    elif method == "PUT":
                        if meta.get("name") != name:
                            return self.answer(*status(400, "BadRequest", "the name of the object does not match the name on the URL"))
                        if key not in leases:
                            return self.answer(*status(404, "NotFound", 'leases.coordination.k8s.io "%s" not found' % name))
                        given = meta.get("resourceVersion")
                        if given is not None and given != leases[key]["metadata"]["resourceVersion"]:
                            return self.answer(*status(409, "Conflict", 'Operation cannot be fulfilled on leases.coordination.k8s.io "%s": the object has been modified; please apply your changes to the latest version and try again' % name))
                    else:
                        return self.answer(*status(405, "MethodNotAllowed", "method not allowed"))
                    version[0] += 1
                    meta["resourceVersion"] = str(version[0])
                    meta["namespace"] = namespace
                    leases[key] = body
                    return self.answer(201 if method == "POST" else 200, body)
            def do_GET(self): self.handle_any("GET")
            def do_POST(self): self.handle_any("POST")
            def do_PUT(self): self.handle_any("PUT")
            def do_DELETE(self): self.handle_any("DELETE")
            def log_message(self, *args): pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), API)
        if len(sys.argv) > 3:
            import ssl
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(sys.argv[2], sys.argv[3])
            server.socket = context.wrap_socket(server.socket, server_side=True)
        print("listening on", server.server_address[1], flush=True)
        server.serve_forever()
        """#
}
