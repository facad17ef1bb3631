import Dispatch
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The one clock of a run and of the daemon: wall time for what is recorded and shown, monotonic time for durations
/// and schedules, and wake-ups at a monotonic time. `SystemTimeSource` reads the kernel's clocks; tests drive a
/// manual one, so the daemon's schedule is a function of the events they give it, never of the machine's load.
public protocol TimeSource: Sendable {
    /// Seconds since the epoch (`CLOCK_REALTIME`).
    var wallSeconds: Double { get }
    /// Seconds on a clock that never jumps (`CLOCK_MONOTONIC`).
    var monotonicSeconds: Double { get }
    /// Calls `action` once, on some thread, when `monotonicSeconds` reaches `deadline` (at once if it has).
    func wake(at deadline: Double, _ action: @escaping @Sendable () -> Void) -> WakeUp
}

/// A pending call of `TimeSource.wake`; cancelling after it ran does nothing.
public struct WakeUp: Sendable {
    private let cancelling: @Sendable () -> Void

    public init(cancel: @escaping @Sendable () -> Void) {
        cancelling = cancel
    }

    public func cancel() {
        cancelling()
    }
}

/// The kernel's clocks, and Dispatch timers for wake-ups.
public struct SystemTimeSource: TimeSource {
    public init() {}

    public var wallSeconds: Double { wallClockSeconds() }
    public var monotonicSeconds: Double { RDNSPOSIX.monotonicSeconds() }

    public func wake(at deadline: Double, _ action: @escaping @Sendable () -> Void) -> WakeUp {
        let handle = TimerHandle(DispatchSource.makeTimerSource(queue: SystemTimeSource.queue))
        handle.timer.setEventHandler {
            handle.timer.cancel()
            action()
        }
        handle.timer.schedule(deadline: .now() + max(0, deadline - monotonicSeconds))
        handle.timer.resume()
        return WakeUp { handle.timer.cancel() }
    }

    /// @unchecked: a Dispatch source may be cancelled from any thread.
    private final class TimerHandle: @unchecked Sendable {
        let timer: any DispatchSourceTimer
        init(_ timer: any DispatchSourceTimer) { self.timer = timer }
    }

    private static let queue = DispatchQueue(label: "rdnscheck.clock")
}
