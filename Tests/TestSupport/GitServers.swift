import Foundation

/// Git repositories for tests, made with the `git` command in a temporary folder, and real git
/// servers over them on 127.0.0.1: `git daemon` and `git http-backend` (smart HTTP, behind a small
/// Python CGI host that can demand a password).
public final class GitFixture: Sendable {
    public let root: URL
    /// The bare repositories the servers export, by name.
    public var exports: URL { root.appendingPathComponent("exports") }
    /// A work tree per repository, for committing.
    public var work: URL { root.appendingPathComponent("work") }

    public init() throws {
        root = try temporaryFolder("roomkeeper-git")
        try FileManager.default.createDirectory(at: exports, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }

    public func remove() { try? FileManager.default.removeItem(at: root) }

    /// Runs git (or `program`) with an identity and no system or global configuration.
    @discardableResult
    public func git(_ arguments: [String], in directory: URL, program: String = "/usr/bin/git", _ programArguments: [String] = []) async throws
        -> String
    {
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        environment["GIT_AUTHOR_NAME"] = "Ada Admin"
        environment["GIT_AUTHOR_EMAIL"] = "ada@contoso.com"
        environment["GIT_COMMITTER_NAME"] = "Ada Admin"
        environment["GIT_COMMITTER_EMAIL"] = "ada@contoso.com"
        let all = arguments + programArguments
        let result = try await runProcess(URL(fileURLWithPath: program), all, environment: environment, in: directory)
        guard result.status == 0 else { throw FixtureError("\(program) \(all.joined(separator: " ")) failed: \(result.errors)") }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates `name` (a bare export and its work tree on branch main).
    public func create(_ name: String) async throws {
        try await git(["init", "-q", "--bare", "-b", "main", exports.appendingPathComponent("\(name).git").path], in: root)
        try await git(["init", "-q", "-b", "main", work.appendingPathComponent(name).path], in: root)
        try await git(["remote", "add", "origin", exports.appendingPathComponent("\(name).git").path], in: work.appendingPathComponent(name))
    }

    /// Writes `files` into the work tree, commits them (signed with `signingSettings`, the `git -c`
    /// options for `commit -S`, when given) and pushes (`force` for a rewritten history).
    /// Returns the new commit id.
    @discardableResult
    public func commit(
        _ name: String, _ message: String, files: [String: String], force: Bool = false, signingSettings: [String]? = nil
    ) async throws -> String {
        let tree = work.appendingPathComponent(name)
        for (path, text) in files {
            let url = tree.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try await git(["add", "-A"], in: tree)
        try await git(
            (signingSettings ?? []) + ["commit", "-q", "--allow-empty"] + (signingSettings == nil ? [] : ["-S"]) + ["-m", message], in: tree)
        try await git(["push", "-q"] + (force ? ["--force"] : []) + ["origin", "HEAD:main", "--tags"], in: tree)
        return try await git(["rev-parse", "HEAD"], in: tree)
    }

    /// Starts `git daemon` over the exports on a free loopback port.
    public func daemon() async throws -> GitServer {
        let port = try freeLoopbackPort()
        // The daemon itself, not `git daemon`: the `git` wrapper does not pass SIGTERM on.
        let process = try BackgroundProcess(
            URL(fileURLWithPath: "/usr/lib/git-core/git-daemon"),
            [
                "--verbose", "--reuseaddr", "--export-all", "--listen=127.0.0.1", "--port=\(port)",
                "--base-path=\(exports.path)", exports.path,
            ])
        guard try await process.line(containing: "Ready to rumble") != nil else {
            try? await process.kill()
            throw FixtureError("git daemon did not start: \(process.printed)")
        }
        return GitServer(url: "git://127.0.0.1:\(port)", process: process)
    }

    /// Starts `git http-backend` behind a CGI host on a free loopback port; with `password`, every
    /// request must authenticate as user `git` with it (HTTP basic).
    public func httpBackend(password: String? = nil) async throws -> GitServer {
        let credentials = password.map { Data("git:\($0)".utf8).base64EncodedString() } ?? ""
        let process = try BackgroundProcess(
            URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-u", "-c", Self.cgiHost, exports.path, credentials])
        guard let line = try await process.line(containing: "port "), let port = line.split(separator: " ").last else {
            try? await process.kill()
            throw FixtureError("the git HTTP server did not start: \(process.printed)")
        }
        return GitServer(url: "http://127.0.0.1:\(port)", process: process)
    }

    /// Whether this machine can run `sshServer()`: OpenSSH's server is installed and we are root
    /// (sshd's privilege separation needs /run/sshd).
    public static var canServeSSH: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/sshd") && getuid() == 0
    }

    /// Starts OpenSSH's sshd on a free loopback port with a new host key, accepting only a new
    /// client key for the current user. The server's `url` is `ssh://user@127.0.0.1:port`; a
    /// repository `name` is at `url` + `exports.path` + `/name.git`.
    public func sshServer() async throws -> SSHServer {
        let folder = root.appendingPathComponent("ssh")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "/run/sshd", withIntermediateDirectories: true)
        for key in ["host", "client", "stranger"] {
            try await git(
                [], in: folder, program: "/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", folder.appendingPathComponent(key).path])
        }
        try FileManager.default.copyItem(at: folder.appendingPathComponent("client.pub"), to: folder.appendingPathComponent("authorized_keys"))
        let port = try freeLoopbackPort()
        try """
        Port \(port)
        ListenAddress 127.0.0.1
        HostKey \(folder.appendingPathComponent("host").path)
        AuthorizedKeysFile \(folder.appendingPathComponent("authorized_keys").path)
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin prohibit-password
        StrictModes no
        UsePAM no
        PidFile \(folder.appendingPathComponent("sshd.pid").path)
        """.write(to: folder.appendingPathComponent("sshd_config"), atomically: true, encoding: .utf8)
        let process = try BackgroundProcess(
            URL(fileURLWithPath: "/usr/sbin/sshd"), ["-D", "-e", "-f", folder.appendingPathComponent("sshd_config").path])
        guard try await process.line(containing: "Server listening") != nil else {
            try? await process.kill()
            throw FixtureError("sshd did not start: \(process.printed)")
        }
        let hostKey = try String(contentsOf: folder.appendingPathComponent("host.pub"), encoding: .utf8)
            .split(separator: " ").prefix(2).joined(separator: " ")
        let user = ProcessInfo.processInfo.environment["USER"] ?? "root"
        return SSHServer(
            server: GitServer(url: "ssh://\(user)@127.0.0.1:\(port)", process: process), port: port, hostKey: hostKey,
            clientKey: folder.appendingPathComponent("client").path, strangerKey: folder.appendingPathComponent("stranger").path)
    }

    /// A threaded HTTP server that runs `git http-backend` as a CGI for every request.
    private static let cgiHost = #"""
        import base64, http.server, os, subprocess, sys
        root, credentials = sys.argv[1], sys.argv[2]

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args): pass
            def do_GET(self): self.run_backend()
            def do_POST(self): self.run_backend()
            def body(self):
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    data = b""
                    while True:
                        size = int(self.rfile.readline().strip(), 16)
                        if size == 0:
                            self.rfile.readline()
                            return data
                        data += self.rfile.read(size)
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))
            def run_backend(self):
                body = self.body()
                if credentials and self.headers.get("Authorization") != "Basic " + credentials:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="git"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL="1", PATH_INFO=path, QUERY_STRING=query,
                           REQUEST_METHOD=self.command, CONTENT_TYPE=self.headers.get("Content-Type", ""),
                           CONTENT_LENGTH=str(len(body)), REMOTE_USER="git", REMOTE_ADDR="127.0.0.1",
                           HTTP_CONTENT_ENCODING=self.headers.get("Content-Encoding", ""), GIT_CONFIG_NOSYSTEM="1")
                output = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
                separator = b"\r\n\r\n" if b"\r\n\r\n" in output else b"\n\n"
                head, _, rest = output.partition(separator)
                status, headers = 200, []
                for line in head.replace(b"\r\n", b"\n").split(b"\n"):
                    name, _, value = line.decode().partition(":")
                    if name.lower() == "status":
                        status = int(value.split()[0])
                    elif name:
                        headers.append((name, value.strip()))
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(rest)))
                self.end_headers()
                self.wfile.write(rest)

        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print("port", server.server_address[1], flush=True)
        server.serve_forever()
        """#
}

/// A git server started for a test; `stop()` ends it.
public struct GitServer: Sendable {
    /// The base URL: a repository `name` is at `url/name.git`.
    public let url: String
    let process: BackgroundProcess

    public func stop() async { try? await process.kill() }

    /// Ends it at once, without waiting: for cleanup that cannot wait (a `defer`).
    public func stopNow() { Foundation.kill(process.processIdentifier, SIGKILL) }
}

/// An sshd for git over SSH: its host key (`type base64`), a client key it accepts and one it does not.
public struct SSHServer: Sendable {
    public let server: GitServer
    public let port: Int
    public let hostKey: String
    public let clientKey: String
    public let strangerKey: String

    public func stop() async { await server.stop() }
}

/// A port on 127.0.0.1 that was free a moment ago.
public func freeLoopbackPort() throws -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw FixtureError("no socket") }
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
    }
    guard bound else { throw FixtureError("cannot bind a loopback port") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A test fixture that could not be set up.
public struct FixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
