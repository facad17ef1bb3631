import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Signals as calls on a queue of their own, for the daemon's events and for `--once` while it waits for its
/// on-change programs. Each signal is ignored at the process level and delivered through a Dispatch source, so
/// no Swift code runs in a signal handler (the handler given here may lock, allocate and log).
public final class SignalSources {
    private let sources: [any DispatchSourceSignal]

    /// From now on, `handler` is called with the number of each of `signals` received, one call at a time.
    ///
    /// It returns once libdispatch has registered every source: until then an ignored signal is discarded, and a
    /// SIGUSR1 sent as soon as the daemon said READY=1 was lost once in `make test` (the manager thread that registers
    /// sources had not run yet on a loaded machine).
    public init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "rdnscheck.signals")
        let registered = DispatchSemaphore(value: 0)
        sources = signals.map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { handler(signalNumber) }
            source.setRegistrationHandler { registered.signal() }
            source.resume()
            return source
        }
        // Bounded: a registration that never comes must not stop the start (signals then stay ignored, as before).
        for _ in signals { _ = registered.wait(timeout: .now() + 5) }
    }
}
