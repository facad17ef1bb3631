/// The pipelined engine's send rate, adapted as TCP adapts its window (AIMD): unlimited until queries are lost
/// while others are answered (a rate limiter dropping the excess, not a dead server), then cut to a share of the
/// rate answers came back at; after that each cut takes the same share of the rate itself, and the rate is raised
/// by a constant number of queries a second each second while it is what holds the queries back. With `--rate`
/// the rate is fixed and never adapts. Time is given to it, never read.
struct SendRateController {
    /// The cut: the new rate is this share of the rate (the first time, of the rate answers came at over the last
    /// second). Not of that rate every time: a second in which answers were few because this thread or the server
    /// was held off the CPU would cut the rate to a fraction, and the raise would take many seconds to undo it.
    static let decrease = 0.85
    /// The raise, per second, as a share of the rate at the last cut (so it takes about 1 / 0.15 / 0.5 = 0.3 s to
    /// get back to the rate that was too much).
    static let growth = 0.5
    /// Losses must be at least this share of the last second's outcomes: a slow name now and then is not a limit.
    static let lossShare = 0.03
    static let minimumRate = 1.0

    /// Queries a second; nil: no limit (nothing lost yet).
    private(set) var rate: Double?
    let fixed: Bool
    /// Times the rate was cut.
    private(set) var cuts = 0
    private var cutAt = -Double.infinity
    private var slope = 0.0
    private var grownAt = 0.0
    private var recent = RecentOutcomes()

    init(fixedRate: Double?) {
        rate = fixedRate
        fixed = fixedRate != nil
    }

    /// A reply came at `now`. `limited`: queries are waiting for the rate (only then is a higher rate of use).
    mutating func answered(at now: Double, limited: Bool) {
        recent.count(answer: true, at: now)
        guard !fixed, let rate else { return }
        if limited { self.rate = rate + slope * max(0, now - grownAt) }
        grownAt = now
    }

    /// A datagram sent at `sentAt` went unanswered until `now`. Returns the new rate when this loss cuts it: a
    /// share of the last second's outcomes were losses while answers came too, and the datagram was sent after
    /// the last cut (one sent at the old rate says nothing about the new one: one cut per round, as TCP does).
    mutating func lost(sentAt: Double, at now: Double) -> Double? {
        recent.count(answer: false, at: now)
        guard !fixed, sentAt >= cutAt else { return nil }
        let (answers, losses, span) = recent.totals(at: now)
        guard answers > 0, losses >= 2,
              Double(losses) >= SendRateController.lossShare * Double(answers + losses) else { return nil }
        let cut = max(SendRateController.minimumRate, SendRateController.decrease * (rate ?? Double(answers) / span))
        rate = cut
        slope = cut * SendRateController.growth
        cutAt = now
        grownAt = now
        cuts += 1
        return cut
    }
}

/// Answers and losses of the last second, in 50-ms steps.
private struct RecentOutcomes {
    private static let step = 0.05
    private static let steps = 20
    private var answers = [Int](repeating: 0, count: RecentOutcomes.steps)
    private var losses = [Int](repeating: 0, count: RecentOutcomes.steps)
    /// The step of the latest outcome counted (steps since the clock's zero).
    private var latest: Int?
    /// Where `latest` is counted in `answers` and `losses`: kept, as outcomes nearly always fall in the latest step
    /// (two integer divisions a reply otherwise).
    private var latestIndex = 0
    private var first = 0.0

    mutating func count(answer: Bool, at now: Double) {
        // `advance` makes the step of `now`, or a later one counted already, the latest.
        advance(to: now)
        if answer { answers[latestIndex] += 1 } else { losses[latestIndex] += 1 }
    }

    /// The answers and losses of the last second, and the seconds they cover (less at the start).
    mutating func totals(at now: Double) -> (answers: Int, losses: Int, span: Double) {
        let step = advance(to: now)
        // The steps kept: the 19 before this one, whole, and this one so far.
        let kept = Double(RecentOutcomes.steps - 1) * RecentOutcomes.step + now - Double(step) * RecentOutcomes.step
        let span = max(RecentOutcomes.step, min(kept, now - first))
        return (answers.reduce(0, +), losses.reduce(0, +), span)
    }

    private static func index(_ step: Int) -> Int {
        (step % steps + steps) % steps
    }

    /// Clears the steps that have passed since the latest outcome; returns the step of `now` (the latest step, when
    /// an outcome of a later one was counted already).
    @discardableResult
    private mutating func advance(to now: Double) -> Int {
        let step = Int((now / RecentOutcomes.step).rounded(.down))
        guard let latest else {
            first = now
            self.latest = step
            latestIndex = RecentOutcomes.index(step)
            return step
        }
        if step > latest {
            for passed in (latest + 1)...min(step, latest + RecentOutcomes.steps) {
                answers[RecentOutcomes.index(passed)] = 0
                losses[RecentOutcomes.index(passed)] = 0
            }
            self.latest = step
            latestIndex = RecentOutcomes.index(step)
        }
        return max(step, latest)
    }
}
