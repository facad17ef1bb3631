@testable import RDNSEngine
import Testing

@Suite("PendingWrites: a batch is grouped into one message per run of equal lengths")
struct PendingWritesTests {
    @Test("runs of equal neighbours", arguments: [
        ([UInt16](), [Range<Int>]()),
        ([40], [0..<1]),
        ([40, 40, 40], [0..<3]),
        ([38, 40, 40, 41], [0..<1, 1..<3, 3..<4]),
        ([40, 38, 40], [0..<1, 1..<2, 2..<3]),
    ])
    func runs(lengths: [UInt16], expected: [Range<Int>]) {
        #expect(PendingWrites.runs(of: lengths) == expected)
    }
}
