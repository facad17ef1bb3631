import Foundation

/// Runs blocking work (waiting for a process, starting NSD, a synchronous hook run) on a thread of its own and
/// awaits its result.
///
/// Why a thread and not `DispatchQueue.global()`: on Linux Swift's cooperative pool is a queue as wide as the CPUs
/// (two here) on Dispatch's global threads, and Dispatch adds a thread for blocked work only about once a second.
/// A dozen end-to-end tests each blocking a Dispatch thread then held back every other test's continuations for
/// seconds, and the resolver tests counted that stall against their deadlines (a 2 s deadline measured 11 s).
public func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}
