/// How a run paced its queries, for the log: the rate `--rate` fixed, or what the pipelined engine did when a
/// nameserver dropped queries (it slowed down, then settled at a rate).
public struct PacingSummary: Sendable, Equatable {
    /// `--rate` / `rate`, queries a second; nil: the engine adapts.
    public var fixedRate: Int?
    /// The nameserver whose dropped queries first slowed the engine in this run, and the rate it slowed to.
    public var firstSlowdown: Slowdown?
    /// Cuts of the rate in this run.
    public var slowdowns = 0
    /// Queries a second at the end of the run; nil: no limit.
    public var rate: Int?
    /// Queries asked again, in this run, without spending one of their attempts (dropped, most likely).
    public var askedAgain = 0

    public init(fixedRate: Int? = nil) {
        self.fixedRate = fixedRate
    }

    /// Whether the run has anything to say: a fixed rate, a slow-down, or a query asked again.
    public var isWorthLogging: Bool {
        fixedRate != nil || slowdowns > 0 || askedAgain > 0
    }

    /// The log lines: one when the engine slowed down, one with the rate the run settled on.
    public var logLines: [String] {
        guard isWorthLogging else { return [] }
        var lines: [String] = []
        if let firstSlowdown {
            lines.append("nameserver \(firstSlowdown.nameserver) drops queries: slowing to \(firstSlowdown.rate) "
                         + "queries/s")
        }
        let again = "\(askedAgain) quer\(askedAgain == 1 ? "y" : "ies") asked again without spending an attempt"
        if let fixedRate {
            lines.append("pacing: at most \(fixedRate) queries/s (rate)" + (askedAgain > 0 ? "; \(again)" : ""))
        } else {
            let settled = rate.map { "settled at \($0) queries/s" } ?? "no limit"
            let cuts = "\(slowdowns) slow-down\(slowdowns == 1 ? "" : "s")"
            lines.append("pacing: \(settled) after \(cuts); \(again)")
        }
        return lines
    }

    public struct Slowdown: Sendable, Equatable {
        public var nameserver: String
        public var rate: Int

        public init(nameserver: String, rate: Int) {
            self.nameserver = nameserver
            self.rate = rate
        }
    }
}
