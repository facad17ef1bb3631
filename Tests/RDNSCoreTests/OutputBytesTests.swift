@testable import RDNSCore
import Testing

@Suite("OutputBytes: the report's byte buffer")
struct OutputBytesTests {
    @Test("pieces past its capacity are kept whole and in order, and removeAll starts it empty again")
    func growsPastItsCapacity() {
        let bytes = OutputBytes(capacity: 16)
        var expected: [UInt8] = []
        for round in 0..<50 {
            let piece = (0..<(round % 7 + 3)).map { UInt8(truncatingIfNeeded: round &* 31 &+ $0) }
            bytes.append(contentsOf: piece)
            bytes.append(UInt8(round))
            expected += piece + [UInt8(round)]
        }
        bytes.append(contentsOf: [UInt8]())
        #expect(bytes.count == expected.count)
        #expect(bytes.withBytes { Array($0) } == expected)
        bytes.removeAll()
        #expect(bytes.isEmpty)
        bytes.append(contentsOf: [1, 2, 3])
        #expect(bytes.withBytes { Array($0) } == [1, 2, 3])
    }
}
