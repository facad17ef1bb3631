import CSocket
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// Where the engine waits (NIOPosix's `Selector`): one level-triggered epoll instance over the nameservers' UDP
/// sockets, the TCP exchanges' sockets and an eventfd that other threads write to wake the engine up.
final class Selector: @unchecked Sendable {
    // @unchecked: other threads only write to `wake`, a descriptor that stays open until deinit; the rest is
    // used on the engine's thread.

    /// What a wait found ready.
    enum Event: Equatable {
        /// Another thread handed work in (`wakeUp()`).
        case wakeUp
        /// The UDP socket of nameserver `index` is readable.
        case udp(Int)
        /// A TCP exchange's socket is ready for what it waits for.
        case tcp(Int32)
    }

    private let poller: Int32
    private let wake: Int32
    private var ready = [epoll_event](repeating: epoll_event(), count: 8)

    /// Tags at and above this are TCP sockets (tag - tcpTag is the descriptor); below, 0 is the eventfd and
    /// 1... the UDP sockets.
    private static let tcpTag: UInt64 = 1 << 32

    init() throws(EngineSetupError) {
        wake = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wake >= 0 else { throw EngineSetupError(description: "cannot create an eventfd: \(errorText())") }
        poller = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard poller >= 0 else {
            let message = errorText()
            Glibc.close(wake)
            throw EngineSetupError(description: "cannot create an epoll instance: \(message)")
        }
        watch(wake, tag: 0, for: EPOLLIN, adding: true)
    }

    deinit {
        // Closed only now: another thread may still call wakeUp after the loop ended, and a closed number could
        // be reused by an unrelated file.
        Glibc.close(wake)
    }

    /// Closes the epoll instance (at the end of the loop).
    func close() {
        Glibc.close(poller)
    }

    /// Watches the UDP socket of nameserver `index` for input.
    func watchUDP(_ socket: Int32, index: Int) {
        watch(socket, tag: UInt64(index + 1), for: EPOLLIN, adding: true)
    }

    /// Watches a TCP socket for output (connecting, writing) or input, adding it or changing how it is watched.
    /// Errors and hang-ups are always reported; closing the socket removes it.
    @discardableResult
    func watchTCP(_ socket: Int32, forOutput: Bool, adding: Bool) -> Bool {
        watch(socket, tag: Selector.tcpTag + UInt64(socket), for: forOutput ? EPOLLOUT : EPOLLIN, adding: adding)
    }

    @discardableResult
    private func watch(_ fd: Int32, tag: UInt64, for events: EPOLL_EVENTS, adding: Bool) -> Bool {
        var event = epoll_event()
        event.events = events.rawValue
        event.data.u64 = tag
        return epoll_ctl(poller, adding ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event) == 0
    }

    /// Waits at most `milliseconds` (-1: until something is ready) and reports what is; a signal ends the wait
    /// early with nothing reported (the caller works out its deadlines again). The eventfd is drained here.
    func wait(milliseconds: Int32, _ body: (Event) -> Void) {
        let count = ready.withUnsafeMutableBufferPointer {
            epoll_wait(poller, $0.baseAddress, Int32($0.count), milliseconds)
        }
        for event in ready.prefix(max(0, Int(count))) {
            let tag = event.data.u64
            if tag == 0 {
                var value: eventfd_t = 0
                while eventfd_read(wake, &value) == 0 {}
                body(.wakeUp)
            } else if tag >= Selector.tcpTag {
                body(.tcp(Int32(truncatingIfNeeded: tag - Selector.tcpTag)))
            } else {
                body(.udp(Int(tag) - 1))
            }
        }
    }

    /// Wakes the wait up; any thread may call it.
    func wakeUp() {
        _ = retryingOnInterrupt { eventfd_write(wake, 1) }
    }
}
