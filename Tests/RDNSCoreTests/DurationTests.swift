import RDNSCore
import Testing

@Suite("Duration: seconds, minutes, hours and days as written in configuration")
struct DurationTests {
    @Test("durations parse to whole seconds", arguments: [
        ("30", 30), ("0", 0), ("30s", 30), ("5m", 300), ("1h", 3_600), ("2d", 172_800), ("1h30m", 5_400),
        ("1d2h3m4s", 93_784), ("90s", 90), ("0s", 0), ("007s", 7), ("1m1m", 120),
    ])
    func valid(text: String, seconds: Int) {
        #expect(RDNSCore.Duration.parseSeconds(text) == seconds)
    }

    @Test("text that is not a duration gives nil", arguments: [
        "", "s", "m5", "5x", "5 m", " 5m", "5m ", "1.5s", "-5s", "+5s", "5ms", "5m5", "5S", "1H", "1w",
        "1h-30m", "\u{0663}s", "5\u{0663}s", "99999999999999999999", "99999999999999999999s",
        "123456789012345678901", "9999999999999999d",
    ])
    func invalid(text: String) {
        #expect(RDNSCore.Duration.parseSeconds(text) == nil)
    }

    @Test("the largest sums still fit in an Int")
    func largeButFits() {
        #expect(RDNSCore.Duration.parseSeconds("9223372036854775807s") == Int.max)
        #expect(RDNSCore.Duration.parseSeconds("106751991167300d99m") == 9_223_372_036_854_725_940)
    }

    @Test("a sum of units that overflows Int is not a duration, not a crash")
    func overflowingSumIsRejected() async {
        // Each term fits (106751991167300 d = 9223372036854720000 s); their sum does not. Run in a child
        // process so that a trap fails this test instead of ending the whole run.
        await #expect(processExitsWith: .success) {
            precondition(RDNSCore.Duration.parseSeconds("106751991167300d99h") == nil)
            precondition(RDNSCore.Duration.parseSeconds("9223372036854775807s1s") == nil)
        }
    }
}
