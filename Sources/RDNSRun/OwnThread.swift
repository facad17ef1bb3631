#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking work (a child process) on a POSIX thread of its own and awaits its result: Swift's cooperative
/// pool is as wide as the CPUs, and Dispatch adds a thread for blocked work only about once a second.
func runningOnOwnThread<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let work = Unmanaged.passRetained(ThreadWork { continuation.resume(returning: body()) }).toOpaque()
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        defer { pthread_attr_destroy(&attributes) }
        let created = pthread_create(&thread, &attributes, { context in
            Unmanaged<ThreadWork>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, work)
        if created != 0 {
            // No thread to be had: the work runs here rather than not at all.
            Unmanaged<ThreadWork>.fromOpaque(work).takeRetainedValue().run()
        }
    }
}

private final class ThreadWork: @unchecked Sendable {
    let run: @Sendable () -> Void

    init(_ run: @escaping @Sendable () -> Void) {
        self.run = run
    }
}
