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

/// What a busy 2-core machine may add to a real deadline in a test: the test process shares the CPUs with other
/// builds (load 8 was measured) and with every other test, which all run at once. Upper bounds are a deadline plus
/// this, and each test's deadline is chosen so the broken behaviour it guards against (waiting for ever, for the
/// glibc default of 5 s per attempt, one query after another) takes longer still.
public let busyMachineAllowance = 6.0
