import Foundation
import Glibc

/// The sockets, threads and state behind a `FaultServer`. It is a separate object so that the server
/// threads, which must keep it alive, do not keep the public `FaultServer` alive too: the public object's
/// deinit can then stop everything.
///
/// `@unchecked Sendable` because the threads share it: the descriptors are immutable after init, and the
/// mutable state (rules, query log, stopped flag) is only touched while holding `lock`.
final class FaultServerCore: @unchecked Sendable {
    let udpFDs: [Int32]
    let listenFDs: [Int32]
    /// Every blocking wait also polls this pipe's read end; `stop()` writes one byte and never drains it,
    /// so it stays readable and wakes all threads, present and future.
    let wakeRead: Int32
    private let wakeWrite: Int32

    private let lock = NSLock()
    private var rules: [String: FaultBehaviour]
    private let defaultBehaviour: FaultBehaviour
    private var log: [FaultQuery] = []
    private var counts: [String: Int] = [:]
    private var stopped = false
    private let threads = DispatchGroup()

    init(sockets: Loopback.PortSockets, rules: [String: FaultBehaviour], defaultBehaviour: FaultBehaviour) throws {
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            sockets.closeAll()
            throw TestSupportError("pipe() failed: \(String(cString: strerror(errno)))")
        }
        // Swift's Glibc module lacks pipe2() and accept4() (they need _GNU_SOURCE), hence fcntl.
        for fd in pipeFDs { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        wakeRead = pipeFDs[0]
        wakeWrite = pipeFDs[1]
        udpFDs = sockets.sockets.filter { !$0.tcp }.map(\.fd)
        listenFDs = sockets.sockets.filter(\.tcp).map(\.fd)
        self.rules = rules
        self.defaultBehaviour = defaultBehaviour
    }

    var queryLog: [FaultQuery] {
        lock.withLock { log }
    }

    func queryCount(for key: String) -> Int {
        lock.withLock { counts[key, default: 0] }
    }

    func clearLog() {
        lock.withLock { log.removeAll() }
    }

    func setRule(_ behaviour: FaultBehaviour?, for key: String) {
        lock.withLock { rules[key] = behaviour }
    }

    func start() {
        spawn { self.udpLoop() }
        spawn { self.acceptLoop() }
    }

    /// Runs `body` on a new thread that `stop()` waits for.
    func spawn(_ body: @escaping @Sendable () -> Void) {
        threads.enter()
        let thread = Thread {
            body()
            self.threads.leave()
        }
        thread.start()
    }

    func stop() {
        let first = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        // Every wait polls the wake pipe, so this is quick. If a thread is somehow stuck, leak the
        // descriptors rather than close one it still uses (the number could be reused by a test's socket).
        guard threads.wait(timeout: .now() + 5) == .success else { return }
        for fd in udpFDs + listenFDs + [wakeRead, wakeWrite] { _ = close(fd) }
    }

    /// Decides what to do with one message: nil (ignore it) for runts and responses, FORMERR if the
    /// question cannot be read, otherwise the rule for the name (logged and counted).
    func handle(_ message: [UInt8], transport: FaultTransport) -> FaultAction? {
        guard message.count >= DNSWire.headerSize, message[2] & 0x80 == 0 else { return nil }
        guard let question = DNSWire.question(of: message) else {
            return .reply(FaultResponder.formatError(for: message))
        }
        let key = FaultServer.key(labels: question.labels)
        let (behaviour, index) = lock.withLock {
            let index = counts[key, default: 0]
            counts[key] = index + 1
            log.append(FaultQuery(name: key, type: question.type, transport: transport,
                                  receivedAt: monotonicSeconds(),
                                  checkingDisabled: DNSWire.uint16(message, at: 2) & DNSWire.flagCD != 0))
            return (rules[key] ?? defaultBehaviour, index)
        }
        return FaultResponder.action(query: message, question: question, behaviour: behaviour,
                                     transport: transport, index: index)
    }
}
