#if canImport(Glibc)
import Glibc
#endif

/// errno's text, for messages: the one place that calls strerror.
public func errorText(_ number: Int32 = errno) -> String {
    String(cString: strerror(number))
}

/// Calls `call` again while it fails with EINTR (a signal arrived meanwhile), as swift-system's
/// `valueOrErrno(retryOnInterrupt:)` does: every interruptible system call of rdnscheck goes through here.
/// Returns the call's result; on failure (a negative result) errno says why.
@inline(__always)
public func retryingOnInterrupt<Result: BinaryInteger>(_ call: () -> Result) -> Result {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}

/// Writes all of `text` to `descriptor`, however many calls that takes. False when a write failed (errno says why;
/// EIO for a write that wrote nothing): callers that cannot do anything about a lost line (the log, stdout on a
/// closed pipe) ignore it.
@discardableResult
public func writeAll(_ text: String, to descriptor: Int32) -> Bool {
    var text = text
    return text.withUTF8 { writeAll(UnsafeRawBufferPointer($0), to: descriptor) }
}

/// `writeAll` of bytes.
@discardableResult
public func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let count = retryingOnInterrupt { write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
        guard count > 0 else {
            if count == 0 { errno = EIO }
            return false
        }
        offset += count
    }
    return true
}

/// How a capped read of a whole file ended.
public enum CappedRead: Equatable, Sendable {
    case contents([UInt8])
    /// read(2) failed with this errno.
    case failed(errorNumber: Int32)
    /// More than the limit was there (the file grew while it was read, or was larger than its size said).
    case tooLarge
}

/// Reads `descriptor` to its end, holding never more than `limit` bytes: the one read loop for files rdnscheck
/// reads whole (configuration, state). The caller checks the file's kind and size first; this bounds a file that
/// keeps growing while it is read.
public func readAll(_ descriptor: Int32, limit: Int) -> CappedRead {
    var contents: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = retryingOnInterrupt { chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) } }
        guard count >= 0 else { return .failed(errorNumber: errno) }
        if count == 0 { return .contents(contents) }
        contents += chunk[0..<count]
        guard contents.count <= limit else { return .tooLarge }
    }
}

/// Seconds on the clock that never jumps (`CLOCK_MONOTONIC`): the clock of every deadline, duration and
/// schedule. `TimeSource`'s system clock and the engine's injected clock both read this.
public func monotonicSeconds() -> Double {
    seconds(on: CLOCK_MONOTONIC)
}

/// Seconds since the epoch (`CLOCK_REALTIME`): for what is recorded and shown, never for durations.
public func wallClockSeconds() -> Double {
    seconds(on: CLOCK_REALTIME)
}

private func seconds(on clock: clockid_t) -> Double {
    var now = timespec()
    clock_gettime(clock, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
