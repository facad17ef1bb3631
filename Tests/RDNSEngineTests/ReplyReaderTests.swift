@testable import RDNSEngine
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite("ReplyReader: the datagrams waiting on a socket, read in batches")
struct ReplyReaderTests {
    @Test("a batch of replies reads the clock once, and each reply carries that time")
    func oneClockReadingPerBatch() throws {
        var ends: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0, &ends) == 0)
        defer { ends.forEach { close($0) } }
        for byte: UInt8 in [1, 2, 3] {
            var datagram = [byte, byte]
            try #require(send(ends[1], &datagram, datagram.count, 0) == datagram.count)
        }
        var readings = 0
        var received: [(first: UInt8, at: Double)] = []
        let error = ReplyReader().drain(ends[0], clock: { readings += 1; return Double(readings) * 10 }) {
            datagram, cut, receivedBy in
            #expect(!cut && datagram.count == 2)
            received.append((datagram[0], receivedBy))
        }
        #expect(error == 0)
        #expect(readings == 1)
        #expect(received.map(\.first) == [1, 2, 3])
        #expect(received.allSatisfy { $0.at == 10 })
    }
}
