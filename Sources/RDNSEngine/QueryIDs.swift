import CSocket
import RDNSPOSIX
#if canImport(Glibc)
import Glibc
#endif

/// Query IDs per nameserver socket: which slot's attempt owns each ID, and fresh unpredictable IDs (against
/// spoofed replies), never one that an attempt still waiting on that socket holds.
struct QueryIDs {
    /// Slot + 1 per (server, ID), 0 when the ID is free there. Two bytes each: 128 KiB a server, half the table
    /// of 4-byte owners whose random reads missed the cache (1.9% of the engine's cycles in `take`).
    private var owners: [UInt16]
    /// Random IDs fetched 2,048 at a time from `fill`.
    private var random = [UInt16](repeating: 0, count: 2048)
    private var left = 0
    private let fill: (UnsafeMutableRawBufferPointer) -> Void

    /// `fill` fills a buffer with random bytes; by default the kernel's (getrandom).
    init(servers: Int, fill: @escaping (UnsafeMutableRawBufferPointer) -> Void = QueryIDs.kernelRandom) {
        owners = [UInt16](repeating: 0, count: servers << 16)
        self.fill = fill
    }

    /// The most slots an owner can name (0 is no owner); also fewer than the IDs of a socket, so `take` always
    /// finds a free one.
    static let maximumSlots = Int(UInt16.max)

    /// A random ID free on `server`, now owned there by `slot` (below `maximumSlots`).
    mutating func take(for slot: Int, server: Int) -> UInt16 {
        var id = next()
        while owners[server << 16 | Int(id)] != 0 { id = next() }
        owners[server << 16 | Int(id)] = UInt16(slot + 1)
        return id
    }

    /// The slot whose attempt on `server` holds `id`, if one does.
    func owner(of id: UInt16, server: Int) -> Int? {
        let owner = Int(owners[server << 16 | Int(id)])
        return owner > 0 ? owner - 1 : nil
    }

    /// `id` is free again on `server` (its attempt was answered or given up).
    mutating func release(_ id: UInt16, server: Int) {
        owners[server << 16 | Int(id)] = 0
    }

    /// A random ID owned by no one (for TCP, where the connection is the query's own).
    mutating func next() -> UInt16 {
        if left == 0 {
            random.withUnsafeMutableBytes(fill)
            left = random.count
        }
        left -= 1
        return random[left]
    }

    /// getrandom(2), or Swift's generator if the kernel's source fails.
    static func kernelRandom(_ buffer: UnsafeMutableRawBufferPointer) {
        var filled = 0
        while filled < buffer.count {
            let count = retryingOnInterrupt { getrandom(buffer.baseAddress! + filled, buffer.count - filled, 0) }
            guard count > 0 else {
                var generator = SystemRandomNumberGenerator()
                for index in buffer.indices { buffer[index] = generator.next() }
                return
            }
            filled += count
        }
    }
}
