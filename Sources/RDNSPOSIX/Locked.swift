#if canImport(Glibc)
import Glibc
#endif

/// A value shared between threads, behind a `pthread_mutex_t`: `withLock` gives exclusive access to it.
///
/// Why not the standard library's `Synchronization.Mutex`: on Linux, once contended, its futex slow path runs in
/// the uninstrumented Swift runtime, so ThreadSanitizer sees no acquire or release and reports every access the
/// Mutex protects as a race (Tests/Sanitizers/tsan-false-positives/mutex.swift shows it in 20 lines; the same
/// program with a pthread mutex gets no report). TSan intercepts `pthread_mutex_lock`, so with this lock the
/// sanitizer checks our locking instead of needing a suppression per protected state.
public final class Locked<Value>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Behind a pointer, not a stored property: `&` on a class's stored property is checked for exclusive access
    /// at run time (about 90 instructions a lock), which the mutex already guarantees.
    @usableFromInline let value: UnsafeMutablePointer<Value>

    public init(_ value: Value) {
        self.value = .allocate(capacity: 1)
        self.value.initialize(to: value)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        value.deinitialize(count: 1)
        value.deallocate()
    }

    /// Runs `body` with the value, no other thread touching it meanwhile. Inlinable: called from other modules,
    /// a generic function is not specialized for their values.
    @inlinable
    public func withLock<Result, Failure: Error>(
        _ body: (inout Value) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value.pointee)
    }
}
