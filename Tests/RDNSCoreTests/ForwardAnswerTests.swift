import RDNSCore
import Testing

/// `count` IPv4 addresses 198.18.0.0, 198.18.0.1, ...: sorted, and all before 203.0.113.0/24.
func manyAddresses(_ count: Int) -> [String] {
    (0..<count).map { "198.18.\($0 / 256).\($0 % 256)" }
}

@Suite("ForwardAnswer: at most 32 addresses, the checked one always among them when the answer holds it")
struct ForwardAnswerTests {
    /// 4,000 sorted addresses; the checked one is at `position` (nil: not among them).
    @Test("of 4,000 addresses the first 32 are kept, or the first 31 and the checked one when it sorts later",
          arguments: [
              (nil, Array(0..<32)),
              (0, Array(0..<32)),
              (31, Array(0..<32)),
              (32, Array(0..<31) + [32]),
              (2_000, Array(0..<31) + [2_000]),
              (3_999, Array(0..<31) + [3_999]),
          ] as [(Int?, [Int])])
    func keptSet(position: Int?, kept: [Int]) {
        let all = manyAddresses(4_000).map { IPAddress($0)! }
        let answer = ForwardAnswer(name: name("big.example.com"), addresses: all, checked: position.map { all[$0] })
        #expect(answer.addresses == kept.map { all[$0] })
        #expect(answer.addressCount == 4_000)
        #expect(answer.isCut)
    }

    @Test("an answer of 32 addresses or fewer is kept whole", arguments: [0, 1, 32])
    func shortAnswerIsWhole(count: Int) {
        let all = manyAddresses(count).map { IPAddress($0)! }
        let answer = ForwardAnswer(name: name("mail.example.com"), addresses: all, checked: all.last)
        #expect(answer.addresses == all)
        #expect(answer.addressCount == count)
        #expect(!answer.isCut)
    }

    @Test("an IPv6 answer of 2,000 AAAA records keeps the checked address that sorts last")
    func ipv6AnswerKeepsCheckedAddress() {
        let all = (0..<2_000).map { IPAddress("2001:db8::\(String($0, radix: 16))")! }
        let answer = ForwardAnswer(name: name("big.example.com"), addresses: all, checked: all[1_999])
        #expect(answer.addresses == Array(all.prefix(31)) + [all[1_999]])
        #expect(answer.addressCount == 2_000)
    }

    /// The state stores what the result keeps, so drift compares the kept addresses only (SPEC.md "Limits").
    @Test("a change among the addresses left out is no drift; one among those kept is", arguments: [
        (3_000, false),
        (10, true),
    ])
    func driftSeesKeptAddressesOnly(changed: Int, drifts: Bool) {
        let checked = IPAddress("203.0.113.25")!
        func state(_ addresses: [String]) -> AddressState {
            let found = addresses.map { IPAddress($0)! } + [checked]
            let result = AddressResult(
                target: CheckTarget(checked), status: .ok, ptrNames: [name("big.example.com")],
                forward: [ForwardAnswer(name: name("big.example.com"), addresses: found, checked: checked)],
                problems: [], temporaryFailures: 0)
            return AddressState(result: result, previous: nil, now: 0)
        }
        var addresses = manyAddresses(3_999)
        let before = state(addresses)
        addresses[changed] = "198.19.0.\(changed % 256)"
        let after = state(addresses.sorted { IPAddress($0)! < IPAddress($1)! })
        #expect(before.forward["big.example.com"]?.count == 32)
        #expect((Drift(address: checked, previous: before, next: after) != nil) == drifts)
    }
}
