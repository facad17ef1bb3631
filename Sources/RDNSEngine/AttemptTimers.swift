/// The deadlines of the UDP attempts in flight (NIOPosix's scheduled tasks). Every attempt waits the same
/// timeout, so deadlines come due in the order attempts were sent: a queue, not a heap. An attempt answered or
/// given up early leaves its entry behind, told apart by its send number and dropped when it reaches the head.
struct AttemptTimers {
    private var entries: [(deadline: Double, slot: Int, send: UInt64)] = []
    private var head = 0
    /// Number of the latest attempt scheduled; each attempt's is one more than the one before.
    private(set) var sends: UInt64 = 0
    let timeout: Double

    init(timeout: Double) {
        self.timeout = timeout
    }

    /// Starts the clock of an attempt of `slot` sent at `now`; returns its send number.
    mutating func schedule(_ slot: Int, at now: Double) -> UInt64 {
        sends += 1
        entries.append((now + timeout, slot, sends))
        return sends
    }

    /// Removes the entries due at `now` and those no longer live (`isLive(slot, send)` false), and puts the slots
    /// of the live ones due into `expired`, oldest first. Afterwards the head is the next live deadline.
    mutating func expire(at now: Double, isLive: (Int, UInt64) -> Bool, into expired: inout [Int]) {
        expired.removeAll(keepingCapacity: true)
        while head < entries.count {
            let entry = entries[head]
            let live = isLive(entry.slot, entry.send)
            guard !live || entry.deadline <= now else { break }
            head += 1
            if live { expired.append(entry.slot) }
        }
        if head > 4096 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
    }

    /// The deadline at the head (after `expire`, the next live one), nil when none waits.
    var nextDeadline: Double? {
        head < entries.count ? entries[head].deadline : nil
    }
}
