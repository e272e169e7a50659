import Foundation
import Synchronization

/// How long a fetch may take: `idle` without any sign of progress from the server, `overall` in all.
public struct GitTimeouts: Sendable, Equatable {
    public var idle: Duration
    public var overall: Duration
    /// The most bytes one fetch may bring: the cache shares its volume with the state folder.
    public var maximumBytes: Int

    public init(idle: Duration = .seconds(60), overall: Duration = .seconds(600), maximumBytes: Int = 512 << 20) {
        self.idle = idle
        self.overall = overall
        self.maximumBytes = maximumBytes
    }

    /// An overall limit, with the idle limit at a minute or the overall one if shorter.
    public init(overall: Duration) {
        self.init(idle: min(.seconds(60), overall), overall: overall)
    }
}

/// Watches one fetch from its own thread and cuts it off when the server stalls.
///
/// libgit2 1.5 has no network timeouts of its own, and a server that accepts a connection and
/// never answers would block its `recv` forever. The fetch's callbacks report progress here;
/// when `idle` passes without any, or `overall` in all, the watchdog marks the fetch cancelled
/// (the next callback aborts it) and shuts down this process's sockets to the remote, which
/// makes the blocked read return at once.
final class FetchWatchdog: Sendable {
    private let timeouts: GitTimeouts
    /// The most bytes the fetch may bring (`GitTimeouts.maximumBytes`).
    var maximumBytes: Int { timeouts.maximumBytes }
    private let peers: [(host: String, port: Int)]
    private let started = ContinuousClock.now
    private let lastProgress: Mutex<ContinuousClock.Instant>
    private let verdict = Mutex<String?>(nil)
    private let finished = Atomic<Bool>(false)

    init(timeouts: GitTimeouts, peers: [(host: String, port: Int)]) {
        self.timeouts = timeouts
        self.peers = peers
        lastProgress = Mutex(started)
    }

    /// Starts watching on a thread of its own, until `finish()`.
    func start() {
        let thread = Thread { [self] in
            while !finished.load(ordering: .acquiring) {
                Thread.sleep(forTimeInterval: 0.2)
                let now = ContinuousClock.now
                let reason: String?
                if now - lastProgress.withLock({ $0 }) > timeouts.idle {
                    reason = "sent nothing for \(timeouts.idle.components.seconds) s"
                } else if now - started > timeouts.overall {
                    reason = "did not finish within \(timeouts.overall.components.seconds) s"
                } else {
                    reason = nil
                }
                guard let reason, !finished.load(ordering: .acquiring) else { continue }
                verdict.withLock { $0 = reason }
                Self.shutDownSockets(to: peers)
                return
            }
        }
        thread.name = "roomkeeper-git-watchdog"
        thread.start()
    }

    /// The fetch made progress (a callback ran).
    func progressed() { lastProgress.withLock { $0 = ContinuousClock.now } }

    /// Why the fetch was cut off; nil while it may go on.
    var timedOut: String? { verdict.withLock { $0 } }

    func finish() { finished.store(true, ordering: .releasing) }

    /// Shuts down every connected socket of this process whose peer is one of `peers`.
    private static func shutDownSockets(to peers: [(host: String, port: Int)]) {
        var addresses: Set<String> = []
        for peer in peers {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var results: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(peer.host, String(peer.port), &hints, &results) == 0 else { continue }
            defer { freeaddrinfo(results) }
            var entry = results
            while let current = entry {
                if let address = numeric(current.pointee.ai_addr, length: current.pointee.ai_addrlen) { addresses.insert(address) }
                entry = current.pointee.ai_next
            }
        }
        guard !addresses.isEmpty else { return }
        for descriptor in 0..<min(getdtablesize(), 65_536) {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let connected = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(descriptor, $0, &length) == 0 }
            }
            guard connected else { continue }
            let address = withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { numeric($0, length: length) }
            }
            if let address, addresses.contains(address) { shutdown(descriptor, Int32(SHUT_RDWR)) }
        }
    }

    /// `address|port` in numeric form, to compare socket peers with resolved addresses.
    private static func numeric(_ address: UnsafePointer<sockaddr>?, length: socklen_t) -> String? {
        guard let address else { return nil }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
        guard getnameinfo(address, length, &host, socklen_t(host.count), &service, socklen_t(service.count), NI_NUMERICHOST | NI_NUMERICSERV) == 0
        else { return nil }
        func text(_ characters: [CChar]) -> String {
            String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return text(host) + "|" + text(service)
    }
}
