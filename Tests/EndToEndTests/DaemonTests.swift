import Foundation
import Glibc
import Testing
import TestSupport

/// A configuration checking `addresses` against `port` on 127.0.0.1, with `extra` lines.
func daemonConfig(port: UInt16, addresses: [String], interval: String = "1h", extra: String = "") throws
    -> String {
    try temporaryFile("""
        nameserver 127.0.0.1:\(port)
        timeout 1s
        attempts 1
        interval \(interval)
        \(extra)
        \(addresses.map { "check \($0)" }.joined(separator: "\n"))

        """)
}

/// The daemon under a real `NOTIFY_SOCKET`: the systemd protocol, signals and exit codes.
@Suite("rdnscheck daemon")
struct DaemonTests {
    @Test("READY, STATUS after each run, RELOADING/READY on SIGHUP, a run on SIGUSR1, STOPPING and exit 0 on SIGTERM",
          arguments: [false, true])
    func notifyProtocol(abstractSocket: Bool) async throws {
        let nsd = try await NSDServer.standard()
        let listener = try NotifyListener(abstract: abstractSocket)
        let config = try daemonConfig(port: nsd.port, addresses: ["192.0.2.10", "192.0.2.15"])
        let daemon = try DaemonProcess(["-c", config], environment: ["NOTIFY_SOCKET": listener.socketName])

        #expect(await listener.wait(forLine: "READY=1"), "\(daemon.log)")
        let status = await listener.wait(for: { $0.hasPrefix("STATUS=1/2 addresses OK (1 warning); next run ") })
        #expect(status != nil, "\(listener.messages) \(daemon.log)")

        let beforeRun = listener.messages.count
        daemon.signal(SIGUSR1)
        #expect(await listener.wait(forLine: "STATUS=1/2 addresses OK", after: beforeRun),
                "SIGUSR1 runs the checks now")

        let beforeReload = listener.messages.count
        daemon.signal(SIGHUP)
        #expect(await listener.wait(forLine: "READY=1", after: beforeReload))
        let reloading = listener.messages.dropFirst(beforeReload).first { $0.hasPrefix("RELOADING=1") }
        #expect(reloading?.contains("\nMONOTONIC_USEC=") == true, "\(listener.messages)")

        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
        #expect(listener.messages.last?.contains("STOPPING=1") == true)
        #expect(!daemon.log.contains("error"), "\(daemon.log)")
    }

    @Test("WATCHDOG=1 comes with WATCHDOG_USEC, also during a run that outlasts several periods")
    func watchdogPings() async throws {
        // The cadence is DaemonLoopTests' (a manual clock): here only that the pings reach the real socket while
        // a lookup is pending, with bounds wide enough for a busy machine.
        let server = try FaultServer(rules: [:], defaultBehaviour: .drop)
        defer { server.stop() }
        let listener = try NotifyListener(abstract: false)
        let config = try temporaryFile("""
            nameserver 127.0.0.1:\(server.port)
            timeout 30s
            attempts 1
            check 192.0.2.50

            """)
        let daemon = try DaemonProcess(["-c", config], environment: ["NOTIFY_SOCKET": listener.socketName,
                                                                      "WATCHDOG_USEC": "200000"])
        #expect(await listener.wait(forLine: "READY=1"))
        let deadline = Date().addingTimeInterval(20)
        while listener.messages.count(where: { $0 == "WATCHDOG=1" }) < 5 && Date() < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(listener.messages.count { $0 == "WATCHDOG=1" } >= 5, "\(listener.messages)")
        #expect(!listener.messages.contains { $0.hasPrefix("STATUS=0/1") }, "the run is still waiting for its lookup")
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 10) == 0)
    }

    @Test("WATCHDOG_PID of another process means the watchdog is not ours to ping")
    func watchdogForAnotherProcess() async throws {
        let nsd = try await NSDServer.standard()
        let listener = try NotifyListener(abstract: true)
        let config = try daemonConfig(port: nsd.port, addresses: ["192.0.2.10"])
        let daemon = try DaemonProcess(["-c", config], environment: ["NOTIFY_SOCKET": listener.socketName,
                                                                      "WATCHDOG_USEC": "200000", "WATCHDOG_PID": "1"])
        #expect(await listener.wait(forLine: "READY=1"))
        try await Task.sleep(for: .seconds(0.5))
        #expect(!listener.messages.contains("WATCHDOG=1"))
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
    }

    @Test("SIGTERM in the middle of a run stops without waiting for the lookup (30 s)")
    func stopMidRun() async throws {
        let server = try FaultServer(rules: [:], defaultBehaviour: .drop)
        defer { server.stop() }
        let config = try temporaryFile("""
            nameserver 127.0.0.1:\(server.port)
            timeout 30s
            attempts 1
            check 192.0.2.50

            """)
        let daemon = try DaemonProcess(["-c", config])
        #expect(await daemon.waitForLog("started"))
        let reverseName = FaultServer.reverseName(ipv4: "192.0.2.50")
        for _ in 0..<1_000 where server.queryCount(for: reverseName) == 0 {
            try await Task.sleep(for: .milliseconds(10))
        }
        let sent = Date()
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit(timeout: 20) == 0)
        #expect(Date().timeIntervalSince(sent) < 20)
        #expect(daemon.log.contains("stopping (interrupting a run)"), "\(daemon.log)")
    }

    @Test("an invalid configuration at start exits 6 and logs every error")
    func invalidConfigurationAtStart() async throws {
        let config = try temporaryFile("interval never\ncheck 192.0.2.10\nnameserver nowhere\n")
        let daemon = try DaemonProcess(["-c", config])
        #expect(await daemon.waitForExit() == 6)
        #expect(daemon.log.contains("\(config):1: interval 'never'"))
        #expect(daemon.log.contains("\(config):3: 'nowhere' is not a nameserver"))
    }

    @Test("an invalid configuration on SIGHUP is logged and the old one kept")
    func invalidReloadKeepsOld() async throws {
        let nsd = try await NSDServer.standard()
        let listener = try NotifyListener(abstract: false)
        let config = try daemonConfig(port: nsd.port, addresses: ["192.0.2.10"])
        let daemon = try DaemonProcess(["-c", config], environment: ["NOTIFY_SOCKET": listener.socketName])
        #expect(await listener.wait(for: { $0.hasPrefix("STATUS=1/1 addresses OK") }) != nil)
        try "check 192.0.2.10\ntimeout forever\n".write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(await daemon.waitForLog("keeping the old one"))
        #expect(daemon.log.contains("\(config):2: timeout 'forever'"))
        let before = listener.messages.count
        daemon.signal(SIGUSR1)
        #expect(await listener.wait(forLine: "STATUS=1/1 addresses OK", after: before),
                "still checking with the old configuration")
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
    }

    @Test("a valid configuration on SIGHUP takes effect for the next run")
    func reloadTakesEffect() async throws {
        let nsd = try await NSDServer.standard()
        let config = try daemonConfig(port: nsd.port, addresses: ["192.0.2.10"])
        let daemon = try DaemonProcess(["-c", config])
        #expect(await daemon.waitForLog("1 address: 1 ok"))
        try String(contentsOfFile: config, encoding: .utf8).appending("check 192.0.2.11\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        daemon.signal(SIGHUP)
        #expect(await daemon.waitForLog("configuration reloaded: 2 addresses"))
        daemon.signal(SIGUSR1)
        #expect(await daemon.waitForLog("2 addresses: 1 ok, 0 warning, 1 critical"))
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
    }
}
