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
    public init(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        let queue = DispatchQueue(label: "rdnscheck.signals")
        sources = signals.map { signalNumber in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { handler(signalNumber) }
            source.resume()
            return source
        }
    }
}
