import CSocket
import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The most datagrams one `sendmmsg` or `recvmmsg` moves: the engine's batch, declared once.
let datagramBatch = 64

extension Nameserver {
    /// A non-blocking socket of `type` (SOCK_DGRAM or SOCK_STREAM) connected to this nameserver, or for TCP with
    /// its connection started (wait for output readiness); -1 with errno. A connected UDP socket makes the kernel
    /// drop datagrams from any other address or port. `receiveBuffer` is the SO_RCVBUF to ask for (first with
    /// SO_RCVBUFFORCE, which root may use beyond net.core.rmem_max).
    func connectedSocket(_ type: __socket_type, receiveBuffer: Int32 = 0) -> Int32 {
        let family = address.isIPv4 ? AF_INET : AF_INET6
        let fd = socket(family, Int32(type.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        if receiveBuffer > 0 {
            var size = receiveBuffer
            let length = socklen_t(MemoryLayout<Int32>.size)
            if setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, length) != 0 {
                setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, length)
            }
        }
        let connected = withSocketAddress { connect(fd, $0, $1) }
        if connected != 0 && !(type == SOCK_STREAM && errno == EINPROGRESS) {
            let saved = errno
            close(fd)
            errno = saved
            return -1
        }
        return fd
    }

    private func withSocketAddress<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        address.withSocketAddress(port: port, body)
    }
}

/// The receive buffer the kernel granted `socket`, in bytes (what SO_RCVBUF reports), or -1.
func receiveBufferSize(_ socket: Int32) -> Int {
    var size: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    return getsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, &length) == 0 ? Int(size) : -1
}
