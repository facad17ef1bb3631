/// The results of one run, with what every output format needs.
public struct RunReport: Sendable {
    public let results: [AddressResult]
    /// When the run started, in seconds since the Unix epoch (UTC).
    public let checkedAt: Int
    public let durationSeconds: Double
    /// What changed since the last run, for the addresses that drifted (empty without state).
    public let drifts: [IPAddress: Drift]

    public init(results: [AddressResult], checkedAt: Int, durationSeconds: Double,
                drifts: [IPAddress: Drift] = [:]) {
        self.results = results
        self.checkedAt = checkedAt
        self.durationSeconds = durationSeconds
        self.drifts = drifts
    }

    /// The worst status of any address; UNKNOWN when there was nothing to check.
    public var status: Status {
        // By index, reading only the field: iterating copies every result (and retains all it holds).
        var worst: Status? = nil
        for index in results.indices { worst = max(worst ?? results[index].status, results[index].status) }
        return worst ?? .unknown
    }

    public func count(_ status: Status) -> Int {
        var count = 0
        for index in results.indices where results[index].status == status { count += 1 }
        return count
    }

    /// `12 addresses: 9 ok, 1 warning, 2 critical, 0 unknown`.
    public var summary: String {
        let noun = results.count == 1 ? "address" : "addresses"
        let counts = Status.allCases.map { "\(count($0)) \($0.word)" }.joined(separator: ", ")
        return "\(results.count) \(noun): \(counts)"
    }
}

/// Text that must look the same in every locale: fixed decimals and ISO 8601 times, with no C library calls.
public enum PlainFormat {
    /// `value` with exactly `places` decimals and a `.` as the decimal point.
    public static func decimal(_ value: Double, places: Int) -> String {
        // Beyond 1e12 (about 31,000 years in seconds) nothing real is measured; clamping keeps Int from overflowing.
        guard value.isFinite else { return "0." + String(repeating: "0", count: places) }
        let value = min(max(value, -1e12), 1e12)
        var scale = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = Int((abs(value) * Double(scale)).rounded())
        let whole = scaled / scale, fraction = scaled % scale
        let fractionText = String(fraction + scale).dropFirst()
        return (value < 0 && scaled != 0 ? "-" : "") + "\(whole)" + (places > 0 ? ".\(fractionText)" : "")
    }

    /// `1,818`: decimal digits in groups of three, separated by commas.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = value < 0 ? "-" : ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return out
    }

    /// `2026-11-23T10:00:00Z` for seconds since the epoch.
    public static func iso8601(_ epochSeconds: Int) -> String {
        let days = epochSeconds >= 0 ? epochSeconds / 86_400 : (epochSeconds - 86_399) / 86_400
        let secondsOfDay = epochSeconds - days * 86_400
        // Howard Hinnant's civil_from_days.
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(year)-\(two(month))-\(two(day))T\(two(secondsOfDay / 3_600)):\(two(secondsOfDay / 60 % 60))"
            + ":\(two(secondsOfDay % 60))Z"
    }
}
