import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What wakes the daemon's loop.
enum DaemonEvent: Sendable {
    /// SIGTERM or SIGINT.
    case stop
    /// SIGHUP: re-read the configuration.
    case reload
    /// SIGUSR1: run the checks now.
    case runNow
    /// A run of the checks ended.
    case runFinished(CompletedRun)
    /// Time to tell systemd's watchdog the loop is alive.
    case watchdog
}

/// A queue of events with one waiter at a time (the loop), who may give up at a deadline.
final class EventMailbox: @unchecked Sendable {
    // @unchecked: `state` is a Mutex; `timer` is a Dispatch source, safe to use from any thread.
    private struct State {
        var pending: [DaemonEvent] = []
        var waiter: CheckedContinuation<DaemonEvent?, Never>? = nil
        var waiterID = 0
        /// The waiter the timer is armed for, and its deadline.
        var timedWaiterID = 0
        var deadline = 0.0
    }

    private let state = Mutex(State())
    /// One timer for all waits: a wait cut short by an event leaves nothing queued behind (a timer per wait would
    /// pile up, one per SIGUSR1, until each fired).
    private let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "rdnscheck.mailbox"))

    init() {
        timer.setEventHandler { [unowned self] in expire() }
        timer.schedule(deadline: .distantFuture)
        timer.resume()
    }

    deinit {
        timer.cancel()
    }

    func post(_ event: DaemonEvent) {
        let waiter: CheckedContinuation<DaemonEvent?, Never>? = state.withLock { state in
            guard let waiter = state.waiter else {
                state.pending.append(event)
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: event)
    }

    /// The next event, or nil when `deadline` (a `CLOCK_MONOTONIC` time in seconds) passes first.
    func next(until deadline: Double?) async -> DaemonEvent? {
        await withCheckedContinuation { continuation in
            let waiting: Bool = state.withLock { state in
                if !state.pending.isEmpty {
                    continuation.resume(returning: state.pending.removeFirst())
                    return false
                }
                state.waiterID += 1
                state.waiter = continuation
                state.timedWaiterID = deadline == nil ? 0 : state.waiterID
                state.deadline = deadline ?? 0
                return true
            }
            guard waiting, let deadline else { return }
            timer.schedule(deadline: .now() + max(0, deadline - MonotonicClock.seconds()))
        }
    }

    private func expire() {
        let expired: CheckedContinuation<DaemonEvent?, Never>? = state.withLock { state in
            // A firing armed for an earlier wait must not end a later one early.
            guard state.timedWaiterID == state.waiterID, MonotonicClock.seconds() >= state.deadline - 0.001,
                  let waiter = state.waiter else { return nil }
            state.waiter = nil
            return waiter
        }
        expired?.resume(returning: nil)
    }
}

/// SIGTERM, SIGINT, SIGHUP and SIGUSR1 as events. The signals are ignored at the process level and delivered
/// through Dispatch sources, so no Swift code runs in a signal handler.
final class SignalEvents {
    private let sources: [any DispatchSourceSignal]

    init(mailbox: EventMailbox) {
        let queue = DispatchQueue(label: "rdnscheck.signals")
        let mapping: [(Int32, DaemonEvent)] = [(SIGTERM, .stop), (SIGINT, .stop), (SIGHUP, .reload), (SIGUSR1, .runNow)]
        sources = mapping.map { signalNumber, event in
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: queue)
            source.setEventHandler { mailbox.post(event) }
            source.resume()
            return source
        }
    }
}

enum MonotonicClock {
    static func seconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
