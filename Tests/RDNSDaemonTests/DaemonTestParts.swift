import RDNSPOSIX
import RDNSCore

@testable import RDNSDaemon
@testable import RDNSRun

/// A clock that moves only when the test says (`advance(by:)`), running the wake-ups that fall due.
final class ManualTimeSource: TimeSource {
    private struct State {
        var wall = 1_700_000_000.0
        var monotonic = 1_000.0
        var wakeUps: [Int: (deadline: Double, action: @Sendable () -> Void)] = [:]
        var nextID = 0
        var waiters: [(deadline: Double, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Locked(State())

    var wallSeconds: Double { state.withLock { $0.wall } }
    var monotonicSeconds: Double { state.withLock { $0.monotonic } }

    func wake(at deadline: Double, _ action: @escaping @Sendable () -> Void) -> WakeUp {
        let (id, ready): (Int?, [CheckedContinuation<Void, Never>]) = state.withLock { state in
            guard deadline > state.monotonic else { return (nil, []) }
            state.nextID += 1
            state.wakeUps[state.nextID] = (deadline, action)
            let ready = state.waiters.filter { $0.deadline == deadline }.map(\.continuation)
            state.waiters.removeAll { $0.deadline == deadline }
            return (state.nextID, ready)
        }
        for waiter in ready { waiter.resume() }
        guard let id else {
            action()
            return WakeUp {}
        }
        return WakeUp { [weak self] in self?.state.withLock { _ = $0.wakeUps.removeValue(forKey: id) } }
    }

    /// Moves both clocks forward and runs, in deadline order, every wake-up that falls due.
    func advance(by seconds: Double) {
        let due: [@Sendable () -> Void] = state.withLock { state in
            state.wall += seconds
            state.monotonic += seconds
            let due = state.wakeUps.filter { $0.value.deadline <= state.monotonic }
                .sorted { ($0.value.deadline, $0.key) < ($1.value.deadline, $1.key) }
            for (id, _) in due { state.wakeUps.removeValue(forKey: id) }
            return due.map(\.value.action)
        }
        for action in due { action() }
    }

    /// Returns once someone waits for `deadline` (seconds from now): the daemon has nothing to do before then.
    func waitForWakeUp(in seconds: Double) async {
        await withCheckedContinuation { continuation in
            let waiting = state.withLock { state in
                let deadline = state.monotonic + seconds
                guard !state.wakeUps.values.contains(where: { $0.deadline == deadline }) else { return false }
                state.waiters.append((deadline, continuation))
                return true
            }
            if !waiting { continuation.resume() }
        }
    }
}

/// Lines in the order they happened (log lines and notifications), with waits for what is expected to come.
final class Transcript: Sendable {
    private struct State {
        var lines: [String] = []
        var waiters: [(condition: @Sendable ([String]) -> Bool, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Locked(State())

    var lines: [String] { state.withLock { $0.lines } }

    func append(_ line: String) {
        let ready: [CheckedContinuation<Void, Never>] = state.withLock { state in
            state.lines.append(line)
            let lines = state.lines
            let ready = state.waiters.filter { $0.condition(lines) }.map(\.continuation)
            state.waiters.removeAll { $0.condition(lines) }
            return ready
        }
        for waiter in ready { waiter.resume() }
    }

    /// Returns once `count` lines contain `text`.
    func wait(for text: String, count: Int = 1) async {
        await withCheckedContinuation { continuation in
            let condition: @Sendable ([String]) -> Bool = { lines in lines.count { $0.contains(text) } >= count }
            let waiting = state.withLock { state in
                guard !condition(state.lines) else { return false }
                state.waiters.append((condition, continuation))
                return true
            }
            if !waiting { continuation.resume() }
        }
    }

    func count(_ text: String) -> Int {
        lines.count { $0.contains(text) }
    }
}

/// The service manager as the daemon sees it, writing what it is told into the transcript.
struct RecordingNotifier: ServiceNotifier {
    let transcript: Transcript
    let watchdogMicroseconds: UInt64?

    func send(_ message: String) {
        for line in message.split(separator: "\n") { transcript.append("notify: \(line)") }
    }
}

/// A resolver whose every question waits until the test answers it (`answerAll`), with `outcome`.
final class HeldResolver: DNSResolver {
    private struct State {
        var held: [UnsafeContinuation<QueryOutcome, Never>] = []
        var asked = 0
        var isShutDown = false
        var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    let outcome: QueryOutcome
    let concurrencyReduction: String?
    let nameserverNotice: String?
    private let state = Locked(State())

    init(outcome: QueryOutcome, concurrencyReduction: String? = nil, nameserverNotice: String? = nil) {
        self.outcome = outcome
        self.concurrencyReduction = concurrencyReduction
        self.nameserverNotice = nameserverNotice
    }

    var asked: Int { state.withLock { $0.asked } }
    var isShutDown: Bool { state.withLock { $0.isShutDown } }

    func query(_ name: DNSName, type: RecordType, options: QueryOptions) async -> QueryOutcome {
        await withUnsafeContinuation { continuation in
            let ready: [CheckedContinuation<Void, Never>]? = state.withLock { state in
                guard !state.isShutDown else { return nil }
                state.held.append(continuation)
                state.asked += 1
                let asked = state.asked
                defer { state.waiters.removeAll { $0.count <= asked } }
                return state.waiters.filter { $0.count <= asked }.map(\.continuation)
            }
            guard let ready else { return continuation.resume(returning: HeldResolver.shutDown) }
            for waiter in ready { waiter.resume() }
        }
    }

    /// What a question gets once the resolver is shut down, as from the real ones.
    static let shutDown = QueryOutcome.failure(.localError("resolver is shut down"))

    /// Returns once `count` questions have been asked in all.
    func waitUntilAsked(_ count: Int) async {
        await withCheckedContinuation { continuation in
            let waiting = state.withLock { state in
                guard state.asked < count else { return false }
                state.waiters.append((count, continuation))
                return true
            }
            if !waiting { continuation.resume() }
        }
    }

    func answerAll() {
        let held = state.withLock { state in
            defer { state.held.removeAll() }
            return state.held
        }
        for continuation in held { continuation.resume(returning: outcome) }
    }

    /// Fails the questions still held and those asked later, as the real resolvers do: a run left waiting on one
    /// (the daemon stopped mid-run at a test's end) would otherwise wait until the process exits, and
    /// LeakSanitizer reports all it holds.
    func shutdown() {
        let held = state.withLock { state in
            state.isShutDown = true
            defer { state.held.removeAll() }
            return state.held
        }
        for continuation in held { continuation.resume(returning: HeldResolver.shutDown) }
    }
}

/// A daemon on a manual clock, whose resolvers (one per start or reload) hold every question until answered.
final class DaemonUnderTest {
    let clock = ManualTimeSource()
    let transcript = Transcript()
    private let made = Shared<[HeldResolver]>([])
    private let configuration: Shared<(Configuration, [ConfigurationError])>
    private let mailbox: EventMailbox
    private let loop: Task<Int32, Never>

    /// `configure` edits a configuration of one address (192.0.2.10) checked every 300 s; every resolver made
    /// reports `concurrencyReduction` and `nameserverNotice`.
    init(watchdogMicroseconds: UInt64? = nil, outcome: QueryOutcome = .reply(rcode: 3, answers: []),
         concurrencyReduction: String? = nil, nameserverNotice: String? = nil, hostSources: HostSources = HostSources(),
         configure: (inout Configuration) throws -> Void = { _ in }) throws {
        var initial = Configuration()
        initial.targets = CheckTargets(CheckTarget(IPAddress("192.0.2.10")!))
        try configure(&initial)
        let configuration = Shared((initial, [ConfigurationError]()))
        self.configuration = configuration
        let made = self.made
        let transcript = self.transcript
        let parts = DaemonParts(
            makeResolver: { _ in
                let resolver = HeldResolver(outcome: outcome, concurrencyReduction: concurrencyReduction,
                                            nameserverNotice: nameserverNotice)
                made.withLock { $0.append(resolver) }
                return resolver
            },
            logger: Logger(journal: false, write: { transcript.append("log: " + $0.dropLast()) }),
            notifier: RecordingNotifier(transcript: transcript, watchdogMicroseconds: watchdogMicroseconds),
            clock: clock, makeHostSources: { _ in hostSources })
        guard case .success(let daemon) = Daemon.start(loadConfiguration: { configuration.withLock { $0 } },
                                                       parts: parts) else {
            throw DaemonTestError()
        }
        mailbox = daemon.mailbox
        // The loop is the daemon's only user from here on.
        nonisolated(unsafe) let unsafeDaemon = daemon
        loop = Task { await unsafeDaemon.loop() }
    }

    struct DaemonTestError: Error {}

    /// The resolvers made so far: the first at start, one more for each reload.
    var resolvers: [HeldResolver] { made.withLock { $0 } }

    /// The configuration the next reload reads, and the errors it finds in it.
    func change(errors: [ConfigurationError] = [], _ edit: (inout Configuration) -> Void = { _ in }) {
        configuration.withLock { loaded in
            edit(&loaded.0)
            loaded.1 = errors
        }
    }

    func post(_ event: DaemonEvent) {
        mailbox.post(event)
    }

    /// Stops the daemon, fails what is still held and what its interrupted run asks next (shutting its resolvers
    /// down), and returns the loop's exit code.
    func stop() async -> Int32 {
        post(.stop)
        let code = await loop.value
        for resolver in resolvers { resolver.shutdown() }
        return code
    }
}

/// A value shared between the test and the daemon's closures.
typealias Shared = Locked
