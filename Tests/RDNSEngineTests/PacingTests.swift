@testable import RDNSEngine
import Testing

@Suite("TokenBucket: a rate and a burst, on a clock given to it")
struct TokenBucketTests {
    @Test("a full bucket lets its capacity through at once, then one query per 1/rate seconds")
    func burstThenRate() {
        var bucket = TokenBucket(rate: 1_000, capacity: 100)
        #expect((0..<150).filter { _ in bucket.take(at: 0) }.count == 100)
        let next = bucket.nextToken(at: 0)
        #expect(next == 0.001)
        let five = bucket.nextToken(at: 0, count: 5)
        #expect(abs(five - 0.005) < 1e-9)
        let capped = bucket.nextToken(at: 0, count: 500)
        #expect(abs(capped - 0.1) < 1e-9, "never more than the capacity")
        let early = bucket.take(at: 0.0009)
        #expect(!early)
        let due = bucket.take(at: 0.001)
        #expect(due)
        // A second idle refills no more than the capacity.
        #expect((0..<1_500).filter { _ in bucket.take(at: 2) }.count == 100)
    }

    @Test("threads that reserve tokens ahead are served in turn, 1/rate apart")
    func reservationsQueue() {
        var bucket = TokenBucket(rate: 10, capacity: 1)
        let due = [bucket.reserve(at: 0), bucket.reserve(at: 0), bucket.reserve(at: 0.05)]
        #expect(zip(due, [0, 0.1, 0.2]).allSatisfy { abs($0 - $1) < 1e-9 }, "\(due)")
        let owed = bucket.take(at: 0.15)
        #expect(!owed)
    }

    @Test("another rate keeps the tokens held, up to 10 ms of the new rate")
    func changeRate() {
        var bucket = TokenBucket.pacing(rate: 10_000)
        #expect(bucket.capacity == 100)
        bucket.change(rate: 1_000, at: 0)
        #expect(bucket.capacity == 10)
        #expect((0..<50).filter { _ in bucket.take(at: 0) }.count == 10)
    }
}

@Suite("SendRateController: AIMD against a nameserver that drops queries")
struct SendRateControllerTests {
    /// One answer at 0, then `answers` answers spread over the 0.9 s before `until`.
    private static func answer(_ controller: inout SendRateController, _ answers: Int, until: Double,
                               limited: Bool = false) {
        controller.answered(at: 0, limited: limited)
        for index in 0..<answers {
            controller.answered(at: until - 0.9 + 0.9 * Double(index + 1) / Double(answers), limited: limited)
        }
    }

    /// Losses of datagrams sent at `sentAt`, found at `now`, until one cuts the rate (at most `limit`); returns the
    /// cut and how many losses it took.
    private static func loseUntilCut(_ controller: inout SendRateController, sentAt: Double, at now: Double,
                                     limit: Int = 1_000) -> (rate: Double?, losses: Int) {
        for losses in 1...limit {
            if let rate = controller.lost(sentAt: sentAt, at: now) { return (rate, losses) }
        }
        return (nil, limit)
    }

    @Test("no limit until 3% of the last second's queries are lost while others are answered, then 85% of that rate")
    func firstCut() {
        var controller = SendRateController(fixedRate: nil)
        SendRateControllerTests.answer(&controller, 2_000, until: 2)
        #expect(controller.rate == nil)
        let (cut, losses) = SendRateControllerTests.loseUntilCut(&controller, sentAt: 1.9, at: 2)
        // 2,000 answers in the last 0.95 s (the 20 steps of 50 ms kept): the 62nd loss is the first over 3%, and the
        // answers came at 2,105 a second.
        #expect(losses == 62)
        #expect(cut.map { abs($0 - 0.85 * 2_000 / 0.95) < 1 } == true, "\(String(describing: cut))")
        #expect(controller.rate == cut)
        #expect(controller.cuts == 1)
    }

    @Test("a server that answers nothing is down, not limiting: losses alone never slow the engine")
    func deadServer() {
        var controller = SendRateController(fixedRate: nil)
        for index in 0..<500 {
            let now = Double(index) / 100
            #expect(controller.lost(sentAt: now - 5, at: now) == nil)
        }
        #expect(controller.rate == nil)
    }

    @Test("a loss now and then among many answers (under 3%) is not a limit")
    func fewLosses() {
        var controller = SendRateController(fixedRate: nil)
        SendRateControllerTests.answer(&controller, 1_000, until: 1)
        for _ in 0..<30 { #expect(controller.lost(sentAt: 0.9, at: 1) == nil) }
        #expect(controller.rate == nil)
    }

    @Test("one cut per round: a datagram sent before the cut, at the old rate, does not cut again")
    func oneCutPerRound() {
        var controller = SendRateController(fixedRate: nil)
        SendRateControllerTests.answer(&controller, 1_000, until: 1)
        let first = SendRateControllerTests.loseUntilCut(&controller, sentAt: 0.8, at: 1).rate
        #expect(first != nil)
        for _ in 0..<500 { #expect(controller.lost(sentAt: 0.9, at: 1.1) == nil) }
        #expect(controller.rate == first)
        // Sent after the cut and lost still: the new rate is too much as well.
        let second = controller.lost(sentAt: 1.05, at: 1.3)
        #expect(second != nil && first != nil && second! < first!)
        #expect(controller.cuts == 2)
    }

    @Test("after the first cut each cut takes 15% of the rate, however few answers the last second had")
    func laterCutsTakeAShare() throws {
        var controller = SendRateController(fixedRate: nil)
        SendRateControllerTests.answer(&controller, 1_000, until: 1)
        let first = try #require(SendRateControllerTests.loseUntilCut(&controller, sentAt: 0.9, at: 1).rate)
        // A second later: 20 answers only (the server, or this thread, was held off the CPU), and losses.
        for index in 0..<20 { controller.answered(at: 1.5 + Double(index) / 100, limited: false) }
        let second = try #require(SendRateControllerTests.loseUntilCut(&controller, sentAt: 1.9, at: 2.3).rate)
        #expect(abs(second - 0.85 * first) < 1e-6, "cut to \(second) from \(first), not to 85% of 20 a second")
    }

    @Test("raised by a constant step a second while queries wait for the rate, kept while they do not")
    func additiveIncrease() throws {
        var controller = SendRateController(fixedRate: nil)
        SendRateControllerTests.answer(&controller, 1_000, until: 1)
        let cut = try #require(SendRateControllerTests.loseUntilCut(&controller, sentAt: 0.9, at: 1).rate)
        controller.answered(at: 2, limited: false)
        #expect(controller.rate == cut)
        controller.answered(at: 3, limited: true)
        #expect(abs(controller.rate! - cut * 1.5) < 1e-6)
        controller.answered(at: 4, limited: true)
        #expect(abs(controller.rate! - cut * 2) < 1e-6)
    }

    @Test("a fixed rate (--rate) is never cut nor raised")
    func fixedRate() {
        var controller = SendRateController(fixedRate: 500)
        SendRateControllerTests.answer(&controller, 1_000, until: 1, limited: true)
        for _ in 0..<500 { #expect(controller.lost(sentAt: 0.9, at: 1) == nil) }
        #expect(controller.rate == 500)
    }

    @Test("against a 1,000 queries/s limiter with a burst of 100 it settles near the limit and answers >= 85% of it",
          arguments: [100.0, 1_000.0])
    func simulatedLimiter(burst: Double) {
        // Millisecond steps: a window of 100 queries, paced by the controller's rate, through a token bucket that
        // drops what it has no token for; a dropped query is found lost 0.2 s later and asked again.
        var controller = SendRateController(fixedRate: nil)
        var limiter = TokenBucket(rate: 1_000, capacity: burst)
        var pacer: TokenBucket? = nil
        var lost: [(sentAt: Double, foundAt: Double)] = []
        var answered = 0
        for step in 0..<20_000 {
            let now = Double(step) / 1_000
            while let first = lost.first, first.foundAt <= now {
                lost.removeFirst()
                if let rate = controller.lost(sentAt: first.sentAt, at: now) {
                    if pacer == nil { pacer = .pacing(rate: rate) } else { pacer!.change(rate: rate, at: now) }
                }
            }
            var sent = 0
            while lost.count < 100 && sent < 100 && pacer?.take(at: now) ?? true {
                sent += 1
                if limiter.take(at: now) {
                    answered += 1
                    controller.answered(at: now, limited: pacer != nil)
                    if let rate = controller.rate { pacer?.change(rate: rate, at: now) }
                } else {
                    lost.append((now, now + 0.2))
                }
            }
        }
        #expect(answered >= Int(0.85 * 20_000))
        #expect(controller.rate.map { (700...1_300).contains($0) } == true)
    }
}

@Suite("RoundTripEstimator: when an unanswered query was most likely dropped")
struct RoundTripEstimatorTests {
    @Test("no early retry before a round trip is measured, nor once answers stopped coming a second ago")
    func onlyWhileAnswersFlow() {
        var estimator = RoundTripEstimator(timeout: 5)
        #expect(estimator.retryDelay(afterResends: 0, at: 0) == nil)
        estimator.answered(roundTrip: 0.001, at: 1)
        #expect(estimator.retryDelay(afterResends: 0, at: 1.5) == RoundTripEstimator.minimumDelay)
        #expect(estimator.retryDelay(afterResends: 0, at: 2.01) == nil)
    }

    @Test("the delay is at least 0.2 s, follows slow round trips, doubles with each retry, and is never the timeout")
    func delays() {
        var estimator = RoundTripEstimator(timeout: 5)
        estimator.answered(roundTrip: 0.001, at: 0)
        #expect(estimator.retryDelay(afterResends: 1, at: 0) == 0.4)
        #expect(estimator.retryDelay(afterResends: 4, at: 0) == 3.2)
        #expect(estimator.retryDelay(afterResends: 5, at: 0) == nil)
        var slow = RoundTripEstimator(timeout: 5)
        slow.answered(roundTrip: 0.3, at: 0)
        #expect(slow.retryDelay(afterResends: 0, at: 0).map { abs($0 - 0.9) < 1e-9 } == true)
        // A query answered after it was asked twice says nothing about the round trip (Karn).
        slow.answered(roundTrip: nil, at: 0.5)
        #expect(slow.retryDelay(afterResends: 0, at: 0.5).map { abs($0 - 0.9) < 1e-9 } == true)
    }
}

@Suite("AttemptTimers: deadlines set out of order")
struct AttemptTimersOrderTests {
    @Test("deadlines come due in deadline order whatever the order they were set, and a cancelled one never does")
    func heapOrder() {
        var timers = AttemptTimers(timeout: 5)
        _ = timers.schedule(1, until: 5)
        _ = timers.schedule(2, until: 0.2)
        _ = timers.schedule(3, until: 0.4)
        _ = timers.schedule(4, until: 0.3)
        timers.cancel(4)
        _ = timers.schedule(3, until: 0.1)
        var expired: [Int] = []
        timers.expire(at: 1, isLive: { _, _ in true }, into: &expired)
        #expect(expired == [3, 2])
        #expect(timers.nextDeadline == 5)
    }
}
