import RDNSCore
import Testing

@Suite("PlainFormat: locale-independent decimals and ISO 8601 times")
struct PlainFormatTests {
    @Test("seconds since the epoch print as ISO 8601 UTC", arguments: [
        (0, "1970-01-01T00:00:00Z"),
        (1, "1970-01-01T00:00:01Z"),
        (-1, "1969-12-31T23:59:59Z"),
        (-86_400, "1969-12-31T00:00:00Z"),
        (951_782_400, "2000-02-29T00:00:00Z"),
        (951_868_800, "2000-03-01T00:00:00Z"),
        (1_795_428_000, "2026-11-23T10:00:00Z"),
        (1_709_251_199, "2024-02-29T23:59:59Z"),
        (2_147_483_648, "2038-01-19T03:14:08Z"),
        (4_107_456_000, "2100-02-28T00:00:00Z"),
        (4_107_542_400, "2100-03-01T00:00:00Z"),
        (253_402_300_799, "9999-12-31T23:59:59Z"),
    ])
    func iso8601(epoch: Int, text: String) {
        #expect(PlainFormat.iso8601(epoch) == text)
    }

    @Test("counts print with a comma between groups of three digits", arguments: [
        (0, "0"), (7, "7"), (999, "999"), (1_000, "1,000"), (1_818, "1,818"), (65_536, "65,536"),
        (1_234_567, "1,234,567"), (-1_234, "-1,234"), (Int.min, "-9,223,372,036,854,775,808"),
    ])
    func grouped(value: Int, text: String) {
        #expect(PlainFormat.grouped(value) == text)
    }

    @Test("decimals have exactly the places asked for, a '.' point, and round half away from zero", arguments: [
        (0.042, 3, "0.042"),
        (0.0, 3, "0.000"),
        (1.5, 0, "2"),
        (2.5, 0, "3"),
        (5.0, 0, "5"),
        (0.0005, 3, "0.001"),
        (0.0004, 3, "0.000"),
        (1.9996, 3, "2.000"),
        (12.3456, 2, "12.35"),
        (100.0, 3, "100.000"),
        (0.1, 1, "0.1"),
        (-1.25, 1, "-1.3"),
        (-0.0004, 3, "0.000"),
        (-2.0, 2, "-2.00"),
        (3_600.25, 3, "3600.250"),
    ])
    func decimal(value: Double, places: Int, text: String) {
        #expect(PlainFormat.decimal(value, places: places) == text)
    }

    @Test("seconds print to the millisecond with no trailing zero, whatever the locale", arguments: [
        (1.0, "1s"), (30.0, "30s"), (0.5, "0.5s"), (1.5, "1.5s"), (0.25, "0.25s"), (0.001, "0.001s"),
        (10.0, "10s"), (0.0, "0s"), (120.125, "120.125s"),
    ])
    func seconds(value: Double, text: String) {
        #expect(PlainFormat.seconds(value) == text)
    }

    @Test("values that are not finite print as zero", arguments: [Double.nan, .infinity, -.infinity])
    func notFinite(value: Double) {
        #expect(PlainFormat.decimal(value, places: 3) == "0.000")
    }
}
