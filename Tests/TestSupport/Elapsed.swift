import Glibc

/// Seconds on CLOCK_MONOTONIC, for the few tests that time real sockets and processes.
public func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// The seconds `work` took, measured from when it starts (after the caller's setup) to when it returns.
public func timed<T>(_ work: () async throws -> T) async rethrows -> (T, seconds: Double) {
    let started = monotonicSeconds()
    let result = try await work()
    return (result, monotonicSeconds() - started)
}

/// What a busy 2-core machine may add to a real deadline measured by a test's task: all tests start at once, and
/// Swift Testing starting some 440 of them (and the synchronous ones running) keeps Swift's two cooperative threads
/// busy, so a task resumes seconds after its lookup ended (3 s seen on a quiet machine; 9 s under load 8 before
/// blocking work moved to `offThePool`). Upper bounds are a deadline plus this, and each test is set up so
/// the broken behaviour it guards against (waiting for ever, one query after another, a shut-down lookup running
/// to its own 20 s deadline) takes longer still. Where the fault server can see it, timing is taken there instead
/// (`FaultQuery.receivedAt`), on threads no test holds back.
public let busyMachineAllowance = 10.0
