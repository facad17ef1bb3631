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
}
