@testable import RDNSEngine
import Testing

@Suite("QueryIDs: an ID is never given twice on a socket while its attempt waits")
struct QueryIDsTests {
    /// A random source that repeats the same few IDs, as a bad generator (or bad luck) would.
    private static func repeating(_ values: [UInt16]) -> (UnsafeMutableRawBufferPointer) -> Void {
        { buffer in
            let ids = buffer.bindMemory(to: UInt16.self)
            for index in ids.indices { ids[index] = values[index % values.count] }
        }
    }

    @Test("an ID in flight on a socket is skipped, and is given again once released")
    func inFlightIDsAreNotReused() {
        var ids = QueryIDs(servers: 2, fill: QueryIDsTests.repeating([9, 9, 9, 5]))
        let first = ids.take(for: 0, server: 0)
        let second = ids.take(for: 1, server: 0)
        #expect(first != second)
        #expect(ids.owner(of: first, server: 0) == 0)
        #expect(ids.owner(of: second, server: 0) == 1)
        ids.release(first, server: 0)
        #expect(ids.owner(of: first, server: 0) == nil)
        #expect(ids.take(for: 2, server: 0) == first)
    }

    @Test("the same ID may be in flight on two sockets, each owned by its own attempt")
    func idsArePerSocket() {
        var ids = QueryIDs(servers: 2, fill: QueryIDsTests.repeating([42]))
        #expect(ids.take(for: 0, server: 0) == 42)
        #expect(ids.take(for: 1, server: 1) == 42)
        #expect(ids.owner(of: 42, server: 0) == 0)
        #expect(ids.owner(of: 42, server: 1) == 1)
    }

    @Test("many IDs in flight are all distinct")
    func manyDistinct() {
        var ids = QueryIDs(servers: 1)
        let taken = (0..<10_000).map { ids.take(for: $0, server: 0) }
        #expect(Set(taken).count == taken.count)
    }

    @Test("the last slot an owner can name is given back as its owner")
    func lastSlotIsItsOwn() {
        var ids = QueryIDs(servers: 1, fill: QueryIDsTests.repeating([7]))
        #expect(ids.take(for: QueryIDs.maximumSlots - 1, server: 0) == 7)
        #expect(ids.owner(of: 7, server: 0) == QueryIDs.maximumSlots - 1)
    }
}
