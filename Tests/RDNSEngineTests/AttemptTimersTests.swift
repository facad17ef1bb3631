@testable import RDNSEngine
import Testing

@Suite("AttemptTimers: UDP deadlines on an injected clock")
struct AttemptTimersTests {
    private static func expire(_ timers: inout AttemptTimers, at now: Double, live: Set<UInt64>) -> [Int] {
        var expired: [Int] = []
        timers.expire(at: now, isLive: { live.contains($1) }, into: &expired)
        return expired
    }

    @Test("attempts expire one timeout after they were sent, oldest first, none before")
    func deadlinesInOrder() {
        var timers = AttemptTimers(timeout: 2)
        let first = timers.schedule(7, at: 0)
        let second = timers.schedule(3, at: 0.5)
        let live: Set = [first, second]
        #expect(AttemptTimersTests.expire(&timers, at: 1.999, live: live) == [])
        #expect(timers.nextDeadline == 2)
        #expect(AttemptTimersTests.expire(&timers, at: 2.5, live: live) == [7, 3])
        #expect(timers.nextDeadline == nil)
    }

    @Test("an attempt answered before its deadline never expires, and the next deadline skips it")
    func answeredAttemptsAreSkipped() {
        var timers = AttemptTimers(timeout: 1)
        let answered = timers.schedule(1, at: 0)
        let waiting = timers.schedule(2, at: 0.25)
        #expect(AttemptTimersTests.expire(&timers, at: 0.5, live: [waiting]) == [])
        #expect(timers.nextDeadline == 1.25)
        #expect(AttemptTimersTests.expire(&timers, at: 1.25, live: [waiting]) == [2])
        #expect(answered != waiting)
    }

    @Test("a retry sent when the attempt before it expires gets a full timeout of its own")
    func retrySchedule() {
        // One query, timeout 1 s, three attempts: each sent when the one before times out, at 0, 1 and 2 s.
        var timers = AttemptTimers(timeout: 1)
        var live: Set = [timers.schedule(0, at: 0)]
        var sentAt: [Double] = [0]
        for now in stride(from: 0.5, through: 3.5, by: 0.5) {
            let expired = AttemptTimersTests.expire(&timers, at: now, live: live)
            guard !expired.isEmpty else { continue }
            live = []
            if sentAt.count < 3 {
                live = [timers.schedule(0, at: now)]
                sentAt.append(now)
            }
        }
        #expect(sentAt == [0, 1, 2])
        #expect(timers.nextDeadline == nil)
    }

    @Test("after thousands of deadlines set, moved and cancelled at random, the live ones come due in order")
    func randomScheduleMatchesASortedList() {
        // A fixed linear congruential sequence: the same cases every run.
        var seed: UInt64 = 0x2545_f491_4f6c_dd1d
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(seed >> 33) % bound
        }
        var timers = AttemptTimers(timeout: 5)
        var expected: [Int: (deadline: Double, send: UInt64)] = [:]
        for _ in 0..<5_000 {
            let slot = next(150)
            if next(4) == 0 {
                timers.cancel(slot)
                expected[slot] = nil
            } else {
                // Few distinct deadlines, so equal ones must come due in the order they were set.
                let deadline = Double(next(40)) / 8
                expected[slot] = (deadline, timers.schedule(slot, until: deadline))
            }
        }
        var expired: [Int] = []
        timers.expire(at: 2.5, isLive: { _, _ in true }, into: &expired)
        let due = expected.filter { $0.value.deadline <= 2.5 }
            .sorted { ($0.value.deadline, $0.value.send) < ($1.value.deadline, $1.value.send) }
        #expect(expired == due.map(\.key))
        timers.expire(at: .infinity, isLive: { _, _ in true }, into: &expired)
        #expect(expired.count == expected.count - due.count)
        #expect(timers.nextDeadline == nil)
    }
}
