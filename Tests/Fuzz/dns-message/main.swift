import RDNSCore
import Synchronization

/// libFuzzer target: one DNS reply, as the resolvers hand it to the core.
///
/// The input is parsed with `DNSMessage(parsing:)`. A reply that parses is then taken through what a run does
/// with it: `OutcomeClassification` (the reply path of both resolvers) and the pipelined engine's reply matching,
/// every name's escaping and hostname rules, a whole FCrDNS check with a resolver that gives this reply's answer
/// section for every question (so one reply can hold the PTR, a CNAME chain and the A records), the three
/// report formats, the metrics, the state file and drift. Every property below is one the SPEC or a doc comment
/// promises; a broken one is a `fatalError`, which libFuzzer reports as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
    let message: DNSMessage
    do {
        message = try DNSMessage(parsing: bytes)
    } catch {
        require(isPrintableLine(error.description), "parse error message is not one printable line")
        classifyMalformed(bytes)
        return 0
    }
    checkHeader(message, bytes)
    checkClassifierAndMatcher(message, bytes)
    for name in names(in: message) { checkName(name) }
    let target = checkTarget(for: message)
    let policy = CheckPolicy(genericNames: GenericNamePolicy.allCases[Int(message.id) % 3],
                             failAfter: 1 + Int(message.id >> 2) % 4)
    let previousFailures = Int(message.id >> 4) % 5
    let resolver = ReplyResolver(outcome: outcome(of: message))
    let result = runSynchronously {
        await ForwardConfirmation(resolver: resolver, policy: policy)
            .check(target, previousTemporaryFailures: previousFailures)
    }
    checkResult(result, policy: policy, previousFailures: previousFailures)
    checkStateAndReports(result)
    return 0
}

// MARK: - Parsing

func checkHeader(_ message: DNSMessage, _ bytes: UnsafeBufferPointer<UInt8>) {
    let questionCount = Int(bytes[4]) << 8 | Int(bytes[5])
    let answerCount = Int(bytes[6]) << 8 | Int(bytes[7])
    require(message.answers.count == answerCount, "answer count differs from the header's ANCOUNT")
    require((message.question != nil) == (questionCount == 1), "question present without QDCOUNT 1")
    require(message.id == UInt16(bytes[0]) << 8 | UInt16(bytes[1]), "wrong ID")
    for record in message.answers {
        switch record.data {
        case .address(let address):
            require(record.type == (address.isIPv4 ? 1 : 28), "address data on a record that is not A/AAAA")
        case .name:
            require(record.type == 5 || record.type == 12, "name data on a record that is not CNAME/PTR")
        case .other:
            require(![1, 5, 12, 28].contains(record.type), "A/AAAA/CNAME/PTR record left undecoded")
        }
    }
}

/// A reply that does not parse must be a malformed reply to the resolver, whatever it was asked.
func classifyMalformed(_ bytes: UnsafeBufferPointer<UInt8>) {
    let name = DNSName("10.2.0.192.in-addr.arpa")!
    guard case .failure(.malformed) = OutcomeClassification.parse(bytes, name: name, type: .ptr) else {
        fatalError("a reply that does not parse is not classified as malformed")
    }
}

/// `OutcomeClassification.parse` for the reply's own question, and the pipelined engine's matching.
func checkClassifierAndMatcher(_ message: DNSMessage, _ bytes: UnsafeBufferPointer<UInt8>) {
    let asked = message.question.flatMap { question in
        RecordType(rawValue: question.type).map { (question.name, $0) }
    } ?? (DNSName("10.2.0.192.in-addr.arpa")!, RecordType.ptr)
    switch OutcomeClassification.parse(bytes, name: asked.0, type: asked.1) {
    case .reply(let rcode, let answers, _):
        require(rcode == DNSMessage.rcodeNoError || rcode == DNSMessage.rcodeNXDomain, "reply with an error RCODE")
        require(answers == message.answers, "classifier changed the answers")
        require(message.isResponse && !message.isTruncated, "classifier accepted a query or a truncated reply")
        require(message.question.map { $0.name == asked.0 && $0.type == asked.1.rawValue && $0.recordClass == 1 }
                    ?? false, "classifier accepted a reply to another question")
    case .failure(let failure):
        require(isPrintableLine(failure.description), "failure description is not one printable line")
    }
    #if FUZZ_QUERY_MESSAGE
    // The pipelined engine matches a reply to its query on ID and the question's bytes.
    var query = QueryMessage(name: asked.0, type: asked.1)
    query.id = message.id
    if query.isAnswered(by: UnsafeRawBufferPointer(bytes)) {
        require(message.isResponse, "matcher accepted a query")
        require(message.question.map { $0.name == asked.0 && $0.type == asked.1.rawValue && $0.recordClass == 1 }
                    ?? false, "matcher accepted a reply to another question")
    }
    #endif
}

// MARK: - Names

func names(in message: DNSMessage) -> [DNSName] {
    var names = message.question.map { [$0.name] } ?? []
    for record in message.answers {
        names.append(record.owner)
        if case .name(let name) = record.data { names.append(name) }
    }
    return names
}

/// A name from the wire is well formed, prints as escaped presentation text that gives back exactly its labels,
/// and passes or fails the hostname rules as its text says.
func checkName(_ name: DNSName) {
    require(name.wire.count <= DNSName.maximumWireLength, "name longer than 255 octets")
    require(name.wire.last == 0, "name does not end with the root label")
    let labels = name.labels
    require(labels.allSatisfy { (1...DNSName.maximumLabelLength).contains($0.count) }, "bad label length")
    require(labels.reduce(1) { $0 + 1 + $1.count } == name.wire.count, "labels do not add up to the wire form")
    let text = name.description
    require(text.utf8.allSatisfy(isPresentationByte), "name prints a byte that is not escaped: \(Array(text.utf8))")
    require(unescape(text) == labels.map(Array.init), "escaped text does not give back the labels")
    require(name == name && name.isWithin(name), "name is not equal to itself")
    if HostnameRules.violation(in: name) == nil {
        require(DNSName(text) == name, "a valid hostname does not parse back from its text")
        require(text.utf8.count <= 253, "a valid hostname is longer than 253 characters")
    }
}

func isPresentationByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
         UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "/"),
         UInt8(ascii: "."), UInt8(ascii: "\\"):
        return true
    default:
        return false
    }
}

/// The labels of presentation text: `.` separates, `\DDD` is one byte.
func unescape(_ text: String) -> [[UInt8]] {
    let bytes = Array(text.utf8)
    guard !bytes.isEmpty else { return [] }
    var labels: [[UInt8]] = [[]]
    var index = 0
    while index < bytes.count {
        let byte = bytes[index]
        if byte == UInt8(ascii: ".") {
            labels.append([])
            index += 1
        } else if byte == UInt8(ascii: "\\") {
            let digits = bytes[(index + 1)...].prefix(3)
            require(digits.count == 3 && digits.allSatisfy { (48...57).contains($0) }, "bad escape in \(text)")
            let value = digits.reduce(0) { $0 * 10 + Int($1 - 48) }
            require(value <= 255, "escape above 255 in \(text)")
            labels[labels.count - 1].append(UInt8(value))
            index += 4
        } else {
            labels[labels.count - 1].append(byte)
            index += 1
        }
    }
    return labels
}

// MARK: - The check

/// The address whose reverse name the reply's question is, else the first address in it, else 192.0.2.10;
/// with an expected name when the ID's top bit is set.
func checkTarget(for message: DNSMessage) -> CheckTarget {
    var address = IPAddress("192.0.2.10")!
    if let question = message.question, let reversed = reverseAddress(question.name) {
        require(DNSName.reverse(of: reversed) == question.name, "reverse name does not round-trip")
        address = reversed
    } else if let first = message.answers.lazy.compactMap({ record -> IPAddress? in
        if case .address(let address) = record.data { address } else { nil }
    }).first {
        address = first
    }
    let reverse = DNSName.reverse(of: address)
    require(reverseAddress(reverse) == address, "DNSName.reverse(of:) is not the address's reverse name")
    guard message.id & 0x8000 != 0 else { return CheckTarget(address) }
    let expected = message.answers.lazy.compactMap { record -> DNSName? in
        if case .name(let name) = record.data, HostnameRules.violation(in: name) == nil { name } else { nil }
    }.first ?? DNSName("mail.example.test")!
    return CheckTarget(address, expectedName: expected)
}

/// The address of `d.c.b.a.in-addr.arpa` or of 32 nibbles under `ip6.arpa`, or nil.
func reverseAddress(_ name: DNSName) -> IPAddress? {
    // ASCII lowercase only: Unicode case mapping could turn other bytes into ASCII letters.
    let labels = name.labels.map { String(decoding: $0.map(asciiLower), as: UTF8.self) }
    if labels.count == 6, labels.suffix(2) == ["in-addr", "arpa"] {
        // Four dotted parts can still spell an IPv6 address ("::3.0.113.25"): only IPv4 counts here.
        guard let address = IPAddress(labels.prefix(4).reversed().joined(separator: ".")), address.isIPv4 else {
            return nil
        }
        return address
    }
    if labels.count == 34, labels.suffix(2) == ["ip6", "arpa"] {
        let nibbles = labels.prefix(32)
        guard nibbles.allSatisfy({ $0.count == 1 && UInt8($0, radix: 16) != nil }) else { return nil }
        let value = nibbles.reversed().reduce(UInt128(0)) { $0 << 4 | UInt128(UInt8($1, radix: 16)!) }
        return .v6(value)
    }
    return nil
}

/// What a resolver makes of the reply when it answers the question asked (the question itself is not compared
/// here, so that one reply serves the PTR, CNAME and A/AAAA lookups of a check).
func outcome(of message: DNSMessage) -> QueryOutcome {
    guard message.isResponse else { return .failure(.malformed("not a response")) }
    guard message.rcode == DNSMessage.rcodeNoError || message.rcode == DNSMessage.rcodeNXDomain else {
        return .failure(OutcomeClassification.failure(rcode: Int32(message.rcode), errorNumber: 0))
    }
    guard !message.isTruncated else { return .failure(.malformed("truncated reply")) }
    return .reply(rcode: message.rcode, answers: message.answers, flags: message.flags)
}

struct ReplyResolver: DNSResolver {
    let outcome: QueryOutcome

    func query(_ name: DNSName, type: RecordType, options: QueryOptions) async -> QueryOutcome {
        outcome
    }
}

/// The verdict follows from the problems, and everything the check says is escaped text on one line.
func checkResult(_ result: AddressResult, policy: CheckPolicy, previousFailures: Int) {
    require(result.status == (result.problems.map(\.severity).max() ?? .ok), "status is not the worst problem's")
    require(result.status != .unknown, "a check ended UNKNOWN")
    for problem in result.problems {
        require(isPrintableLine(problem.message(for: result.address)), "problem message not one printable line")
    }
    for (earlier, later) in zip(result.ptrNames, result.ptrNames.dropFirst()) {
        require(earlier < later && earlier != later, "PTR names not sorted and unique")
    }
    require(result.forward.allSatisfy { answer in result.ptrNames.contains(answer.name) }, "forward for a non-PTR name")
    let temporary = result.problems.contains { $0.code == .temporaryFailure }
    require(result.temporaryFailures == (temporary ? previousFailures + 1 : 0), "wrong temporary failure count")
    if result.status == .ok {
        require(result.isForwardConfirmed, "OK without forward confirmation")
    }
    require(result.ptrNames.count == min(result.ptrCount, AddressResult.maximumPTRNames), "PTR names not capped")
    // Names past the kept ones are never looked up: such an address is not forward-confirmed, yet may be a WARNING.
    if !result.isForwardConfirmed && !temporary && result.ptrCount == result.ptrNames.count {
        require(result.status == .critical, "not forward-confirmed, no temporary failure, and not CRITICAL")
    }
    if result.ptrCount > 1 {
        require(result.problems.contains { $0.code == .multiplePTR }, "several PTR names without multiple-ptr")
    }
    if let expected = result.target.expectedName, !result.ptrNames.isEmpty, result.ptrCount == result.ptrNames.count,
       !result.ptrNames.contains(expected) {
        require(result.problems.contains { $0.code == .expectedNameMismatch }, "expected name missing, not reported")
    }
    if result.ptrNames.contains(where: { HostnameRules.violation(in: $0) != nil }) {
        require(result.problems.contains { $0.code == .invalidHostname }, "invalid hostname not reported")
    }
}

// MARK: - State, drift and reports

/// The state the run stores round-trips through the state file; drift against an earlier state and all three
/// report formats print escaped text, and the JSON report is JSON.
func checkStateAndReports(_ result: AddressResult) {
    let now = 1_795_441_077
    let baseline = AddressState(status: .ok, ptrNames: ["mail.example.test"],
                                forward: ["mail.example.test": [result.address.description]],
                                temporaryFailures: 0, since: now - 600, checkedAt: now - 300)
    let first = AddressState(result: result, previous: nil, now: now)
    let next = AddressState(result: result, previous: baseline, now: now)
    if result.problems.contains(where: { $0.code == .temporaryFailure }) {
        require(next.ptrNames == baseline.ptrNames && next.forward == baseline.forward,
                "a temporary failure changed the stored names or answers")
    }
    let other = IPAddress("198.51.100.99")!
    let states = [result.address: first, other == result.address ? IPAddress("198.51.100.98")! : other: next]
    let text: String
    let decoded: [IPAddress: AddressState]
    do {
        text = try StateFile.encode(states)
    } catch {
        fatalError("the state of \(states.count) addresses was not written: \(error)")
    }
    do {
        decoded = try StateFile.decode(Array(text.utf8))
    } catch {
        fatalError("the state file rdnscheck wrote does not read back: \(error)\n\(text)")
    }
    require(decoded == states, "state file round trip changed the states:\n\(text)")
    require((try? StateFile.encode(decoded)) == text, "state file text changed on a second write")

    var drifts: [IPAddress: Drift] = [:]
    if let drift = Drift(address: result.address, previous: baseline, next: next) {
        require(isPrintableLine(drift.description), "drift log line is not one printable line")
        let changes = Drift.json(drift.changes)
        require((try? JSONValue.parse(Array(changes.utf8))) != nil, "RDNSCHECK_CHANGES is not JSON: \(changes)")
        drifts[result.address] = drift
    }
    let report = RunReport(results: [result], checkedAt: now, durationSeconds: 0.042, drifts: drifts)
    for format in ReportFormat.allCases {
        let output = format.render(report)
        require(output.hasSuffix("\n"), "\(format) report does not end with a newline")
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            require(isPrintableLine(String(line)), "\(format) report line not printable: \(line)")
        }
        if format == .json {
            guard case .object(let members)? = try? JSONValue.parse(Array(output.utf8)) else {
                fatalError("the JSON report is not a JSON object:\n\(output)")
            }
            // checked_at first, the run's status after the results (they are written as they come).
            require(members.first?.key == "checked_at", "JSON report does not start with checked_at")
            require(members.contains { $0.key == "status" }, "JSON report has no status")
        }
    }
    let metrics = MetricsTextfile.render(report, finishedAt: Double(now), lastSuccessAt: nil)
    for line in metrics.split(separator: "\n") {
        require(isPrintableLine(String(line)), "metrics line not printable: \(line)")
    }
}

// MARK: - Support

/// True for text of printable ASCII only (a space included): one line, no control or non-ASCII byte.
/// Printable ASCII, and the `…` of "… and 8 more" (the one character rdnscheck itself adds outside ASCII).
func isPrintableLine(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { (0x20...0x7e).contains($0.value) || $0 == "…" }
}

func asciiLower(_ byte: UInt8) -> UInt8 {
    (0x41...0x5a).contains(byte) ? byte | 0x20 : byte
}

func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError(message()) }
}

/// Runs async code to completion from the fuzzer's synchronous callback, on this thread.
///
/// The task, and every child task it starts (the check looks up an address's PTR names at once), prefer
/// `InlineExecutor`, whose jobs this thread runs until the result is there. So a run is deterministic, uses no
/// other thread, and frees all its memory before the input is done; memory freed later, on another thread, would
/// make libFuzzer run LeakSanitizer after inputs (several times slower).
func runSynchronously<T: Sendable>(_ body: @escaping @Sendable () async -> T) -> T {
    let executor = InlineExecutor()
    let box = Box<T>()
    Task(executorPreference: executor) { box.value = await body() }
    while box.value == nil {
        // ReplyResolver never waits for anything else, so an empty queue before the end would be a hang.
        require(executor.runJobs() > 0, "the check waits for something other than its own jobs")
    }
    return box.value!
}

/// The result of `runSynchronously`: written and read on the fuzzing thread only.
final class Box<T>: @unchecked Sendable {
    var value: T?
}

/// A task executor whose jobs run when the fuzzing thread asks (`runJobs`), in the order they were enqueued.
final class InlineExecutor: TaskExecutor, @unchecked Sendable {
    private let queue = Mutex<[UnownedJob]>([])

    func enqueue(_ job: UnownedJob) {
        queue.withLock { $0.append(job) }
    }

    /// Runs the jobs waiting now and those they enqueue; returns how many ran.
    func runJobs() -> Int {
        var count = 0
        while let job = queue.withLock({ $0.isEmpty ? nil : $0.removeFirst() }) {
            job.runSynchronously(on: asUnownedTaskExecutor())
            count += 1
        }
        return count
    }
}
