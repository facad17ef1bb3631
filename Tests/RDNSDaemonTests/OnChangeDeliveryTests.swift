import RDNSPOSIX
import Foundation
import Glibc
import RDNSCore
import Testing
import TestSupport

@testable import RDNSDaemon
@testable import RDNSRun

/// A logger whose lines a test can read.
private final class LogLines: Sendable {
    private let lines = Locked<[String]>([])
    var logger: Logger { Logger(journal: false, write: { line in self.lines.withLock { $0.append(line) } }) }
    var text: String { lines.withLock { $0.joined() } }
}

private func delivery(_ address: String, names: [String] = ["mx.example.test"], tries: Int = 0) -> Delivery {
    Delivery(address: IPAddress(address)!, oldStatus: .ok, newStatus: .critical, problems: [.forwardMismatch],
             ptrNames: names, changes: [Change(field: .status, old: .string("ok"), new: .string("critical"))],
             tries: tries)
}

/// An executable shell script (`writeShellScript`) in a fresh directory; returns its path.
private func script(_ body: String) throws -> String {
    let directory = NSTemporaryDirectory() + "rdnscheck-onchange-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let path = directory + "/hook"
    try writeShellScript(body, to: path)
    return path
}

@Suite("OnChangeEnvironment: what the program sees")
struct OnChangeEnvironmentTests {
    @Test("exactly PATH, LANG, LC_ALL and TZ when set, and the RDNSCHECK_* variables")
    func cleanEnvironment() {
        let strings = OnChangeEnvironment.strings(for: delivery("192.0.2.1"), inherited: [
            "LANG": "C.UTF-8", "TZ": "UTC", "SECRET_TOKEN": "hunter2", "NOTIFY_SOCKET": "/run/systemd/notify",
        ])
        #expect(strings == [
            "LANG=C.UTF-8", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "RDNSCHECK_ADDRESS=192.0.2.1",
            "RDNSCHECK_CHANGES=[{\"field\": \"status\", \"old\": \"ok\", \"new\": \"critical\"}]",
            "RDNSCHECK_DRIFTS=1", "RDNSCHECK_NEW_STATUS=critical", "RDNSCHECK_OLD_STATUS=ok",
            "RDNSCHECK_PROBLEMS=forward-mismatch", "RDNSCHECK_PTR_NAMES=mx.example.test", "TZ=UTC",
        ])
    }

    @Test("every value stays within the limit; lists end at a whole name with +N; the changes stay valid JSON")
    func boundedValues() throws {
        // 1,850 names of 62 bytes: what one 64 KiB TCP answer carries.
        let names = (0..<1_850).map { "host-\(1_000_000 + $0).pool.dynamic.customers.isp.example.net" }
        var owed = delivery("192.0.2.1", names: names)
        owed.changes = [
            Change(field: .ptrNames, old: .array([]), new: .array(names.map(JSONValue.string))),
            Change(field: .forward, old: .object([]), new: .object([JSONValue.Member("a.example", .array([]))])),
            Change(field: .status, old: .string("ok"), new: .string("critical")),
        ]
        let variables = OnChangeEnvironment.variables(for: owed)
        for (name, value) in variables {
            #expect(value.utf8.count <= OnChangeEnvironment.valueLimit, "\(name) has \(value.utf8.count) bytes")
        }
        let listed = try #require(variables["RDNSCHECK_PTR_NAMES"]).split(separator: " ").map(String.init)
        let marker = try #require(listed.last)
        #expect(marker.hasPrefix("+"))
        #expect(Array(listed.dropLast()) == Array(names.prefix(listed.count - 1)), "whole names, in order")
        #expect(Int(marker.dropFirst()) == names.count - (listed.count - 1))
        let changes = try #require(variables["RDNSCHECK_CHANGES"])
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(changes.utf8)) as? [[String: Any]])
        #expect(parsed.map { $0["field"] as? String } == ["forward", "status"])
        #expect(variables["RDNSCHECK_CHANGES_OMITTED"] == "ptr_names")
    }

    @Test("a list that fits is whole, with no marker and no OMITTED variable")
    func smallValuesAreWhole() {
        let variables = OnChangeEnvironment.variables(for: delivery("192.0.2.1", names: ["a.example", "b.example"]))
        #expect(variables["RDNSCHECK_PTR_NAMES"] == "a.example b.example")
        #expect(variables["RDNSCHECK_CHANGES_OMITTED"] == nil)
    }

    @Test("a word list cut to a small limit keeps what fits before the marker", arguments: [
        (["aaaa", "bbbb", "cccc"], 14, "aaaa bbbb cccc"),
        (["aaaa", "bbbb", "cccc"], 13, "aaaa bbbb +1"),
        (["aaaa", "bbbb", "cccc"], 8, "aaaa +2"),
        (["aaaa", "bbbb", "cccc"], 3, "+3"),
    ])
    func wordList(words: [String], limit: Int, expected: String) {
        #expect(OnChangeEnvironment.wordList(words, limit: limit) == expected)
    }

    @Test("PTR names cut at the result's cap end with the count of those the result did not keep")
    func namesBeyondTheCap() {
        var owed = delivery("192.0.2.1", names: ["a.example", "b.example"])
        owed.ptrCount = 1_850
        #expect(OnChangeEnvironment.variables(for: owed)["RDNSCHECK_PTR_NAMES"] == "a.example b.example +1848")
        #expect(OnChangeEnvironment.wordList(["aaaa", "bbbb"], of: 5, limit: 8) == "aaaa +4")
    }
}

@Suite("OnChangeRunner: one run of the program")
struct OnChangeRunnerTests {
    @Test("the program sees no variable of rdnscheck's own environment (a planted SECRET_TOKEN was visible)")
    func noInheritedSecrets() async throws {
        setenv("SECRET_TOKEN", "hunter2", 1)
        let log = LogLines()
        let runner = OnChangeRunner(timeLimitSeconds: 10, logger: log.logger)
        #expect(try await offThePool { runner.run("/usr/bin/env", delivery("192.0.2.1")) } == .delivered)
        let names = log.text.split(separator: "\n").map { $0.dropFirst("on-change /usr/bin/env: ".count) }
            .map { String($0.prefix { $0 != "=" }) }
        let expected: Set<String> = ["PATH", "RDNSCHECK_ADDRESS", "RDNSCHECK_OLD_STATUS", "RDNSCHECK_NEW_STATUS",
                                     "RDNSCHECK_PROBLEMS", "RDNSCHECK_PTR_NAMES", "RDNSCHECK_CHANGES",
                                     "RDNSCHECK_DRIFTS"]
        #expect(Set(names).subtracting(["LANG", "LC_ALL", "TZ"]) == expected, "\(log.text)")
        #expect(!log.text.contains("hunter2"))
    }

    @Test("the program's exit ends the run: a child left holding its output is killed, and the log says so")
    func exitEndsTheRun() async throws {
        let directory = NSTemporaryDirectory() + "rdnscheck-leftover-\(UUID().uuidString)"
        let hook = try script("sleep 30 &\necho $! > \(directory)\necho started\nexit 0\n")
        let log = LogLines()
        let runner = OnChangeRunner(timeLimitSeconds: 20, logger: log.logger)
        // The child sleeps 30 s and the time limit is 20 s: ending by 10 s means the run ended with the program.
        let (outcome, seconds) = try await timed { try await offThePool { runner.run(hook, delivery("192.0.2.1")) } }
        #expect(outcome == .delivered)
        #expect(seconds < 10, "it waited for the child, not for the program")
        #expect(log.text.contains("on-change \(hook): started"))
        #expect(log.text.contains("on-change \(hook) for 192.0.2.1 exited with status 0; "
                                  + "the processes it left running were killed"), "\(log.text)")
        #expect(!log.text.contains("stopped after"))
        let child = try #require(pid_t(try String(contentsOfFile: directory, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)))
        // SIGKILL takes effect when the child is next scheduled; then init reaps it.
        func state() -> Substring? {
            (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?
                .split(separator: ")").last?.split(separator: " ").first
        }
        let deadline = Date().addingTimeInterval(5)
        while let now = state(), now != "Z", Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(state() == nil || state() == "Z", "the child \(child) still runs: \(state() ?? "")")
    }

    @Test("a program that outlives its time limit is stopped and the delivery is not made")
    func timeLimit() async throws {
        let hook = try script("echo started\nexec >/dev/null 2>&1\nsleep 30\n")
        let log = LogLines()
        let runner = OnChangeRunner(timeLimitSeconds: 1, logger: log.logger)
        let (outcome, seconds) = try await timed { try await offThePool { runner.run(hook, delivery("192.0.2.1")) } }
        #expect(outcome == .notDelivered("was stopped after 1s, its time limit"))
        // Not before the 1 s limit; well before the program's own 30 s.
        #expect(seconds >= 0.9 && seconds < 1 + busyMachineAllowance, "took \(seconds) s")
        #expect(log.text.contains("on-change \(hook): started"))
    }

    @Test("a program that cannot be started is not delivered, with the reason")
    func cannotStart() async throws {
        let runner = OnChangeRunner(timeLimitSeconds: 1, logger: LogLines().logger)
        #expect(try await offThePool { runner.run("/nonexistent/rdnscheck-hook", delivery("192.0.2.1")) }
                == .notDelivered("cannot be run: No such file or directory"))
    }

    @Test("stopping ends a running program and the delivery is not made; nothing starts after")
    func stopAll() async throws {
        let hook = try script("echo started\nsleep 30\n")
        let log = LogLines()
        let runner = OnChangeRunner(timeLimitSeconds: 20, logger: log.logger)
        async let outcome = offThePool { runner.run(hook, delivery("192.0.2.1")) }
        let deadline = Date().addingTimeInterval(10)
        while !log.text.contains("started") && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        runner.stopAll()
        #expect(try await outcome == .notDelivered("was stopped: rdnscheck is stopping"))
        #expect(try await offThePool { runner.run(hook, delivery("192.0.2.2")) }
                == .notDelivered("was not started: rdnscheck is stopping"))
    }

    @Test("a delivery with 1,850 names starts (the values used to pass the kernel's limit: E2BIG)")
    func hugeDeliveryStarts() async throws {
        let names = (0..<1_850).map { "host-\(1_000_000 + $0).pool.dynamic.customers.isp.example.net" }
        var owed = delivery("192.0.2.1", names: names)
        owed.changes = [Change(field: .ptrNames, old: .array(names.map(JSONValue.string)),
                               new: .array(names.reversed().map(JSONValue.string)))]
        let runner = OnChangeRunner(timeLimitSeconds: 10, logger: LogLines().logger)
        let delivery = owed
        #expect(try await offThePool { runner.run("/bin/true", delivery) } == .delivered)
    }
}

/// A runner whose runs block until the test lets them end, with the outcome the test chose.
private final class GatedRunner: DeliveryRunner {
    private struct State {
        var started: [Delivery] = []
        var active: Set<IPAddress> = []
        var mostActive = 0
        var overlapping = false
        var stopping = false
    }

    private let state = Locked(State())
    private let gate = DispatchSemaphore(value: 0)
    private let startedSignal = DispatchSemaphore(value: 0)
    private let outcome: @Sendable (Delivery) -> DeliveryOutcome

    init(outcome: @escaping @Sendable (Delivery) -> DeliveryOutcome = { _ in .delivered }) {
        self.outcome = outcome
    }

    func run(_ program: String, _ delivery: Delivery) -> DeliveryOutcome {
        state.withLock { state in
            state.started.append(delivery)
            state.overlapping = state.overlapping || !state.active.insert(delivery.address).inserted
            state.mostActive = max(state.mostActive, state.active.count)
        }
        startedSignal.signal()
        gate.wait()
        return state.withLock { state in
            state.active.remove(delivery.address)
            return state.stopping ? .notDelivered("was stopped: rdnscheck is stopping") : outcome(delivery)
        }
    }

    func stopAll() {
        let active = state.withLock { state in
            state.stopping = true
            return state.active.count
        }
        release(active)
    }

    /// Lets `count` runs end.
    func release(_ count: Int) {
        for _ in 0..<count { gate.signal() }
    }

    /// Waits until `count` more runs have started; false if they did not within 10 s (a hang, not a timing).
    func waitForStarts(_ count: Int) -> Bool {
        (0..<count).allSatisfy { _ in startedSignal.wait(timeout: .now() + 10) == .success }
    }

    var started: [Delivery] { state.withLock { $0.started } }
    var mostActive: Int { state.withLock { $0.mostActive } }
    var overlapping: Bool { state.withLock { $0.overlapping } }
}

@Suite("DeliveryQueue: bounded, coalesced, at-least-once")
struct DeliveryQueueTests {
    @Test("at most `concurrency` programs run at once, never two for one address, and every delivery is made")
    func concurrencyBound() {
        let runner = GatedRunner()
        let queue = DeliveryQueue(runner: runner, concurrency: 2, logger: LogLines().logger)
        queue.program = "/hook"
        queue.add((1...5).map { delivery("192.0.2.\($0)") })
        queue.start()
        #expect(runner.waitForStarts(2))
        #expect(runner.started.count == 2)
        runner.release(5)
        queue.waitUntilIdle()
        #expect(runner.started.map(\.address.description).sorted()
                == ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"])
        #expect(runner.mostActive == 2)
        #expect(!runner.overlapping)
        #expect(queue.undelivered.isEmpty)
    }

    @Test("drifts for an address already waiting merge into one delivery, with a line saying how many merged")
    func coalescing() {
        let log = LogLines()
        let runner = GatedRunner()
        let queue = DeliveryQueue(runner: runner, concurrency: 1, logger: log.logger)
        queue.program = "/hook"
        queue.add([delivery("192.0.2.1", names: ["a.example"])])
        queue.start()
        #expect(runner.waitForStarts(1))
        // A flapping range while the program is busy: each run drifts every address again.
        for round in 0..<50 {
            queue.add([delivery("192.0.2.1", names: ["r\(round).example"]), delivery("192.0.2.2")])
        }
        #expect(log.text.components(separatedBy: "on-change: 2 drifts merged into deliveries already waiting for "
                                    + "the same address (2 waiting)").count == 50, "\(log.text)")
        let owed = queue.undelivered
        #expect(owed.map(\.address.description) == ["192.0.2.1", "192.0.2.2"])
        #expect(owed.first?.drifts == 51, "the running one and the 50 waiting, merged")
        #expect(owed.first?.ptrNames == ["r49.example"])
        runner.release(3)
        queue.waitUntilIdle()
        #expect(runner.started.count == 3, "the running one, then one per address")
        #expect(runner.started.last(where: { $0.address.description == "192.0.2.1" })?.drifts == 50)
    }

    @Test("a delivery not made is kept, tried again with the next run's, and dropped after 3 tries naming it")
    func triesThenDrops() {
        let log = LogLines()
        let runner = GatedRunner(outcome: { _ in .notDelivered("was stopped after 1s, its time limit") })
        let queue = DeliveryQueue(runner: runner, logger: log.logger)
        queue.program = "/hook"
        var added = [delivery("192.0.2.7")]
        for attempt in 1...3 {
            queue.add(added)
            queue.start()
            runner.release(1)
            queue.waitUntilIdle()
            added = []
            #expect(queue.undelivered.map(\.tries) == (attempt < 3 ? [attempt] : []))
        }
        #expect(log.text.contains("on-change /hook for 192.0.2.7 was stopped after 1s, its time limit; "
                                  + "it will be tried again (try 2 of 3)"))
        #expect(log.text.contains("on-change /hook for 192.0.2.7 was stopped after 1s, its time limit; dropped "
                                  + "after 3 tries: the drift of 192.0.2.7 (ok -> critical) was never delivered"))
        queue.add([])
        queue.start()
        #expect(runner.started.count == 3)
    }

    @Test("stopping stops what runs and returns it with what waits, each counted as tried or not")
    func stopKeepsEverything() {
        let runner = GatedRunner()
        let queue = DeliveryQueue(runner: runner, concurrency: 1, logger: LogLines().logger)
        queue.program = "/hook"
        queue.add([delivery("192.0.2.1"), delivery("192.0.2.2")])
        queue.start()
        #expect(runner.waitForStarts(1))
        let owed = queue.stop()
        #expect(owed.map(\.address.description) == ["192.0.2.1", "192.0.2.2"])
        #expect(owed.map(\.tries) == [1, 0])
        queue.add([])
        queue.start()
        #expect(runner.started.count == 1, "nothing starts once stopping")
    }

    @Test("a run that fails after on-change was removed (a reload) is dropped with a notice, not kept")
    func removedProgramDropsFailedRun() {
        let log = LogLines()
        let runner = GatedRunner(outcome: { _ in .notDelivered("was stopped after 1s, its time limit") })
        let queue = DeliveryQueue(runner: runner, logger: log.logger)
        queue.program = "/hook"
        queue.add([delivery("192.0.2.1")])
        queue.start()
        #expect(runner.waitForStarts(1))
        queue.program = nil
        runner.release(1)
        queue.waitUntilIdle()
        #expect(queue.undelivered.isEmpty)
        #expect(log.text.contains("on-change /hook for 192.0.2.1 was stopped after 1s, its time limit; on-change is "
                                  + "no longer configured: the delivery is dropped"), "\(log.text)")
        #expect(!log.text.contains("tried again"))
    }

    @Test("deliveries kept from the state file wait with the next run's, merged per address")
    func keptFromStateFile() {
        let runner = GatedRunner()
        let queue = DeliveryQueue(runner: runner, logger: LogLines().logger)
        queue.program = "/hook"
        queue.keep([delivery("192.0.2.1", tries: 2), delivery("192.0.2.3", tries: 1)])
        #expect(queue.undelivered.map(\.tries) == [2, 1])
        queue.add([delivery("192.0.2.1", names: ["new.example"])])
        queue.start()
        runner.release(2)
        queue.waitUntilIdle()
        #expect(runner.started.map(\.address.description).sorted() == ["192.0.2.1", "192.0.2.3"])
        #expect(runner.started.first { $0.address.description == "192.0.2.1" }?.drifts == 2)
    }
}

/// A runner that ends each run at once with the outcome the test chose, and remembers what it ran.
final class InstantRunner: DeliveryRunner {
    private let runs = Locked<[Delivery]>([])
    private let outcome: @Sendable (Delivery) -> DeliveryOutcome

    init(outcome: @escaping @Sendable (Delivery) -> DeliveryOutcome) {
        self.outcome = outcome
    }

    func run(_ program: String, _ delivery: Delivery) -> DeliveryOutcome {
        runs.withLock { $0.append(delivery) }
        return outcome(delivery)
    }

    func stopAll() {}

    var delivered: [Delivery] { runs.withLock { $0 } }
}

@Suite("RunRecorder: on-change deliveries survive the process")
struct RunRecorderDeliveryTests {
    private let address = IPAddress("192.0.2.10")!

    private func result(_ status: Status, _ name: String) -> AddressResult {
        let ptr = DNSName(labels: name.split(separator: ".").map { Array($0.utf8) })!
        return AddressResult(target: CheckTarget(address), status: status, ptrNames: [ptr],
                             forward: [ForwardAnswer(name: ptr, addresses: [address])], problems: [],
                             temporaryFailures: 0)
    }

    private func configuration() throws -> Configuration {
        let directory = NSTemporaryDirectory() + "rdnscheck-recorder-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.statePath = directory + "/state.json"
        configuration.onChangeProgram = "/hook"
        configuration.targets = CheckTargets(CheckTarget(address))
        return configuration
    }

    private func record(_ recorder: RunRecorder, _ result: AddressResult, at time: Int) {
        _ = recorder.record([result], startedAt: time, durationSeconds: 1, nextRunInSeconds: nil)
        _ = recorder.finishPendingWork()
    }

    @Test("a drift is in the state file before its program starts; one cut off is made by the next --once")
    func cutOffIsDeliveredNextRun() throws {
        let configuration = try configuration()
        let path = configuration.statePath!
        let seenInFile = Locked<Bool>(false)
        let cutOff = InstantRunner { _ in
            let saved = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            seenInFile.withLock { $0 = saved.contains("\"undelivered\": {\n \"192.0.2.10\": ") }
            return .notDelivered("was stopped after 30s, its time limit")
        }
        let log = LogLines()
        let first = RunRecorder(configuration: configuration, logger: log.logger, keepsStateInMemory: false,
                                deliveryRunner: cutOff)
        record(first, result(.ok, "mail.example.test"), at: 1_000)
        record(first, result(.ok, "mx.example.test"), at: 2_000)
        #expect(cutOff.delivered.count == 1)
        #expect(seenInFile.withLock { $0 }, "saved as owed before the program ran")
        let saved = try StateFile.decodeContents(Array(try String(contentsOfFile: path, encoding: .utf8).utf8))
        #expect(saved.undelivered[address]?.tries == 1)
        #expect(log.text.contains("it will be tried again (try 1 of 3)"))

        // The next --once: no new drift, but the delivery still owed is made.
        let works = InstantRunner { _ in .delivered }
        let second = RunRecorder(configuration: configuration, logger: log.logger, keepsStateInMemory: false,
                                 deliveryRunner: works)
        record(second, result(.ok, "mx.example.test"), at: 3_000)
        #expect(works.delivered.map(\.address) == [address])
        #expect(works.delivered.first?.ptrNames == ["mx.example.test"])
        #expect(works.delivered.first?.tries == 2)
        #expect(!(try String(contentsOfFile: path, encoding: .utf8)).contains("undelivered"))
    }

    @Test("stopping saves the deliveries not made in the state file, and the state stays the last run's")
    func stopSavesOwed() throws {
        let configuration = try configuration()
        let runner = GatedRunner()
        let log = LogLines()
        let recorder = RunRecorder(configuration: configuration, logger: log.logger, keepsStateInMemory: true,
                                   deliveryRunner: runner)
        _ = recorder.record([result(.ok, "mail.example.test")], startedAt: 1_000, durationSeconds: 1,
                            nextRunInSeconds: 60)
        _ = recorder.record([result(.critical, "mx.example.test")], startedAt: 2_000, durationSeconds: 1,
                            nextRunInSeconds: 60)
        #expect(runner.waitForStarts(1))
        _ = recorder.record([result(.ok, "mail.example.test")], startedAt: 3_000, durationSeconds: 1,
                            nextRunInSeconds: 60)
        recorder.stop()
        let saved = try StateFile.decodeContents(Array(try String(contentsOfFile: configuration.statePath!,
                                                                  encoding: .utf8).utf8))
        let owed = try #require(saved.undelivered[address])
        #expect(owed.drifts == 2)
        #expect(owed.oldStatus == .ok && owed.newStatus == .ok)
        #expect(saved.states[address]?.ptrNames == ["mail.example.test"])
        #expect(log.text.contains("1 on-change delivery not made kept in the state file for the next start"),
                "\(log.text)")
    }

    private func saved(_ configuration: Configuration) throws -> StateFile.Contents {
        try StateFile.decodeContents(Array(try String(contentsOfFile: configuration.statePath!, encoding: .utf8).utf8))
    }

    @Test("a delivery whose third try still runs when a run is recorded is saved with 2 tries and reads back")
    func runningThirdTryReadsBack() throws {
        let configuration = try configuration()
        let log = LogLines()
        let cutOff = InstantRunner { _ in .notDelivered("was stopped after 30s, its time limit") }
        let first = RunRecorder(configuration: configuration, logger: log.logger, keepsStateInMemory: false,
                                deliveryRunner: cutOff)
        record(first, result(.ok, "mail.example.test"), at: 1_000)
        record(first, result(.ok, "mx.example.test"), at: 2_000)
        record(first, result(.ok, "mx.example.test"), at: 3_000)
        #expect(try saved(configuration).undelivered[address]?.tries == 2)

        // The third try blocks while the daemon records another run (SIGUSR1, a short interval, a slow hook).
        let slow = GatedRunner()
        let daemon = RunRecorder(configuration: configuration, logger: log.logger, keepsStateInMemory: true,
                                 deliveryRunner: slow)
        _ = daemon.record([result(.ok, "mx.example.test")], startedAt: 4_000, durationSeconds: 1,
                          nextRunInSeconds: 60)
        #expect(slow.waitForStarts(1))
        #expect(slow.started.first?.tries == 3)
        _ = daemon.record([result(.ok, "mx.example.test")], startedAt: 5_000, durationSeconds: 1,
                          nextRunInSeconds: 60)
        let contents = try saved(configuration)
        #expect(contents.undelivered[address]?.tries == 2, "the tries finished, not the one running")
        #expect(contents.states[address]?.ptrNames == ["mx.example.test"])

        let works = InstantRunner { _ in .delivered }
        let next = RunRecorder(configuration: configuration, logger: log.logger, keepsStateInMemory: false,
                               deliveryRunner: works)
        record(next, result(.ok, "mx.example.test"), at: 6_000)
        #expect(!log.text.contains("unusable"), "\(log.text)")
        #expect(works.delivered.map(\.address) == [address])
        slow.release(1)
        _ = daemon.finishPendingWork()
    }

    @Test("a delivery saved with its 3 tries done reads back: the baseline stays, the delivery is dropped, named")
    func spentDeliveryIsDroppedAtLoad() throws {
        let configuration = try configuration()
        let path = configuration.statePath!
        let log = LogLines()
        let cutOff = InstantRunner { _ in .notDelivered("was stopped after 30s, its time limit") }
        let first = RunRecorder(configuration: configuration, logger: log.logger, keepsStateInMemory: false,
                                deliveryRunner: cutOff)
        record(first, result(.ok, "mail.example.test"), at: 1_000)
        record(first, result(.ok, "mx.example.test"), at: 2_000)
        // As a daemon stopped during a third try that outlived the stop's wait used to save it.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains("\"tries\": 1"))
        try text.replacingOccurrences(of: "\"tries\": 1", with: "\"tries\": 3")
            .write(toFile: path, atomically: true, encoding: .utf8)

        let works = InstantRunner { _ in .delivered }
        let next = RunRecorder(configuration: configuration, logger: log.logger, keepsStateInMemory: false,
                               deliveryRunner: works)
        #expect(log.text.contains("on-change /hook for 192.0.2.10 kept in the state file; dropped after 3 tries: "
                                  + "the drift of 192.0.2.10 (ok -> ok) was never delivered"), "\(log.text)")
        record(next, result(.ok, "mx.example.test"), at: 3_000)
        #expect(!log.text.contains("unusable"), "\(log.text)")
        #expect(works.delivered.isEmpty, "no drift against the baseline, and nothing owed")
        #expect(try saved(configuration).undelivered.isEmpty)
    }

    @Test("a state file that cannot be saved after the on-change programs is a failed write")
    func failedSaveAfterPrograms() throws {
        let configuration = try configuration()
        let path = configuration.statePath!
        let blocking = InstantRunner { _ in
            // A directory in the way: the save of "nothing owed any more" is refused.
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            return .delivered
        }
        let log = LogLines()
        let recorder = RunRecorder(configuration: configuration, logger: log.logger, keepsStateInMemory: false,
                                   deliveryRunner: blocking)
        record(recorder, result(.ok, "mail.example.test"), at: 1_000)
        #expect(!recorder.record([result(.ok, "mx.example.test")], startedAt: 2_000, durationSeconds: 1,
                                 nextRunInSeconds: nil).writeFailed)
        #expect(!recorder.finishPendingWork())
        #expect(log.text.contains("cannot write the state file \(path)"), "\(log.text)")
    }
}
