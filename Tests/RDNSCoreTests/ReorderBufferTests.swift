import RDNSCore
import Testing

private func targets(_ count: Int) -> [CheckTarget] {
    (0..<count).map { CheckTarget(.v4(0xC000_0200 + UInt32($0))) }
}

private func result(_ target: CheckTarget) -> AddressResult {
    AddressResult(target: target, status: .ok, ptrNames: [], forward: [], problems: [], temporaryFailures: 0)
}

/// Claims up to `count` targets, by index.
private func claim(_ buffer: ReorderBuffer<[CheckTarget]>, _ count: Int) -> [Int: CheckTarget] {
    var claimed: [Int: CheckTarget] = [:]
    for _ in 0..<count {
        guard case .target(let index, let target) = buffer.tryClaim() else { break }
        claimed[index] = target
    }
    return claimed
}

@Suite("ReorderBuffer: results in target order, at most its capacity held")
struct ReorderBufferTests {
    @Test("results finished out of order are taken in target order, each once the ones before it are finished")
    func takenInTargetOrder() {
        let all = targets(6)
        let buffer = ReorderBuffer(all, capacity: 6)
        let claimed = claim(buffer, 6)
        for index in [2, 1, 5] { buffer.store(result(claimed[index]!), at: index) }
        #expect(buffer.take() == [], "the oldest is unfinished: nothing moves")
        buffer.store(result(claimed[0]!), at: 0)
        #expect(buffer.take()?.map(\.address) == all[0...2].map(\.address))
        for index in [4, 3] { buffer.store(result(claimed[index]!), at: index) }
        #expect(buffer.take()?.map(\.address) == all[3...5].map(\.address))
        #expect(buffer.tryClaim() == .done)
    }

    @Test("no target is handed out while capacity targets are held, however many are finished after the oldest")
    func claimsStopAtTheCapacity() {
        let buffer = ReorderBuffer(targets(100), capacity: 4)
        let claimed = claim(buffer, 100)
        #expect(claimed.count == 4)
        for index in 1..<4 { buffer.store(result(claimed[index]!), at: index) }
        #expect(buffer.tryClaim() == .full, "the oldest check holds the others back")
        #expect(buffer.take() == [])
        buffer.store(result(claimed[0]!), at: 0)
        #expect(buffer.tryClaim() == .full, "finished but not taken: still held")
        #expect(buffer.take()?.count == 4)
        #expect(claim(buffer, 100).keys.sorted() == [4, 5, 6, 7], "the slots are used again")
    }

    @Test("a worker waiting for room goes on once results are taken")
    func waitingWorkerGoesOn() async {
        let all = targets(3)
        let buffer = ReorderBuffer(all, capacity: 2)
        let claimed = claim(buffer, 2)
        let waiting = Task { await buffer.claim() }
        buffer.store(result(claimed[0]!), at: 0)
        #expect(buffer.take()?.count == 1)
        let next = await waiting.value
        #expect(next?.0 == 2 && next?.1 == all[2])
    }

    @Test("the taker waits for a batch or the last results, and gets nil once all were taken")
    func takerGetsEveryResultThenNil() async {
        let all = targets(10)
        let buffer = ReorderBuffer(all, capacity: nil)
        let claimed = claim(buffer, 10)
        let taker = Task {
            var taken: [AddressResult] = []
            while let results = await buffer.next() { taken += results }
            return taken
        }
        for index in (0..<10).reversed() { buffer.store(result(claimed[index]!), at: index) }
        #expect(await taker.value.map(\.address) == all.map(\.address))
    }

    @Test("checks through a small buffer keep target order however they finish", arguments: [1, 3, 64])
    func checksKeepOrderThroughABoundedBuffer(capacity: Int) async {
        let all = targets(300)
        let buffer = ReorderBuffer(all, capacity: capacity)
        // A resolver that answers nothing (NXDOMAIN) at once: checks finish in whatever order the workers run.
        async let checked: Void = ForwardConfirmation(resolver: FakeResolver([])).check(buffer, concurrency: 8)
        var taken: [IPAddress] = []
        while let results = await buffer.next() { taken += results.map(\.address) }
        await checked
        #expect(taken == all.map(\.address))
    }

    @Test("the capacity is the checks in flight and as much again, at least 1,024 more")
    func capacityHasAMargin() {
        #expect(ReorderBuffer<[CheckTarget]>.capacity(checksInFlight: 200) == 1_224)
        #expect(ReorderBuffer<[CheckTarget]>.capacity(checksInFlight: 8_192) == 16_384)
        #expect(ReorderBuffer(targets(10), capacity: 1_224).capacity == 10, "never more than the targets")
    }
}
