import Glibc
import RDNSCore
import RDNSResolver
import Testing
import TestSupport

private let address = "192.0.2.40"
private let reverseName = FaultServer.reverseName(ipv4: address)
private let goodForward: [String: FaultBehaviour] = ["mail.example.test": .answer([.a(address)])]

/// A fault server with `behaviour` for the reverse name of 192.0.2.40 and a good A record for mail.example.test.
private func faultServer(_ behaviour: FaultBehaviour, more: [String: FaultBehaviour] = goodForward,
                         defaultBehaviour: FaultBehaviour = .rcode(5)) throws -> FaultServer {
    try FaultServer(rules: more.merging([reverseName: behaviour]) { $1 }, defaultBehaviour: defaultBehaviour)
}

/// Failures and hostile answers, through libresolv, against our own fault server.
@Suite("LibresolvResolver against the fault server")
struct FaultServerTests {
    @Test("an RCODE failure is a temporary failure naming it, never no-ptr", arguments: Engine.allCases, [
        (UInt8(2), "SERVFAIL"), (5, "REFUSED"), (1, "FORMERR"), (4, "REFUSED"),
    ])
    func rcodeFailureIsTemporary(engine: Engine, failure: (rcode: UInt8, word: String)) async throws {
        let (rcode, word) = failure
        let server = try faultServer(.rcode(rcode))
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port))
        #expect(result.status == .warning)
        #expect(codes(result) == ["temporary-failure"])
        #expect(result.problems[0].detail.contains("failed: \(word)"), "\(result.problems[0].detail)")
    }

    @Test("a server that never answers is a timeout after timeout x attempts, each attempt sent",
          arguments: Engine.allCases)
    func silenceIsTimeout(engine: Engine) async throws {
        let server = try faultServer(.drop)
        defer { server.stop() }
        let dns = try resolver(engine, port: server.port, timeout: 1, attempts: 2)
        let (result, seconds) = await check(address, with: dns)
        #expect(codes(result) == ["temporary-failure"])
        #expect(result.problems[0].detail.contains("timeout"))
        let sent = server.queries.filter { $0.name == reverseName }.map(\.receivedAt)
        #expect(sent.count == 2)
        // The retry is sent when the first attempt's 1 s is up: not sooner, and not after twice that.
        if sent.count == 2 { #expect(sent[1] - sent[0] >= 0.9 && sent[1] - sent[0] < 2, "retry after \(sent) s") }
        // At least both timeouts (not given up early), and ended, not hung.
        #expect(seconds >= 1.9 && seconds < 2 + busyMachineAllowance, "took \(seconds) s")
    }

    @Test("nothing listening is 'no nameserver reachable', quickly", arguments: Engine.allCases)
    func nothingListeningIsUnreachable(engine: Engine) async throws {
        // A 20 s timeout: waiting for one instead of taking the refusal at once would pass the bound.
        let dns = try resolver(engine, port: try closedPort(), address: closedAddress, timeout: 20)
        let (result, seconds) = await check(address, with: dns)
        #expect(codes(result) == ["temporary-failure"])
        #expect(result.problems[0].detail.contains("no nameserver reachable"), "\(result.problems[0].detail)")
        #expect(seconds < busyMachineAllowance, "took \(seconds) s; one timeout is 20 s")
    }

    @Test("a truncated UDP reply is retried over TCP and the TCP answer counts", arguments: Engine.allCases)
    func truncationFallsBackToTCP(engine: Engine) async throws {
        let server = try faultServer(.truncatedThenTCP([.ptr("mail.example.test")]))
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port))
        #expect(result.status == .ok)
        #expect(server.queries.filter { $0.name == reverseName }.map(\.transport) == [.udp, .tcp])
    }

    @Test("a TCP fallback that never answers ends at the deadline as a timeout", arguments: Engine.allCases)
    func stalledTCPEndsAtDeadline(engine: Engine) async throws {
        let server = try faultServer(.truncatedThenTCPStall)
        defer { server.stop() }
        let dns = try resolver(engine, port: server.port, timeout: 1, attempts: 2)
        let (result, seconds) = await check(address, with: dns)
        #expect(codes(result) == ["temporary-failure"])
        #expect(result.problems[0].detail.contains("timeout"), "\(result.problems[0].detail)")
        // The stalled connection stays open for ever: only the 2 s deadline ends the lookup.
        #expect(seconds < 2 + busyMachineAllowance, "took \(seconds) s")
    }

    @Test("a lookup's sockets are in its thread's own descriptor table, where no other thread can take their numbers",
          .enabled(if: !Sanitizers.thread, "ThreadSanitizer never delivers CResolv's deadline signal in a TCP read"))
    func lookupSocketsArePrivate() async throws {
        let server = try faultServer(.truncatedThenTCPStall)
        defer { server.stop() }
        let started = monotonicSeconds()
        async let stalled = check(address, with: try resolver(.libresolv, port: server.port, timeout: 2, attempts: 1))
        while !server.queries.contains(where: { $0.transport == .tcp }) && monotonicSeconds() - started < 5 {
            try await Task.sleep(for: .milliseconds(10))
        }
        // glibc's TCP connection stays open until the 2 s deadline, but not among the process's descriptors: the
        // deadline shuts it down by number, which is safe only where no other thread can reuse that number.
        #expect(server.queries.contains { $0.transport == .tcp })
        #expect(ProcessResources.sockets(connectedToPort: server.port).isEmpty)
        let (result, _) = try await stalled
        #expect(result.problems.first?.detail.contains("failed: timeout") == true, "\(result.problems)")
    }

    // ThreadSanitizer delivers CResolv's interrupting signal only once glibc returns (see `FaultMatrix`).
    @Test("shutdown ends the lookups in progress and those queued at once, as 'resolver is shut down'",
          arguments: Engine.allCases.filter { !(Sanitizers.thread && $0 == .libresolv) })
    func shutdownEndsLookups(engine: Engine) async throws {
        let server = try faultServer(.drop, more: [:], defaultBehaviour: .drop)
        defer { server.stop() }
        // 20 s per lookup; libresolv runs 4 at a time, so 2 of these 6 wait in its queue.
        let dns = try resolver(engine, port: server.port, timeout: 10, attempts: 2)
        let names = (0..<6).map { DNSName("n\($0).example.test")! }
        let started = monotonicSeconds()
        async let outcomes = withTaskGroup(of: QueryOutcome.self) { group in
            for name in names { group.addTask { await dns.query(name, type: .a) } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        while server.queries.count < 4 && monotonicSeconds() - started < 5 {
            try await Task.sleep(for: .milliseconds(10))
        }
        let stopping = monotonicSeconds()
        dns.shutdown()
        let results = await outcomes
        let seconds = monotonicSeconds() - stopping
        #expect(results == Array(repeating: .failure(.localError("resolver is shut down")), count: names.count))
        #expect(seconds < 1 + busyMachineAllowance, "took \(seconds) s after shutdown; a lookup's own deadline is 20 s")
        #expect(await dns.query(names[0], type: .a) == .failure(.localError("resolver is shut down")))
    }

    @Test("a TCP fallback that resets is a temporary failure", arguments: Engine.allCases)
    func resetTCPIsTemporary(engine: Engine) async throws {
        let server = try faultServer(.truncatedThenTCPReset)
        defer { server.stop() }
        let dns = try resolver(engine, port: server.port, timeout: 1, attempts: 2)
        let (result, seconds) = await check(address, with: dns)
        #expect(result.status == .warning)
        #expect(codes(result) == ["temporary-failure"])
        // A reset is an answer of sorts: the lookup ends by its 2 s deadline, never hangs on the dead connection.
        #expect(seconds < 2 + busyMachineAllowance, "took \(seconds) s")
    }

    @Test("a TCP fallback that resets moves on to the next nameserver, whose TCP answer counts",
          arguments: Engine.allCases)
    func resetTCPMovesToNextNameserver(engine: Engine) async throws {
        let first = try faultServer(.truncatedThenTCPReset)
        let second = try faultServer(.truncatedThenTCP([.ptr("mail.example.test")]))
        defer {
            first.stop()
            second.stop()
        }
        let settings = ResolverSettings(nameservers: [Nameserver(address: loopbackV4, port: first.port),
                                                      Nameserver(address: loopbackV4, port: second.port)],
                                        timeoutSeconds: 1, attempts: 1)
        let (result, seconds) = await check(address, with: try resolver(engine, settings: settings))
        #expect(result.status == .ok, "\(result.problems)")
        // glibc tries a reset connection once more before it moves on; the pipelined engine moves on at once.
        #expect(first.queries.filter { $0.name == reverseName }.map(\.transport).prefix(2) == [.udp, .tcp])
        #expect(second.queries.filter { $0.name == reverseName }.map(\.transport).last == .tcp)
        #expect(seconds < 2 + busyMachineAllowance, "took \(seconds) s; the query's whole time is 2 s")
    }

    @Test("replies glibc cannot match to the query are ignored until the timeout", arguments: Engine.allCases, [
        FaultBehaviour.wrongID([.ptr("mail.example.test")]), .shortReply, .garbage,
    ])
    func unmatchedRepliesTimeOut(engine: Engine, behaviour: FaultBehaviour) async throws {
        let server = try faultServer(behaviour)
        defer { server.stop() }
        let dns = try resolver(engine, port: server.port, timeout: 1, attempts: 1)
        let (result, seconds) = await check(address, with: dns)
        #expect(result.status == .warning)
        #expect(codes(result) == ["temporary-failure"])
        #expect(result.problems[0].detail.contains("failed: timeout"), "\(result.problems[0].detail)")
        // glibc may give up on a reply it cannot read before the timeout; no lookup waits past it.
        #expect(seconds < 1 + busyMachineAllowance, "took \(seconds) s")
    }

    @Test("junk saying SERVFAIL, REFUSED or FORMERR to no query of ours is not the server's answer",
          arguments: Engine.allCases, [FaultBehaviour.withWrongID(.rcode(2)), .withWrongID(.rcode(5)),
                                       .withWrongID(.rcode(1))])
    func junkIsNoRcode(engine: Engine, junk: FaultBehaviour) async throws {
        let server = try faultServer(junk)
        defer { server.stop() }
        // The second nameserver refuses at once, so glibc gives up well before the 2 s deadline, with the junk
        // in its buffer.
        let settings = ResolverSettings(nameservers: [Nameserver(address: loopbackV4, port: server.port),
                                                      try closedNameserver()],
                                        timeoutSeconds: 1, attempts: 1)
        let (result, _) = await check(address, with: try resolver(engine, settings: settings))
        #expect(codes(result) == ["temporary-failure"])
        #expect(result.problems.first?.detail.contains("failed: timeout") == true, "\(result.problems)")
    }

    @Test("malformed answer sections are malformed replies (temporary), not missing records",
          arguments: Engine.allCases, [
        // Answer data pointing to itself (offset 53 = header 12 + question 25 + 4 + owner 2 + fixed 10).
        [0xc0, 0x0c, 0, 12, 0, 1, 0, 0, 1, 44, 0, 2, 0xc0, 53] as [UInt8],
        // A record header cut short.
        [0xc0, 0x0c, 0, 12, 0, 1],
        // A PTR name running past its data length.
        [0xc0, 0x0c, 0, 12, 0, 1, 0, 0, 1, 44, 0, 2, 4, 0x6d, 0x61, 0x69, 0x6c, 0],
    ])
    func malformedAnswerIsTemporary(engine: Engine, bytes: [UInt8]) async throws {
        let server = try faultServer(.rawAnswer(count: 1, bytes: bytes))
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port))
        #expect(result.status == .warning)
        #expect(codes(result) == ["temporary-failure"])
        #expect(result.problems[0].detail.contains("malformed reply"), "\(result.problems[0].detail)")
    }

    @Test("a FORMERR to the EDNS query is asked again without EDNS (pipelined engine)")
    func formatErrorToEDNSIsRetriedWithout() async throws {
        let server = try faultServer(.sequence([.rcode(1), .answer([.ptr("mail.example.test")])]))
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(.pipelined, port: server.port))
        #expect(result.status == .ok, "\(result.problems)")
        #expect(server.queryCount(for: reverseName) == 2)
    }

    @Test("an answer holding only the CNAME leads to a query for its target", arguments: Engine.allCases)
    func cnameOnlyAnswerQueriesTarget(engine: Engine) async throws {
        let delegated = "40.32/27.2.0.192.in-addr.arpa"
        let server = try faultServer(.answer([.cname(FaultName(delegated))]), more: goodForward.merging([
            delegated: .answer([.ptr("mail.example.test")]),
        ]) { $1 })
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port))
        #expect(result.status == .ok)
        #expect(server.queryCount(for: delegated) == 1)
    }

    @Test("a CNAME loop served by a misbehaving server is cname-loop", arguments: Engine.allCases)
    func servedCNAMELoop(engine: Engine) async throws {
        let server = try faultServer(.answer([.cname("loop.example.test")]), more: [
            "loop.example.test": .answerAll([.cname(FaultName(reverseName))]),
        ])
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port))
        #expect(result.status == .critical)
        #expect(codes(result) == ["cname-loop"])
    }

    @Test("after a SERVFAIL the same question goes out again with CD set, and its answer is dnssec-bogus",
          arguments: Engine.allCases)
    func checkingDisabledIsOnTheWire(engine: Engine) async throws {
        let server = try faultServer(.validationFails(.answer([.ptr("mail.example.test")])))
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port, attempts: 1))
        #expect(codes(result) == ["dnssec-bogus"], "\(result.problems)")
        let asked = server.queries.filter { $0.name == reverseName }
        #expect(asked.map(\.checkingDisabled) == [false, true, false], "\(asked)")
        #expect(asked.allSatisfy { $0.type == 12 })
    }

    @Test("a SERVFAIL the CD bit does not cure is asked for the name's CNAME, and stays temporary",
          arguments: Engine.allCases)
    func plainServerFailureAsksForTheCNAME(engine: Engine) async throws {
        let server = try faultServer(.forType(5, .answer([]), otherwise: .rcode(2)))
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port, attempts: 1))
        #expect(codes(result) == ["temporary-failure"])
        let asked = server.queries.filter { $0.name == reverseName }
        #expect(asked.map { "\($0.type)\($0.checkingDisabled ? "+cd" : "")" } == ["12", "12+cd", "5"], "\(asked)")
    }

    @Test("a PTR record for another owner does not count", arguments: Engine.allCases)
    func wrongOwnerIsNoPTR(engine: Engine) async throws {
        let server = try faultServer(.answerAll([.ptr("mail.example.test", owner: "41.2.0.192.in-addr.arpa")]))
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port))
        #expect(codes(result) == ["no-ptr"])
    }

    @Test("hostile PTR names are invalid hostnames, escaped, never looked up or executed", arguments: Engine.allCases, [
        FaultName(labels: [Array("$(touch /tmp/rdnscheck-pwned)".utf8), Array("example".utf8)]),
        FaultName(labels: [Array("`touch /tmp/rdnscheck-pwned`".utf8), Array("test".utf8)]),
        FaultName(labels: [Array("mail;touch /tmp/rdnscheck-pwned".utf8), Array("test".utf8)]),
        FaultName(labels: [[0x1b, 0x5b, 0x32, 0x4a, 0x07, 0x0a, 0x0d, 0x00, 0x7f], Array("test".utf8)]),
        FaultName(labels: [Array("mail".utf8) + [0xc3, 0xa9, 0xff], Array("test".utf8)]),
        FaultName(labels: [Array("a.b".utf8), Array("test".utf8)]),
    ])
    func hostileNames(engine: Engine, hostile: FaultName) async throws {
        unlink("/tmp/rdnscheck-pwned")
        let server = try faultServer(.answer([.ptr(hostile)]), more: [:], defaultBehaviour: .drop)
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port))
        #expect(result.status == .critical)
        #expect(codes(result) == ["invalid-hostname"])
        let message = result.problems[0].message(for: result.address)
        #expect(!message.unicodeScalars.contains {
                    $0.value < 0x20 || $0.value >= 0x7f || "$`;(".unicodeScalars.contains($0)
                },
                "\(message)")
        #expect(server.queries.allSatisfy { $0.name == reverseName && $0.type == RecordType.ptr.rawValue },
                "only the PTR query (retransmitted at most); the hostile name is never sent")
        #expect(access("/tmp/rdnscheck-pwned", F_OK) != 0)
    }

    @Test("a PTR name of 255 octets on the wire (253 characters) is a valid hostname and is checked",
          arguments: Engine.allCases)
    func longestName(engine: Engine) async throws {
        let labels = [63, 63, 63, 61].enumerated().map {
            Array(repeating: UInt8(ascii: "a") + UInt8($0.offset), count: $0.element)
        }
        let server = try faultServer(.answer([.ptr(FaultName(labels: labels))]), more: [:],
                                     defaultBehaviour: .answer([.a(address)]))
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port))
        #expect(result.status == .ok, "\(result.problems)")
        #expect(result.ptrNames.first?.wire.count == 255)
    }

    @Test("an answer with 1,000 PTR names arrives over TCP; the first 32 names are kept and looked up",
          arguments: Engine.allCases)
    func thousandPTRs(engine: Engine) async throws {
        let records = (0..<1000).map { FaultRecord.ptr(FaultName("h\($0).example.test")) }
        let server = try faultServer(.truncatedThenTCP(records), more: [:], defaultBehaviour: .answer([.a(address)]))
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port))
        #expect(result.ptrNames.count == 32)
        #expect(result.ptrCount == 1000)
        #expect(result.status == .warning)
        #expect(codes(result) == ["multiple-ptr"])
        #expect(result.problems[0].detail.hasSuffix(
            "… and 996 more); receivers use one; only the first 32 were looked up"))
        #expect(result.forward.count == 32)
        #expect(server.queries.filter { $0.type == 1 }.count == 32)
    }

    @Test("the forward lookups of an address's PTR names run at once, not one after another (pipelined engine)",
          arguments: [Engine.pipelined])
    func namesLookedUpAtOnce(engine: Engine) async throws {
        let records = (0..<12).map { FaultRecord.ptr(FaultName("n\($0).example.test")) }
        let server = try faultServer(.answer(records), more: [:], defaultBehaviour: .drop)
        defer { server.stop() }
        let (result, _) = await check(address, with: try resolver(engine, port: server.port, timeout: 2, attempts: 1))
        #expect(Set(codes(result)) == ["multiple-ptr", "temporary-failure"])
        #expect(codes(result).filter { $0 == "temporary-failure" }.count == 12)
        // Timed where the queries arrive, so a busy machine holding back the test's task does not count: at once,
        // the 12 arrive within moments; one after another, each 2 s after the one before (22 s from first to last).
        // Each name's first query counts: the PTR query was answered just before, so the engine may ask a silent
        // name again early, within its attempt (a rate limiter's drop, as far as it can tell).
        let firstSent = Dictionary(grouping: server.queries.filter { $0.type == RecordType.a.rawValue }, by: \.name)
            .mapValues { $0.map(\.receivedAt).min()! }
        let sent = Array(firstSent.values)
        #expect(sent.count == 12)
        let spread = (sent.max() ?? 0) - (sent.min() ?? 0)
        #expect(spread < busyMachineAllowance, "12 silent names were sent over \(spread) s; one after another: 22 s")
    }
}
