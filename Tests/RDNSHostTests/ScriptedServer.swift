import Foundation
import Glibc
import RDNSPOSIX

/// A TCP server on 127.0.0.1 for one connection that plays what a hostile or broken HTTP server does, step by step:
/// the HTTP client's tests need byte-exact answers, pauses between them and servers that never answer.
final class ScriptedServer: Sendable {
    enum Step: Sendable {
        case send(String)
        case pause(Double)
        /// Sends `byte` every `interval` seconds, `count` times: a server that keeps the connection busy.
        case drip(UInt8, interval: Double, count: Int)
        /// Keeps the connection open, answering nothing, until the client hangs up (60 s at most).
        case hold
    }

    let port: UInt16
    private let request = Locked<[UInt8]>([])

    /// What the client sent, up to the end of its headers.
    var receivedRequest: String { String(decoding: request.withLock { $0 }, as: UTF8.self) }

    init(_ steps: [Step]) throws {
        let listener: Int32
        (listener, port) = try ScriptedServer.boundSocket()
        guard listen(listener, 4) == 0 else {
            close(listener)
            throw ScriptError("cannot listen on 127.0.0.1: \(errorText())")
        }
        let request = self.request
        Thread { ScriptedServer.serve(listener, steps, request) }.start()
    }

    /// A port nothing listens on: bound for a moment to learn a free one, then closed.
    static func closedPort() throws -> UInt16 {
        let (descriptor, port) = try boundSocket()
        close(descriptor)
        return port
    }

    /// A TCP socket bound to a free port on 127.0.0.1.
    private static func boundSocket() throws -> (Int32, UInt16) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard descriptor >= 0, bound else {
            let reason = errorText()
            close(descriptor)
            throw ScriptError("cannot bind 127.0.0.1: \(reason)")
        }
        return (descriptor, UInt16(bigEndian: address.sin_port))
    }

    private static func serve(_ listener: Int32, _ steps: [Step], _ request: Locked<[UInt8]>) {
        defer { close(listener) }
        var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 30_000) == 1 else { return }
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return }
        defer { close(connection) }
        readRequest(connection, into: request)
        for step in steps {
            switch step {
            case .send(let text):
                guard send(connection, Array(text.utf8)) else { return }
            case .pause(let seconds):
                usleep(UInt32(seconds * 1_000_000))
            case .drip(let byte, let interval, let count):
                for _ in 0..<count {
                    guard send(connection, [byte]) else { return }
                    usleep(UInt32(interval * 1_000_000))
                }
            case .hold:
                var byte: UInt8 = 0
                var waiting = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
                while poll(&waiting, 1, 60_000) == 1 && recv(connection, &byte, 1, 0) > 0 {}
            }
        }
    }

    private static func readRequest(_ connection: Int32, into request: Locked<[UInt8]>) {
        var received: [UInt8] = []
        var byte: UInt8 = 0
        var poller = pollfd(fd: connection, events: Int16(POLLIN), revents: 0)
        while !received.suffix(4).elementsEqual([13, 10, 13, 10]) && poll(&poller, 1, 5_000) == 1
                && recv(connection, &byte, 1, 0) == 1 {
            received.append(byte)
        }
        request.withLock { $0 = received }
    }

    /// False once the client has gone (no SIGPIPE for the test process).
    private static func send(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }
}

struct ScriptError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
