import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client for one server on a literal address: one connection per request (`Connection: close`),
/// a deadline for the whole of it (connect, send, the entire response), and a response read strictly and within
/// `limits` (`HTTPResponseParser`). Blocking: callers run it on a thread of their own (`onThreadOfItsOwn`).
public struct HTTPClient: Sendable {
    public let endpoint: HTTPEndpoint
    /// Seconds for one request, from connect to the last byte of the response.
    public let timeout: Double
    public let limits: HTTPLimits

    public init(endpoint: HTTPEndpoint, timeout: Double, limits: HTTPLimits = HTTPLimits()) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.limits = limits
    }

    /// Sends `request` and reads the response, whatever its status; throws when there is no complete, valid one
    /// within the deadline.
    public func send(_ request: HTTPRequest) throws(HTTPError) -> HTTPResponse {
        let deadline = monotonicSeconds() + timeout
        let socket = try connect(before: deadline)
        defer { close(socket) }
        try sendAll(Array(requestText(request).utf8), to: socket, before: deadline)
        return try readResponse(from: socket, before: deadline)
    }

    private func requestText(_ request: HTTPRequest) -> String {
        var lines = ["\(request.method) \(request.path) HTTP/1.1", "Host: \(endpoint.hostHeader)"]
        lines += request.headers.map { "\($0.name): \($0.value)" }
        if request.method == "PUT" || request.method == "POST" { lines.append("Content-Length: 0") }
        lines += ["Connection: close", "", ""]
        return lines.joined(separator: "\r\n")
    }

    private func connect(before deadline: Double) throws(HTTPError) -> Int32 {
        let family = endpoint.address.isIPv4 ? AF_INET : AF_INET6
        let socket = Glibc.socket(family, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue),
                                  0)
        guard socket >= 0 else { throw HTTPError(.connection, "cannot open a socket: \(errorText())") }
        let started = endpoint.address.withSocketAddress(port: endpoint.port) { Glibc.connect(socket, $0, $1) }
        if started != 0 && errno != EINPROGRESS {
            let reason = errorText()
            close(socket)
            throw HTTPError(.connection, "cannot connect: \(reason)")
        }
        do {
            try wait(for: Int16(POLLOUT), on: socket, before: deadline, doing: "connecting")
        } catch {
            close(socket)
            throw error
        }
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(socket, SOL_SOCKET, SO_ERROR, &failure, &length) != 0 || failure != 0 {
            close(socket)
            throw HTTPError(.connection, "cannot connect: \(errorText(failure != 0 ? failure : errno))")
        }
        return socket
    }

    /// Not `writeAll`: that one blocks without a deadline and writes with write(2), whose SIGPIPE would end
    /// rdnscheck when the server has closed the connection; send(2) with MSG_NOSIGNAL gets EPIPE instead.
    private func sendAll(_ bytes: [UInt8], to socket: Int32, before deadline: Double) throws(HTTPError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                retryingOnInterrupt {
                    Glibc.send(socket, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                }
            }
            if count >= 0 {
                offset += count
            } else if errno == EAGAIN {
                try wait(for: Int16(POLLOUT), on: socket, before: deadline, doing: "sending the request")
            } else {
                throw HTTPError(.connection, "cannot send the request: \(errorText())")
            }
        }
    }

    private func readResponse(from socket: Int32, before deadline: Double) throws(HTTPError) -> HTTPResponse {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        // The body, its chunked framing and the headers together: anything longer breaks a limit.
        let most = limits.headerBytes * 2 + limits.body * 2 + 1024
        while true {
            try wait(for: Int16(POLLIN), on: socket, before: deadline, doing: "reading the response")
            let count = chunk.withUnsafeMutableBytes { buffer in
                retryingOnInterrupt { recv(socket, buffer.baseAddress, buffer.count, 0) }
            }
            if count < 0 {
                if errno == EAGAIN { continue }
                throw HTTPError(.connection, "connection broken while reading the response: \(errorText())")
            }
            received += chunk[0..<count]
            if let response = try HTTPResponseParser.parse(received, limits: limits, atEnd: count == 0) {
                return response
            }
            if received.count > most {
                throw HTTPError(.malformedResponse, "malformed response: more than \(most) bytes without its end")
            }
        }
    }

    /// Waits until `socket` is ready for `events` or has failed; a timeout error when the deadline passes first.
    private func wait(for events: Int16, on socket: Int32, before deadline: Double,
                      doing activity: String) throws(HTTPError) {
        while true {
            let left = deadline - monotonicSeconds()
            guard left > 0 else {
                throw HTTPError(.timeout, "no answer within \(PlainFormat.seconds(timeout)) (\(activity))")
            }
            var poller = pollfd(fd: socket, events: events, revents: 0)
            let ready = poll(&poller, 1, Int32((left * 1000).rounded(.up)))
            if ready > 0 { return }
            if ready < 0 && errno != EINTR {
                throw HTTPError(.connection, "poll failed while \(activity): \(errorText())")
            }
        }
    }
}
