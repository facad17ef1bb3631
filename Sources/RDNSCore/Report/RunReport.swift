/// The results of one run, with what every output format needs.
public struct RunReport: Sendable {
    public let results: [AddressResult]
    /// When the run started, in seconds since the Unix epoch (UTC).
    public let checkedAt: Int
    public let durationSeconds: Double
    /// What changed since the last run, for the addresses that drifted (empty without state).
    public let drifts: [IPAddress: Drift]
    /// The drifts of discovered addresses that disappeared from the host and are no longer checked (they have no
    /// result), sorted by address.
    public let detached: [Drift]
    /// Problems of the run rather than of an address (`discovery-failed`, `aws-unavailable`).
    public let problems: [RunProblem]
    /// What `discover` found, when it is on.
    public let discovery: DiscoveryOutcome?
    /// Whether AWS's records could be read, when `aws-ptr` is on.
    public let aws: AWSOutcome?

    public init(results: [AddressResult], checkedAt: Int, durationSeconds: Double,
                drifts: [IPAddress: Drift] = [:], detached: [Drift] = [], problems: [RunProblem] = [],
                discovery: DiscoveryOutcome? = nil,
                aws: AWSOutcome? = nil) {
        self.results = results
        self.checkedAt = checkedAt
        self.durationSeconds = durationSeconds
        self.drifts = drifts
        self.detached = detached
        self.problems = problems
        self.discovery = discovery
        self.aws = aws
    }

    /// How many addresses had each status.
    public var counts: StatusCounts {
        // By index, reading only the field: iterating copies every result (and retains all it holds).
        var counts = StatusCounts()
        for index in results.indices { counts.add(results[index].status) }
        return counts
    }

    /// The worst status of any address and of the run's own problems; UNKNOWN when there was nothing to check.
    public var status: Status { counts.status(with: problems) }

    public func count(_ status: Status) -> Int { counts[status] }

    /// `12 addresses: 9 ok, 1 warning, 2 critical, 0 unknown`.
    public var summary: String { counts.summary }

    /// What the report says after its results, in the order it gives them.
    public var tail: ReportTail {
        var changed: [Drift] = []
        if !drifts.isEmpty {
            for index in results.indices {
                if let drift = drifts[results[index].address] { changed.append(drift) }
            }
        }
        return ReportTail(counts: counts, durationSeconds: durationSeconds, drifts: changed, detached: detached,
                          problems: problems, discovery: discovery, aws: aws)
    }
}

/// How many addresses of a run had each status: all a report's summary needs, counted as results come or from a
/// whole run alike.
public struct StatusCounts: Sendable, Equatable {
    private var byStatus = [0, 0, 0, 0]

    public init() {}

    public mutating func add(_ status: Status) {
        byStatus[status.rawValue] += 1
    }

    public subscript(status: Status) -> Int { byStatus[status.rawValue] }

    public var total: Int { byStatus.reduce(0, +) }

    /// The worst status of any address and of the run's own `problems`; UNKNOWN when there was nothing to check.
    public func status(with problems: [RunProblem]) -> Status {
        guard let worst = Status.allCases.last(where: { self[$0] > 0 }) else { return .unknown }
        return problems.reduce(worst) { max($0, $1.severity) }
    }

    /// `12 addresses: 9 ok, 1 warning, 2 critical, 0 unknown`.
    public var summary: String {
        let noun = total == 1 ? "address" : "addresses"
        let counts = Status.allCases.map { "\(self[$0]) \($0.word)" }.joined(separator: ", ")
        return "\(total) \(noun): \(counts)"
    }
}

/// What one run's discovery found: the addresses it checked, and whether they are this run's findings or, when
/// discovery failed, the ones last found.
public struct DiscoveryOutcome: Sendable, Equatable {
    public let source: DiscoverySource
    /// Sorted.
    public let addresses: [IPAddress]
    /// False when this run's discovery failed (`addresses` are then the last ones found, maybe none).
    public let ok: Bool

    public init(source: DiscoverySource, addresses: [IPAddress], ok: Bool) {
        self.source = source
        self.addresses = addresses
        self.ok = ok
    }
}

/// Whether one run could read AWS's records (`aws-ptr on`).
public struct AWSOutcome: Sendable, Equatable {
    /// Why not, when it could not.
    public let error: String?

    public init(error: String?) {
        self.error = error
    }

    public var ok: Bool { error == nil }
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

    /// `30s`, `1.5s`, `0.25s`: a time limit or a timeout as the messages give it, to the millisecond, with no
    /// trailing zero.
    public static func seconds(_ value: Double) -> String {
        var text = decimal(value, places: 3)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text + "s"
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
