import CSocket
import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// One query over TCP, for a reply that came back truncated over UDP: connect, write the query with its
/// two-byte length (RFC 1035 4.2.2), read the reply with its length. Non-blocking: the engine calls `advance`
/// when the poll reports the socket ready, and ends the exchange at its deadline.
///
/// Done in the engine rather than through libresolv, so a stalled or reset connection is one more descriptor in
/// the engine's poll with a deadline, not a blocked thread that has to be interrupted by a signal.
struct TCPExchange {
    let socket: Int32
    let query: QueryMessage
    /// The nameserver (index into the engine's sockets) this exchange talks to.
    let server: Int
    private var output: [UInt8]
    private var written = 0
    private var input: [UInt8] = []

    /// What the exchange needs next, or how it ended.
    enum Step {
        case waitForOutput
        case waitForInput
        /// The reply, without its length prefix.
        case reply([UInt8])
        /// The connection failed or closed before the whole reply (the failure to report if no other nameserver
        /// answers).
        case failed(LookupFailure)
    }

    /// The largest reply: a two-byte length and up to 65,535 bytes.
    static let maximumReply = 2 + 65_535

    init(socket: Int32, query: QueryMessage, server: Int) {
        self.socket = socket
        self.query = query
        self.server = server
        output = [UInt8(query.bytes.count >> 8), UInt8(query.bytes.count & 0xff)] + query.bytes
    }

    var isWriting: Bool { written < output.count }

    /// Moves as many bytes as the socket takes or has; never blocks.
    mutating func advance() -> Step {
        while written < output.count {
            let count = output.withUnsafeBufferPointer { bytes in
                let flags = Int32(MSG_NOSIGNAL | MSG_DONTWAIT)
                return retryingOnInterrupt { send(socket, bytes.baseAddress! + written, bytes.count - written, flags) }
            }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINPROGRESS || errno == ENOTCONN {
                    return .waitForOutput
                }
                return .failed(OutcomeClassification.failure(errorNumber: errno, onTCPConnection: true))
            }
            written += count
        }
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBufferPointer { buffer in
                retryingOnInterrupt { recv(socket, buffer.baseAddress!, buffer.count, Int32(MSG_DONTWAIT)) }
            }
            if count < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { return .waitForInput }
                return .failed(OutcomeClassification.failure(errorNumber: errno, onTCPConnection: true))
            }
            if count == 0 {
                return .failed(.connectionFailed("the server closed the TCP connection before the whole reply"))
            }
            input.append(contentsOf: chunk[0..<count])
            if input.count >= 2 {
                let expected = 2 + (Int(input[0]) << 8 | Int(input[1]))
                if input.count >= expected { return .reply(Array(input[2..<expected])) }
            }
            // Cannot pass maximumReply: the length prefix says at most that, and the reply ends there.
        }
    }
}
