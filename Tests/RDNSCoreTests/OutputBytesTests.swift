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

    @Test("an address is appended as its text: IPv4 written in place, every octet value in every place")
    func appendsAddresses() throws {
        let bytes = OutputBytes(capacity: 16)
        var expected = ""
        for octet in 0...255 {
            let octets = [octet, 255 - octet, octet / 2, (octet * 7) % 256]
            bytes.append(IPAddress.v4(octets.reduce(0) { $0 << 8 | UInt32($1) }))
            expected += octets.map(String.init).joined(separator: ".")
        }
        for text in ["2001:db8::25", "::ffff:10.0.0.1", "::"] {
            bytes.append(try #require(IPAddress(text)))
            expected += text
        }
        #expect(bytes.withBytes { String(decoding: $0, as: UTF8.self) } == expected)
    }
}
