import CSocket
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The engine's receive side: drains a nameserver's UDP socket `datagramBatch` datagrams at a time with one
/// `recvmmsg`, into one buffer it keeps, and hands each datagram on (the engine matches it to its query).
final class ReplyReader {
    /// Room for one datagram: a reply longer than this (EDNS offers 1,232 bytes) is cut and marked so.
    static let stride = 2048

    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: datagramBatch * ReplyReader.stride,
                                                                alignment: 16)
    private let messages = UnsafeMutablePointer<csocket_mmsghdr>.allocate(capacity: datagramBatch)
    private let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: datagramBatch)

    init() {
        for index in 0..<datagramBatch {
            vectors[index] = iovec(iov_base: buffer.baseAddress! + index * ReplyReader.stride,
                                   iov_len: ReplyReader.stride)
        }
    }

    deinit {
        buffer.deallocate()
        messages.deallocate()
        vectors.deallocate()
    }

    /// Reads every datagram waiting on `socket` and calls `reply` with each (`cut`: longer than `stride`) and the
    /// time `clock` gave once its batch was read: every datagram of a batch came before it, and one reading a batch
    /// instead of one a reply saves a clock_gettime for nearly every query.
    /// Returns 0, or the errno that ended the reading (ECONNREFUSED: an ICMP port unreachable came back for an
    /// earlier datagram: nothing listens there).
    func drain(_ socket: Int32, clock: () -> Double,
               reply: (_ datagram: UnsafeRawBufferPointer, _ cut: Bool, _ receivedBy: Double) -> Void) -> Int32 {
        while true {
            for index in 0..<datagramBatch {
                messages[index] = csocket_mmsghdr()
                messages[index].msg_hdr.msg_iov = vectors + index
                messages[index].msg_hdr.msg_iovlen = 1
            }
            let count = retryingOnInterrupt {
                csocket_recvmmsg(socket, messages, UInt32(datagramBatch), Int32(MSG_DONTWAIT))
            }
            if count < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : errno }
            let receivedBy = clock()
            for index in 0..<Int(count) {
                let cut = messages[index].msg_hdr.msg_flags & Int32(MSG_TRUNC) != 0
                let length = cut ? ReplyReader.stride : Int(messages[index].msg_len)
                reply(UnsafeRawBufferPointer(start: buffer.baseAddress! + index * ReplyReader.stride, count: length),
                      cut, receivedBy)
            }
            if Int(count) < datagramBatch { return 0 }
        }
    }
}
