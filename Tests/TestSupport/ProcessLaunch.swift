import Foundation
import Glibc

extension Process {
    /// `run()`, but the child starts with no signals blocked.
    ///
    /// A child inherits the signal mask of the thread that spawns it, and Foundation does not reset it.
    /// Test code runs on libdispatch worker threads, which block most signals, so without this nsd never
    /// sees SIGTERM (it shut down only by SIGKILL, 5 s later) and rdnscheck could not be tested for its own
    /// signal handling. The mask is cleared only around the spawn, on this thread.
    func runWithEmptySignalMask() throws {
        var empty = sigset_t()
        var saved = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try run()
    }
}
