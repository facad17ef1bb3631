import RDNSCore
import Testing

@Suite("Duration: seconds, minutes, hours and days as written in configuration and on the command line")
struct DurationTests {
    @Test("durations parse to whole seconds", arguments: [
        ("30", 30), ("0", 0), ("30s", 30), ("5m", 300), ("1h", 3_600), ("2d", 172_800), ("1h30m", 5_400),
        ("1d2h3m4s", 93_784), ("90s", 90), ("0s", 0), ("007s", 7), ("1h0m", 3_600), ("1d30s", 86_430),
    ])
    func valid(text: String, seconds: Int) throws {
        #expect(try RDNSCore.Duration.parse(text) == seconds)
    }

    @Test("text that is not a duration is an error", arguments: [
        "", "s", "m5", "5x", "5 m", " 5m", "5m ", "1.5s", "-5s", "+5s", "5ms", "5m5", "5S", "1H", "1w",
        "1h-30m", "\u{0663}s", "5\u{0663}s", "99999999999999999999", "99999999999999999999s",
        "123456789012345678901", "9999999999999999d",
    ])
    func invalid(text: String) {
        #expect(throws: RDNSCore.Duration.ParseError.self) { try RDNSCore.Duration.parse(text) }
    }

    @Test("a unit given twice, units out of order and a missing unit are errors that say so", arguments: [
        ("1s0s", RDNSCore.Duration.ParseError.repeatedUnit(text: "1s0s", unit: "s")),
        ("1m1m", .repeatedUnit(text: "1m1m", unit: "m")),
        ("1h30m1h", .unitsOutOfOrder(text: "1h30m1h", unit: "h", after: "m")),
        ("30m1h", .unitsOutOfOrder(text: "30m1h", unit: "h", after: "m")),
        ("5s1d", .unitsOutOfOrder(text: "5s1d", unit: "d", after: "s")),
        ("", .empty),
        ("h", .unitWithoutNumber(text: "h", unit: "h")),
        ("1h30", .numberWithoutUnit(text: "1h30")),
        ("5w", .notAUnit(text: "5w", character: "w")),
    ])
    func malformed(text: String, error: RDNSCore.Duration.ParseError) {
        #expect(throws: error) { try RDNSCore.Duration.parse(text) }
    }

    @Test("the messages name the text and what is wrong with it, then how to write a duration", arguments: [
        (RDNSCore.Duration.ParseError.repeatedUnit(text: "1s0s", unit: "s"),
         "'1s0s' is not a duration: the unit 's' is given twice"),
        (.unitsOutOfOrder(text: "30m1h", unit: "h", after: "m"),
         "'30m1h' is not a duration: 'h' comes after the smaller unit 'm'"),
        (.empty, "is empty, not a duration"),
    ])
    func messages(error: RDNSCore.Duration.ParseError, message: String) {
        #expect(error.description == message
                + "; write one number and one unit (s, m, h, d), or distinct units largest first, as in 1h30m")
    }

    @Test("a duration outside the allowed range says the range in units", arguments: [
        ("0s", 1...30, "'0s' is out of range: from 1s to 30s"),
        ("8d", 1...604_800, "'8d' is out of range: from 1s to 7d"),
        ("2h", 60...3_600, "'2h' is out of range: from 1m to 1h"),
    ])
    func outOfRange(text: String, range: ClosedRange<Int>, message: String) {
        #expect(throws: RDNSCore.Duration.ParseError.outOfRange(text: text, range: range)) {
            try RDNSCore.Duration.parse(text, within: range)
        }
        #expect(RDNSCore.Duration.ParseError.outOfRange(text: text, range: range).description == message)
    }

    @Test("the largest sums still fit in an Int")
    func largeButFits() throws {
        #expect(try RDNSCore.Duration.parse("9223372036854775807s") == Int.max)
        #expect(try RDNSCore.Duration.parse("106751991167300d99m") == 9_223_372_036_854_725_940)
    }

    @Test("a sum of units that overflows Int is not a duration, not a crash")
    func overflowingSumIsRejected() async {
        // Each term fits (106751991167300 d = 9223372036854720000 s, 2562047788015215 h = 9223372036854774000 s);
        // their sum does not. Run in a child
        // process so that a trap fails this test instead of ending the whole run.
        await #expect(processExitsWith: .success) {
            precondition((try? RDNSCore.Duration.parse("106751991167300d99h")) == nil)
            precondition((try? RDNSCore.Duration.parse("2562047788015215h60m")) == nil)
        }
    }
}
