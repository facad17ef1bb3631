#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking `work` (socket calls with a deadline of seconds) on a POSIX thread of its own and resumes the
/// async caller with its result. Blocking work must not run on Swift's cooperative pool: on Linux it is as wide as
/// the CPUs, so one blocked thread of two holds back every other task. When no thread can be started, `work` runs on
/// the caller's thread: late, but never lost.
public func onThreadOfItsOwn<Value: Sendable>(_ work: @escaping @Sendable () -> Value) async -> Value {
    await withCheckedContinuation { continuation in
        let job: @Sendable () -> Void = { continuation.resume(returning: work()) }
        let context = Unmanaged.passRetained(JobBox(job)).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { context in
            Unmanaged<JobBox>.fromOpaque(context!).takeRetainedValue().job()
            return nil
        }, context)
        if created == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<JobBox>.fromOpaque(context).takeRetainedValue().job()
        }
    }
}

private final class JobBox: Sendable {
    let job: @Sendable () -> Void

    init(_ job: @escaping @Sendable () -> Void) {
        self.job = job
    }
}
