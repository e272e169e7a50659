import Synchronization

#if canImport(Glibc)
    import CMalloc
#endif

/// A command that runs until it is stopped (the controller, the emulators' servers), whose
/// memory goes back to the system as it is freed.
protocol LongRunningCommand {}

/// Memory settings for a process that reads a tenant once and ends. glibc's malloc gives memory
/// back to the system as a large read is freed, and takes it again for the next, page by page;
/// a one-shot command grows its heap in large steps and keeps what it freed, which takes a
/// twentieth off a 20,000-room `drift --graph` (`roomkeeper-bench graph`). Not for a
/// long-running process, whose resident memory would stay at its peak.
enum ProcessMemory {
    /// Set in Roomkeeper's own process for a one-shot command; never in a test's process.
    private static let oneShot = Atomic<Bool>(false)
    private static let keptUntilExit = Mutex<[any Sendable]>([])

    static func tuneForOneShotCommand() {
        oneShot.store(true, ordering: .relaxed)
        #if canImport(Glibc)
            _ = mallopt(M_TOP_PAD, 256 << 20)
            _ = mallopt(M_TRIM_THRESHOLD, 1 << 30)
            // The largest allocation glibc's heap takes (larger ones are mapped and unmapped each time).
            _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        #endif
    }

    /// Keeps what a one-shot command read (a tenant's directory, plan and checklist) until the
    /// process exits, where the system takes the memory back at once: freeing 100,000 users
    /// object by object would hold the answer up by a tenth of a second, as compilers that skip
    /// freeing at exit know. Elsewhere (a test's process, a server) values are freed as usual.
    static func keepUntilExit(_ values: any Sendable...) {
        guard oneShot.load(ordering: .relaxed) else { return }
        keptUntilExit.withLock { $0 += values }
    }
}
