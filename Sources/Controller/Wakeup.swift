import Reconciler

/// Lets the reconcile loop sleep until its next interval, or until something (a git push, a
/// resume, shutdown) asks for it sooner. A signal that comes while nobody waits is kept for the
/// next wait, so none is lost.
actor Wakeup {
    private let clock: any ReconcileClock
    private var pending = false
    private var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
    private var lastId = 0

    init(clock: any ReconcileClock = MonotonicClock()) {
        self.clock = clock
    }

    /// Ends the current wait now, or the next one at once. Signals coalesce: returns false when
    /// one was already pending, so a burst of them queues one wake-up.
    @discardableResult
    func signal() -> Bool {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume()
            return true
        }
        defer { pending = true }
        return !pending
    }

    /// Returns after `duration`, or sooner on `signal()`.
    func wait(for duration: Duration) async {
        if pending {
            pending = false
            return
        }
        lastId += 1
        let id = lastId
        let clock = clock
        let timer = Task { [weak self] in
            try? await clock.sleep(for: duration)
            await self?.expire(id)
        }
        await withCheckedContinuation { waiter = (id, $0) }
        timer.cancel()
    }

    private func expire(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume()
    }
}
