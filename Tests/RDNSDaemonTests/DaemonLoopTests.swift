import RDNSCore
import RDNSPOSIX
import Testing

@testable import RDNSDaemon
@testable import RDNSRun

/// The daemon's loop driven by events, a manual clock and a resolver that answers when told: its schedule is a
/// function of what the test does, and no test here waits on the wall clock.
@Suite("Daemon loop")
struct DaemonLoopTests {
    private static let summary = "log: run finished in "

    @Test("the first run starts at once; the next one only when the interval has passed since the first began")
    func runsEveryInterval() async throws {
        let test = try DaemonUnderTest()
        let resolver = test.resolvers[0]
        await resolver.waitUntilAsked(1)
        test.clock.advance(by: 10)
        resolver.answerAll()
        await test.transcript.wait(for: "notify: STATUS=0/1 addresses OK (1 critical); next run ")
        // Begun at 0 and ended at 10: the next run is 290 s away, and nothing happens before then.
        await test.clock.waitForWakeUp(in: 290)
        #expect(resolver.asked == 1)
        test.clock.advance(by: 290)
        await resolver.waitUntilAsked(2)
        resolver.answerAll()
        await test.transcript.wait(for: Self.summary, count: 2)
        #expect(await test.stop() == Daemon.exitStopped)
    }

    @Test("SIGUSR1 during a run: one more run right after it, and no 'running the checks now' line")
    func runAgainDuringARun() async throws {
        let test = try DaemonUnderTest()
        let resolver = test.resolvers[0]
        await resolver.waitUntilAsked(1)
        test.post(.runNow)
        test.post(.runNow)
        resolver.answerAll()
        await resolver.waitUntilAsked(2)
        resolver.answerAll()
        await test.transcript.wait(for: Self.summary, count: 2)
        // Two requests during one run make one run more, and then the schedule goes on as usual.
        await test.clock.waitForWakeUp(in: 300)
        #expect(resolver.asked == 2)
        #expect(test.transcript.count("SIGUSR1: running the checks now") == 0)
        test.post(.runNow)
        await resolver.waitUntilAsked(3)
        #expect(test.transcript.count("SIGUSR1: running the checks now") == 1)
        resolver.answerAll()
        #expect(await test.stop() == Daemon.exitStopped)
    }

    @Test("a run longer than the interval is followed at once by the next, with a warning")
    func overrun() async throws {
        let test = try DaemonUnderTest { $0.intervalSeconds = 60 }
        let resolver = test.resolvers[0]
        await resolver.waitUntilAsked(1)
        test.clock.advance(by: 75)
        resolver.answerAll()
        await resolver.waitUntilAsked(2)
        #expect(test.transcript.count("the run took 75.0s, longer than the interval (60s); the next run starts now")
                == 1)
        resolver.answerAll()
        await test.transcript.wait(for: Self.summary, count: 2)
        await test.clock.waitForWakeUp(in: 60)
        #expect(test.transcript.count("longer than the interval") == 1)
        #expect(await test.stop() == Daemon.exitStopped)
    }

    @Test("a reload during a run: the run ends with its own resolver, which is shut down then; the next uses the new")
    func reloadMidRun() async throws {
        let test = try DaemonUnderTest()
        let first = test.resolvers[0]
        await first.waitUntilAsked(1)
        test.change { $0.targets = CheckTargets(CheckTarget(IPAddress("192.0.2.11")!)) }
        test.post(.reload)
        await test.transcript.wait(for: "configuration reloaded: 1 address every 300s")
        #expect(!first.isShutDown, "the run in progress still asks it")
        first.answerAll()
        // STATUS= follows the summary line (the first STATUS= is the start's): waiting for it sees both.
        await test.transcript.wait(for: "notify: STATUS=", count: 2)
        #expect(first.isShutDown)
        // The finished run's address is no longer configured: it is not recorded.
        #expect(test.transcript.count("notify: STATUS=0/1 addresses OK (1 critical)") == 1)
        test.post(.runNow)
        let second = test.resolvers[1]
        await second.waitUntilAsked(1)
        #expect(first.asked == 1)
        second.answerAll()
        await test.transcript.wait(for: Self.summary, count: 2)
        #expect(!second.isShutDown)
        #expect(await test.stop() == Daemon.exitStopped)
    }

    @Test("a reload while idle that lowers the interval runs at the last start plus the new interval",
          .timeLimit(.minutes(1)))
    func reloadLowersInterval() async throws {
        let test = try DaemonUnderTest { $0.intervalSeconds = 3_600 }
        let resolver = test.resolvers[0]
        await resolver.waitUntilAsked(1)
        resolver.answerAll()
        await test.transcript.wait(for: Self.summary)
        test.clock.advance(by: 30)
        test.change { $0.intervalSeconds = 60 }
        test.post(.reload)
        await test.transcript.wait(for: "configuration reloaded: 1 address every 60s")
        // Begun at 0: the next run is at 60, 30 s from now, not at 3600.
        await test.clock.waitForWakeUp(in: 30)
        #expect(test.resolvers[1].asked == 0)
        test.clock.advance(by: 30)
        await test.resolvers[1].waitUntilAsked(1)
        test.resolvers[1].answerAll()
        await test.transcript.wait(for: Self.summary, count: 2)
        #expect(await test.stop() == Daemon.exitStopped)
    }

    @Test("a reload while idle to an interval that has passed since the last run began runs at once",
          .timeLimit(.minutes(1)))
    func reloadToPassedInterval() async throws {
        let test = try DaemonUnderTest { $0.intervalSeconds = 3_600 }
        await test.resolvers[0].waitUntilAsked(1)
        test.resolvers[0].answerAll()
        await test.transcript.wait(for: Self.summary)
        test.clock.advance(by: 100)
        test.change { $0.intervalSeconds = 90 }
        test.post(.reload)
        await test.transcript.wait(for: "configuration reloaded: 1 address every 90s")
        await test.resolvers[1].waitUntilAsked(1)
        test.resolvers[1].answerAll()
        await test.transcript.wait(for: Self.summary, count: 2)
        #expect(await test.stop() == Daemon.exitStopped)
    }

    @Test("a resolver made on reload that cannot have its full concurrency says so, as at start",
          .timeLimit(.minutes(1)))
    func reloadLogsConcurrencyReduction() async throws {
        let test = try DaemonUnderTest(concurrencyReduction: "concurrency 4096 reduced to 1000")
        await test.resolvers[0].waitUntilAsked(1)
        test.resolvers[0].answerAll()
        await test.transcript.wait(for: Self.summary)
        #expect(test.transcript.count("log: concurrency 4096 reduced to 1000") == 1)
        test.post(.reload)
        await test.transcript.wait(for: "configuration reloaded")
        #expect(test.transcript.count("log: concurrency 4096 reduced to 1000") == 2)
        #expect(await test.stop() == Daemon.exitStopped)
    }

    @Test("which nameservers the resolver asks instead of resolved's stub is logged once at start and once per reload",
          .timeLimit(.minutes(1)))
    func nameserverNoticeAtStartAndReload() async throws {
        let notice = "/etc/resolv.conf names only systemd-resolved's stub 127.0.0.53: asking 192.0.2.53 instead"
        let test = try DaemonUnderTest(nameserverNotice: notice)
        await test.resolvers[0].waitUntilAsked(1)
        test.resolvers[0].answerAll()
        await test.transcript.wait(for: Self.summary)
        #expect(test.transcript.count("log: " + notice) == 1)
        test.post(.reload)
        await test.transcript.wait(for: "configuration reloaded")
        #expect(test.transcript.count("log: " + notice) == 2)
        #expect(await test.stop() == Daemon.exitStopped)
    }

    @Test("two reloads during one run: the unused resolver stops at once, the run's when it ends, later runs go on")
    func twoReloadsMidRun() async throws {
        let test = try DaemonUnderTest()
        await test.resolvers[0].waitUntilAsked(1)
        test.post(.reload)
        test.post(.reload)
        await test.transcript.wait(for: "configuration reloaded", count: 2)
        let resolvers = test.resolvers
        #expect(resolvers.count == 3)
        #expect(resolvers.map(\.isShutDown) == [false, true, false])
        resolvers[0].answerAll()
        await test.transcript.wait(for: Self.summary)
        #expect(resolvers.map(\.isShutDown) == [true, true, false])
        await test.clock.waitForWakeUp(in: 300)
        test.clock.advance(by: 300)
        await resolvers[2].waitUntilAsked(1)
        resolvers[2].answerAll()
        await test.transcript.wait(for: Self.summary, count: 2)
        #expect(await test.stop() == Daemon.exitStopped)
    }

    @Test("an invalid configuration on reload is logged and the old one and its resolver kept")
    func invalidReload() async throws {
        let test = try DaemonUnderTest()
        let resolver = test.resolvers[0]
        await resolver.waitUntilAsked(1)
        test.change(errors: [ConfigurationError(file: "/etc/rdnscheck.conf", line: 2, message: "timeout 'forever'")])
        test.post(.reload)
        // READY=1 is the reload's last word (after the log lines): the one at start and this one.
        await test.transcript.wait(for: "notify: READY=1", count: 2)
        #expect(test.transcript.lines.suffix(5) == [
            "notify: RELOADING=1", "notify: MONOTONIC_USEC=1000000000",
            "log: /etc/rdnscheck.conf:2: timeout 'forever'",
            "log: SIGHUP: the new configuration has 1 error; keeping the old one", "notify: READY=1",
        ])
        #expect(test.resolvers.count == 1 && !resolver.isShutDown)
        resolver.answerAll()
        await test.transcript.wait(for: Self.summary)
        test.post(.runNow)
        await resolver.waitUntilAsked(2)
        resolver.answerAll()
        await test.transcript.wait(for: Self.summary, count: 2)
        #expect(await test.stop() == Daemon.exitStopped)
    }

    @Test("the watchdog is pinged every half WATCHDOG_USEC by the loop, also while a run outlasts many pings")
    func watchdogCadence() async throws {
        let test = try DaemonUnderTest(watchdogMicroseconds: 2_000_000)
        let resolver = test.resolvers[0]
        await resolver.waitUntilAsked(1)
        await test.transcript.wait(for: "notify: WATCHDOG=1")
        for ping in 2...6 {
            await test.clock.waitForWakeUp(in: 1)
            test.clock.advance(by: 1)
            await test.transcript.wait(for: "notify: WATCHDOG=1", count: ping)
        }
        // Half a period is not a period: no ping before the next one is due.
        await test.clock.waitForWakeUp(in: 1)
        test.clock.advance(by: 0.5)
        await test.clock.waitForWakeUp(in: 0.5)
        #expect(test.transcript.count("notify: WATCHDOG=1") == 6)
        #expect(test.transcript.count(Self.summary) == 0, "the run is still going")
        resolver.answerAll()
        await test.transcript.wait(for: Self.summary)
        #expect(await test.stop() == Daemon.exitStopped)
    }

    @Test("without a watchdog there are no pings and no wake-ups for them")
    func noWatchdog() async throws {
        let test = try DaemonUnderTest()
        await test.resolvers[0].waitUntilAsked(1)
        test.resolvers[0].answerAll()
        await test.transcript.wait(for: Self.summary)
        await test.clock.waitForWakeUp(in: 300)
        #expect(test.transcript.count("WATCHDOG") == 0)
        #expect(await test.stop() == Daemon.exitStopped)
    }

    @Test("with discovery the start names it; a stop while the aws command runs stops that command")
    func stopEndsTheAWSCommand() async throws {
        let aws = HeldAWS()
        let test = try DaemonUnderTest(hostSources: HostSources(discoverer: OneAddress(), aws: aws)) {
            $0.discovery = Configuration.Discovery(source: .ec2)
            $0.awsPTR = true
        }
        await test.transcript.wait(for: "log: rdnscheck started: 1 address and the addresses discover ec2 finds every "
                                        + "300s")
        await aws.waitUntilAsked()
        #expect(!aws.stopped)
        #expect(await test.stop() == Daemon.exitStopped)
        #expect(aws.stopped)
    }

    @Test("a stop in the middle of a run ends the loop at once, with STOPPING=1, the run not recorded")
    func stopMidRun() async throws {
        let test = try DaemonUnderTest()
        await test.resolvers[0].waitUntilAsked(1)
        #expect(await test.stop() == Daemon.exitStopped)
        #expect(test.transcript.lines.suffix(2) == ["notify: STOPPING=1", "log: stopping (interrupting a run)"])
        #expect(test.transcript.count(Self.summary) == 0)
    }

    @Test("temporary failures count across runs: a warning until fail-after runs, then critical")
    func failAfterAcrossRuns() async throws {
        let test = try DaemonUnderTest(outcome: .failure(.timeout)) { $0.policy.failAfter = 2 }
        let resolver = test.resolvers[0]
        await resolver.waitUntilAsked(1)
        resolver.answerAll()
        await test.transcript.wait(for: "notify: STATUS=0/1 addresses OK (1 warning)")
        test.post(.runNow)
        await resolver.waitUntilAsked(2)
        resolver.answerAll()
        await test.transcript.wait(for: "notify: STATUS=0/1 addresses OK (1 critical)")
        #expect(await test.stop() == Daemon.exitStopped)
    }
}

/// A discovery that finds one address.
private struct OneAddress: AddressDiscoverer {
    var source: DiscoverySource { .ec2 }

    func discover() async throws(DiscoveryError) -> DiscoveredAddresses {
        DiscoveredAddresses(source: .ec2, addresses: [IPAddress("192.0.2.20")!])
    }
}

/// An `aws` command that answers only when stopped (then it fails, as a killed command does).
private final class HeldAWS: AWSPTRSource {
    private struct State {
        var held: CheckedContinuation<Void, Never>?
        var asked: CheckedContinuation<Void, Never>?
        var wasAsked = false
        var stopped = false
    }

    private let state = Locked(State())

    var stopped: Bool { state.withLock { $0.stopped } }

    func records(region: String?) async throws(AWSUnavailable) -> [IPAddress: AWSAddressRecord] {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (asked, alreadyStopped) = state.withLock { state in
                state.wasAsked = true
                let asked = state.asked
                state.asked = nil
                if !state.stopped { state.held = continuation }
                return (asked, state.stopped)
            }
            asked?.resume()
            if alreadyStopped { continuation.resume() }
        }
        throw AWSUnavailable("stopped")
    }

    /// Returns once `records` was called.
    func waitUntilAsked() async {
        await withCheckedContinuation { continuation in
            let now = state.withLock { state in
                if !state.wasAsked { state.asked = continuation }
                return state.wasAsked
            }
            if now { continuation.resume() }
        }
    }

    func stopAll() {
        let held = state.withLock { state in
            state.stopped = true
            defer { state.held = nil }
            return state.held
        }
        held?.resume()
    }
}
