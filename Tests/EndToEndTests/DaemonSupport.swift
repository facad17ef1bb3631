import Foundation
import Glibc
import TestSupport

/// A `NOTIFY_SOCKET` for the daemon under test: a datagram socket bound to a path or an abstract name.
final class NotifyListener: @unchecked Sendable {
    // @unchecked: `received` is only touched under `lock`.
    let socketName: String
    private let descriptor: Int32
    private let lock = NSLock()
    private var received: [String] = []

    init(abstract: Bool) throws {
        let unique = "rdnscheck-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        socketName = abstract ? "@" + unique : NSTemporaryDirectory() + unique + ".sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes: [UInt8] = abstract ? [0] + Array(unique.utf8) : Array(socketName.utf8) + [0]
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            throw TestSupportError("cannot bind \(socketName): \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        close(descriptor)
        if !socketName.hasPrefix("@") { unlink(socketName) }
    }

    /// Every message received so far (reading what is waiting first).
    var messages: [String] {
        drain(timeout: 0)
        return lock.withLock { received }
    }

    /// Waits until a message satisfying `predicate` has arrived (counting earlier ones), at most `timeout`.
    @discardableResult
    func wait(for predicate: (String) -> Bool, timeout: Double = 10) async -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            drain(timeout: 0)
            if let match = lock.withLock({ received.first(where: predicate) }) { return match }
            guard deadline.timeIntervalSinceNow > 0 else { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Waits for a message with a line starting with `prefix` (e.g. "READY=1") among those after the first `count`.
    @discardableResult
    func wait(forLine prefix: String, after count: Int = 0, timeout: Double = 10) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            drain(timeout: 0)
            let found = lock.withLock {
                received.dropFirst(count).contains { $0.split(separator: "\n").contains { $0.hasPrefix(prefix) } }
            }
            if found { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    private func drain(timeout: Double) {
        var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        var wait = Int32(timeout * 1000)
        while poll(&poller, 1, wait) > 0 {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { return }
            let text = String(decoding: buffer[0..<count], as: UTF8.self)
            lock.withLock { received.append(text) }
            wait = 0
        }
    }
}

/// The built `rdnscheck` running in the background, with its stderr captured to a file.
final class DaemonProcess {
    let process = Process()
    let logPath: String

    init(_ arguments: [String], environment: [String: String] = [:]) throws {
        logPath = NSTemporaryDirectory() + "rdnscheck-daemon-\(UUID().uuidString).log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw TestSupportError("cannot create \(logPath)")
        }
        process.executableURL = URL(fileURLWithPath: ProcessRunner.builtProduct("rdnscheck"))
        process.arguments = arguments
        process.environment = ProcessRunner.environment(adding: environment)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: logPath)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        unlink(logPath)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// Waits for the process to exit, at most `timeout` seconds; its exit status, or nil if it is still running.
    func waitForExit(timeout: Double = 10) async -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Waits until the log holds `count` lines containing `text`, at most `timeout` seconds.
    @discardableResult
    func waitForLog(_ text: String, count: Int = 1, timeout: Double = 10) async -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if logLines(containing: text) >= count { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// How many lines of the log contain `text`.
    func logLines(containing text: String) -> Int {
        log.lines.count { $0.contains(text) }
    }

    /// Waits until `count` runs have finished (their summary lines are in the log).
    func waitForRuns(_ count: Int, timeout: Double = 10) async -> Bool {
        await waitForLog("run finished in ", count: count, timeout: timeout)
    }
}
