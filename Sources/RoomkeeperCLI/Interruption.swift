import Dispatch
import Foundation
import Synchronization

/// Whether Ctrl-C or SIGTERM came during an apply, and which first.
final class Interruption: Sendable {
    private let received = Mutex<String?>(nil)

    /// Why the run should stop, once a signal came.
    var reason: String? { received.withLock { $0 } }

    /// Records a signal; true when one had come before.
    fileprivate func receive(_ name: String) -> Bool {
        received.withLock { reason in
            defer { reason = reason ?? name }
            return reason != nil
        }
    }
}

/// Watches Ctrl-C and SIGTERM while an apply runs: the first asks the run to start nothing new
/// and finish what is in flight (so the journal and the portal agree); a second Ctrl-C exits at once.
struct SignalWatch {
    let interruption: Interruption
    private let sources: [any DispatchSourceSignal]

    init(_ interruption: Interruption = Interruption()) {
        self.interruption = interruption
        sources = [(SIGINT, "interrupted (Ctrl-C)"), (SIGTERM, "terminated (SIGTERM)")].map { number, name in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                if interruption.receive(name), number == SIGINT { exit(130) }
                Console.current.err("\nroomkeeper: \(name): finishing the actions in flight; starting no more\n", terminator: "")
            }
            source.resume()
            return source
        }
    }

    /// Restores the default signal handling.
    func stop() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
