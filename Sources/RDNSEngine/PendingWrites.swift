import CSocket
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// The engine's send side (NIOPosix's `PendingWritesManager`): per nameserver socket, the attempts waiting to go
/// out, sent `datagramBatch` at a time with one `sendmmsg`. Within a batch, queries of equal length sit side by
/// side and each such run goes out as one UDP GSO message (UDP_SEGMENT), which the kernel cuts into the same
/// datagrams but routes, builds and delivers as one.
final class PendingWrites {
    /// Slot numbers waiting to be sent, per nameserver socket.
    private var queues: [[Int]]
    /// Whether to send runs segmented: probed once per engine (`segmentationWorks`), and cleared the first time
    /// the kernel or the route refuses a segmented batch (that batch then goes datagram by datagram).
    private(set) var segmenting: Bool

    /// A spare queue, empty: swapped with the one being sent so that neither loses its storage (a queue grew
    /// afresh from empty after every batch, some 2,500 instructions a regrowth, about 450 a check).
    private var sending: [Int] = []

    /// A batch's datagrams, each copied once where it falls; `starts` and `lengths` give them in sending order.
    private var buffer = [UInt8](repeating: 0, count: datagramBatch * QueryMessage.maximumLength)
    private let starts = UnsafeMutablePointer<Int>.allocate(capacity: datagramBatch)
    private var lengths = [UInt16](repeating: 0, count: datagramBatch)
    /// A batch's slots and where each was copied, in queue order, and the key each is sorted by: its length, then
    /// its place in the batch. Plain integers: sorting the slots with their messages cost an array and a retain
    /// and release per query.
    private let batchSlots = UnsafeMutablePointer<Int>.allocate(capacity: datagramBatch)
    private let batchStarts = UnsafeMutablePointer<Int>.allocate(capacity: datagramBatch)
    private let sortKeys = UnsafeMutablePointer<UInt64>.allocate(capacity: datagramBatch)
    private let messages = UnsafeMutablePointer<csocket_mmsghdr>.allocate(capacity: datagramBatch)
    private let vectors = UnsafeMutablePointer<iovec>.allocate(capacity: datagramBatch)
    private static let controlSize = csocket_cmsg_space(MemoryLayout<UInt16>.size)
    private let controls = UnsafeMutableRawPointer.allocate(byteCount: datagramBatch * PendingWrites.controlSize,
                                                            alignment: MemoryLayout<cmsghdr>.alignment)

    init(servers: Int, segmenting: Bool) {
        queues = [[Int]](repeating: [], count: servers)
        self.segmenting = segmenting
    }

    deinit {
        starts.deallocate()
        batchSlots.deallocate()
        batchStarts.deallocate()
        sortKeys.deallocate()
        messages.deallocate()
        vectors.deallocate()
        controls.deallocate()
    }

    /// Whether this kernel knows UDP_SEGMENT for `socket` (Linux 4.18): getsockopt reports the socket's default
    /// segment size where it does, ENOPROTOOPT where it does not.
    static func segmentationWorks(on socket: Int32) -> Bool {
        var size: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(socket, CSOCKET_SOL_UDP, CSOCKET_UDP_SEGMENT, &size, &length) == 0
    }

    func append(_ slot: Int, server: Int) {
        queues[server].append(slot)
    }

    /// Whether attempts are still waiting to be sent.
    var hasPending: Bool { queues.contains { !$0.isEmpty } }

    /// Runs of equal neighbours in `lengths`, each one message of the batch.
    static func runs(of lengths: some Collection<UInt16>) -> [Range<Int>] {
        let lengths = Array(lengths)
        guard !lengths.isEmpty else { return [] }
        var runs: [Range<Int>] = []
        var start = 0
        for index in 1...lengths.count where index == lengths.count || lengths[index] != lengths[start] {
            runs.append(start..<index)
            start = index
        }
        return runs
    }

    /// Sends the queued attempts in batches. `copyQuery` copies a slot's message to where it points (room for
    /// `QueryMessage.maximumLength` bytes) and returns its length; `failed` is told of attempts that went nowhere
    /// (an error the socket reported for an earlier datagram, or a local one). Returns whether some could not be
    /// sent yet (the socket's buffer is full).
    func flush(sockets: [Int32], copyQuery: (Int, UnsafeMutableRawPointer) -> Int, failed: (Int) -> Void) -> Bool {
        var unsent = false
        for server in sockets.indices where !queues[server].isEmpty {
            // The spare (empty, with its storage) takes the queue's place: attempts queued while this batch goes out
            // (retries after a refused send) wait there, and join the queue's end.
            var queue: [Int] = []
            swap(&queue, &sending)
            swap(&queue, &queues[server])
            var done = 0
            var retriedRefused = false
            while done < queue.count {
                let count = min(datagramBatch, queue.count - done)
                buffer.withUnsafeMutableBytes { buffer in
                    var offset = 0
                    for position in 0..<count {
                        let slot = queue[done + position]
                        let length = copyQuery(slot, buffer.baseAddress! + offset)
                        batchSlots[position] = slot
                        batchStarts[position] = offset
                        sortKeys[position] = UInt64(length) << 32 | UInt64(position)
                        offset += length
                    }
                }
                // Equal lengths side by side (each run goes out as one segmented message), the queue in that order.
                var keys = UnsafeMutableBufferPointer(start: sortKeys, count: count)
                keys.sort()
                for position in 0..<count {
                    let original = Int(truncatingIfNeeded: sortKeys[position] & 0xffff_ffff)
                    queue[done + position] = batchSlots[original]
                    starts[position] = batchStarts[original]
                    lengths[position] = UInt16(truncatingIfNeeded: sortKeys[position] >> 32)
                }
                let sent = send(count, on: sockets[server])
                if sent < 0 && errno == ECONNREFUSED && !retriedRefused {
                    // The error belongs to an earlier datagram (an ICMP unreachable) and is now consumed: this batch
                    // was not sent, so send it once more rather than spend an attempt of each of its queries.
                    retriedRefused = true
                    continue
                }
                if sent < 0 {
                    for position in 0..<count { failed(queue[done + position]) }
                    done += count
                    continue
                }
                done += sent
                if sent < count {
                    unsent = true
                    break
                }
            }
            if done < queue.count { queues[server] = Array(queue[done...]) + queues[server] }
            queue.removeAll(keepingCapacity: true)
            sending = queue
        }
        return unsent
    }

    /// Sends the first `count` datagrams of the buffer; returns how many went (a prefix; 0 when the socket would
    /// block), or -1 with errno.
    private func send(_ count: Int, on socket: Int32) -> Int {
        if segmenting {
            let sent = send(messages: prepare(count, segmented: true), datagrams: count, on: socket)
            if sent >= 0 || ![EINVAL, EIO, ENOPROTOOPT, EOPNOTSUPP].contains(errno) { return sent }
            // This socket's route or device cannot segment: this batch and the later ones datagram by datagram.
            segmenting = false
        }
        return send(messages: prepare(count, segmented: false), datagrams: count, on: socket)
    }

    /// Fills the message headers for the first `count` datagrams and returns how many messages they make: one per
    /// datagram, or with `segmented` one per run of equal lengths.
    private func prepare(_ count: Int, segmented: Bool) -> [Range<Int>] {
        let runs = segmented ? PendingWrites.runs(of: lengths[0..<count])
                             : (0..<count).map { $0..<($0 + 1) }
        // The datagrams of a segmented run need not be contiguous: the kernel joins a message's vectors.
        buffer.withUnsafeMutableBytes { buffer in
            for position in 0..<count {
                vectors[position] = iovec(iov_base: buffer.baseAddress! + starts[position],
                                          iov_len: Int(lengths[position]))
            }
        }
        for (index, run) in runs.enumerated() {
            messages[index] = csocket_mmsghdr()
            messages[index].msg_hdr.msg_iov = vectors + run.lowerBound
            messages[index].msg_hdr.msg_iovlen = run.count
            guard run.count > 1 else { continue }
            let control = controls + index * PendingWrites.controlSize
            control.initializeMemory(as: UInt8.self, repeating: 0, count: PendingWrites.controlSize)
            messages[index].msg_hdr.msg_control = control
            messages[index].msg_hdr.msg_controllen = PendingWrites.controlSize
            // msg_hdr is the first field (CSocket checks the layout).
            let header = csocket_cmsg_firsthdr(UnsafeRawPointer(messages + index).assumingMemoryBound(to: msghdr.self))!
            header.pointee.cmsg_level = CSOCKET_SOL_UDP
            header.pointee.cmsg_type = CSOCKET_UDP_SEGMENT
            header.pointee.cmsg_len = csocket_cmsg_len(MemoryLayout<UInt16>.size)
            var size = lengths[run.lowerBound]
            memcpy(csocket_cmsg_data(header), &size, MemoryLayout<UInt16>.size)
        }
        return runs
    }

    private func send(messages runs: [Range<Int>], datagrams: Int, on socket: Int32) -> Int {
        let sent = retryingOnInterrupt {
            csocket_sendmmsg(socket, messages, UInt32(runs.count), Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
        }
        if sent < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1 }
        return sent == runs.count ? datagrams : runs[Int(sent)].lowerBound
    }
}
