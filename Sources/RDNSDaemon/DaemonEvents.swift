import RDNSPOSIX
import Dispatch
import RDNSRun

#if canImport(Glibc)
import Glibc
#endif

/// What wakes the daemon's loop (besides its deadlines: the next run, the next watchdog ping).
enum DaemonEvent: Sendable {
    /// SIGTERM or SIGINT.
    case stop
    /// SIGHUP: re-read the configuration.
    case reload
    /// SIGUSR1: run the checks now.
    case runNow
    /// A run of the checks ended.
    case runFinished(CheckedRun)
}

/// A queue of events with one waiter at a time (the loop), who may give up at a deadline of the daemon's clock.
final class EventMailbox: Sendable {
    private struct State {
        var pending: [DaemonEvent] = []
        var waiter: CheckedContinuation<DaemonEvent?, Never>? = nil
        var waiterID = 0
        /// The wake-up at the waiter's deadline: cancelled when an event comes first, so waits cut short by
        /// events (one per SIGUSR1, say) leave nothing queued behind.
        var wakeUp: WakeUp? = nil
    }

    private let state = Locked(State())
    private let clock: any TimeSource

    init(clock: any TimeSource) {
        self.clock = clock
    }

    func post(_ event: DaemonEvent) {
        let (waiter, wakeUp) = state.withLock { state -> (CheckedContinuation<DaemonEvent?, Never>?, WakeUp?) in
            guard let waiter = state.waiter else {
                state.pending.append(event)
                return (nil, nil)
            }
            state.waiter = nil
            defer { state.wakeUp = nil }
            return (waiter, state.wakeUp)
        }
        wakeUp?.cancel()
        waiter?.resume(returning: event)
    }

    /// The next event, or nil when `deadline` (the clock's monotonic seconds) passes first.
    func next(until deadline: Double?) async -> DaemonEvent? {
        await withCheckedContinuation { continuation in
            let waiterID: Int? = state.withLock { state in
                if !state.pending.isEmpty {
                    continuation.resume(returning: state.pending.removeFirst())
                    return nil
                }
                if let deadline, deadline <= clock.monotonicSeconds {
                    continuation.resume(returning: nil)
                    return nil
                }
                state.waiterID += 1
                state.waiter = continuation
                return state.waiterID
            }
            guard let waiterID, let deadline else { return }
            let wakeUp = clock.wake(at: deadline) { [self] in expire(waiterID) }
            let stillWaiting = state.withLock { state in
                guard state.waiterID == waiterID, state.waiter != nil else { return false }
                state.wakeUp = wakeUp
                return true
            }
            if !stillWaiting { wakeUp.cancel() }
        }
    }

    private func expire(_ waiterID: Int) {
        let expired: CheckedContinuation<DaemonEvent?, Never>? = state.withLock { state in
            // A wake-up for an earlier wait must not end a later one early.
            guard state.waiterID == waiterID, let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.wakeUp = nil
            return waiter
        }
        expired?.resume(returning: nil)
    }
}

/// SIGTERM, SIGINT, SIGHUP and SIGUSR1 as events (through `SignalSources`: no Swift code in a signal handler).
final class SignalEvents {
    private let sources: SignalSources

    init(mailbox: EventMailbox) {
        let events: [Int32: DaemonEvent] = [SIGTERM: .stop, SIGINT: .stop, SIGHUP: .reload, SIGUSR1: .runNow]
        sources = SignalSources([SIGTERM, SIGINT, SIGHUP, SIGUSR1]) { signalNumber in
            if let event = events[signalNumber] { mailbox.post(event) }
        }
    }
}
