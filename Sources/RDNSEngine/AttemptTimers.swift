/// The deadlines of the UDP datagrams in flight (NIOPosix's scheduled tasks), at most one per slot, in a binary
/// heap indexed by slot: an attempt waits its timeout, but a datagram the engine may ask again early
/// (`RoundTripEstimator`) waits less, so deadlines do not come due in the order they were set. An answered
/// datagram's deadline is cancelled, so the heap holds no more than the window.
struct AttemptTimers {
    private typealias Entry = (deadline: Double, slot: Int, send: UInt64)
    private var entries: [Entry] = []
    /// Where each slot's entry is in `entries`; -1: none.
    private var positions: [Int] = []
    /// Number of the latest deadline scheduled; each one's is one more than the one before.
    private(set) var sends: UInt64 = 0
    let timeout: Double

    init(timeout: Double) {
        self.timeout = timeout
    }

    /// Starts the clock of an attempt of `slot` sent at `now`: due one timeout later. Returns its send number.
    mutating func schedule(_ slot: Int, at now: Double) -> UInt64 {
        schedule(slot, until: now + timeout)
    }

    /// The deadline of `slot` is now `deadline` (any earlier one of it is cancelled); returns its send number.
    mutating func schedule(_ slot: Int, until deadline: Double) -> UInt64 {
        cancel(slot)
        sends += 1
        if slot >= positions.count {
            positions.append(contentsOf: repeatElement(-1, count: slot + 1 - positions.count))
        }
        let entry = (deadline, slot, sends)
        // Appended to make room at the end; `settle` then writes it where it belongs.
        entries.append(entry)
        settle(entry, from: entries.count - 1)
        return sends
    }

    /// Cancels the deadline of `slot`, if it has one.
    mutating func cancel(_ slot: Int) {
        guard slot < positions.count, positions[slot] >= 0 else { return }
        remove(at: positions[slot])
    }

    /// Removes the entries due at `now` and those no longer live (`isLive(slot, send)` false) from the top, and
    /// puts the slots of the live ones due into `expired`, earliest first (equal deadlines in the order they were
    /// set). Afterwards the top is the next live deadline.
    mutating func expire(at now: Double, isLive: (Int, UInt64) -> Bool, into expired: inout [Int]) {
        expired.removeAll(keepingCapacity: true)
        while let top = entries.first {
            let live = isLive(top.slot, top.send)
            guard !live || top.deadline <= now else { break }
            remove(at: 0)
            if live { expired.append(top.slot) }
        }
    }

    /// The deadline at the top (after `expire`, the next live one), nil when none waits.
    var nextDeadline: Double? {
        entries.first?.deadline
    }

    private static func before(_ a: Entry, _ b: Entry) -> Bool {
        a.deadline < b.deadline || a.deadline == b.deadline && a.send < b.send
    }

    private mutating func remove(at index: Int) {
        positions[entries[index].slot] = -1
        let last = entries.removeLast()
        guard index < entries.count else { return }
        settle(last, from: index)
    }

    /// Puts `moving` in the hole at `start`, and moves it to its place: up while it is due before its parent, else
    /// down while a child is due before it, the entries it passes moving into the hole it leaves (one write each, not
    /// a swap). In one pass through the buffers: the arrays would check uniqueness and bounds at every access, and
    /// a reply cancels a deadline, so this runs twice for nearly every query.
    private mutating func settle(_ moving: Entry, from start: Int) {
        entries.withUnsafeMutableBufferPointer { entries in
            positions.withUnsafeMutableBufferPointer { positions in
                var index = start
                while index > 0 {
                    let parent = (index - 1) / 2
                    guard AttemptTimers.before(moving, entries[parent]) else { break }
                    entries[index] = entries[parent]
                    positions[entries[index].slot] = index
                    index = parent
                }
                // Down only if it did not move up (below `start`): due before its parent, it is before its children.
                while index >= start {
                    let left = 2 * index + 1
                    guard left < entries.count else { break }
                    let right = left + 1
                    let child = right < entries.count && AttemptTimers.before(entries[right], entries[left])
                        ? right : left
                    guard AttemptTimers.before(entries[child], moving) else { break }
                    entries[index] = entries[child]
                    positions[entries[index].slot] = index
                    index = child
                }
                entries[index] = moving
                positions[moving.slot] = index
            }
        }
    }
}
