import Foundation
import Glibc

/// A real Unbound (the validating recursive resolver from NLnet Labs) on a free high port of 127.0.0.1, resolving
/// only through an authoritative server on loopback, for tests of what a receiver's resolver does:
///
///     let unbound = try UnboundServer.start(stubZones: ["example.test"], authoritativePort: nsd.port,
///                                           trustAnchors: ["example.test. DS 1 13 2 00…"])
///     defer { unbound.stop() }
///
/// Every name, the root included, is a stub zone of the authoritative server, so Unbound never asks the internet;
/// the default local zones of RFC 6303 and RFC 6761 that the zones fall under are turned off. A trust anchor makes
/// Unbound validate the zone under it. It runs as a plain process (foreground, no chroot, no privilege drop, its
/// files in a temporary directory) under `NSDSupervisor`, which stops it when the test process ends however it ends.
public final class UnboundServer: Sendable {
    /// Where Debian's `unbound` package puts the daemon.
    public static let executablePath = "/usr/sbin/unbound"

    /// Whether Unbound is installed (tests skip without it, saying so).
    public static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: executablePath) }

    /// The port Unbound listens on, UDP and TCP, on 127.0.0.1.
    public let port: UInt16
    public var workDirectory: String { server.workDirectory }
    /// Unbound under its supervisor, stopped once (also when this is freed).
    private let server: SupervisedServer

    private init(port: UInt16, workDirectory: String, process: Process, lifeline: FileHandle) {
        self.port = port
        server = SupervisedServer(workDirectory: workDirectory, process: process, lifeline: lifeline)
    }

    /// Starts Unbound resolving `stubZones` (and everything else) at 127.0.0.1:`authoritativePort`, validating under
    /// `trustAnchors` (presentation-format DS or DNSKEY records), and waits until it answers. Retries on a fresh
    /// port if another process took the one chosen.
    public static func start(stubZones: [String], authoritativePort: UInt16, trustAnchors: [String] = [],
                             timeout: TimeInterval = 10) throws -> UnboundServer {
        guard isInstalled else {
            throw TestSupportError("unbound is not installed: run `apt-get install unbound` (make test does this)")
        }
        var attempt = 1
        while true {
            let probe = try Loopback.bindPortSockets(ipv6: false)
            probe.closeAll()
            let directory = try NSDServer.makeTemporaryDirectory("unbound")
            let config = directory + "/unbound.conf"
            try configuration(port: probe.port, directory: directory, stubZones: stubZones,
                              authoritativePort: authoritativePort, trustAnchors: trustAnchors)
                .write(toFile: config, atomically: true, encoding: .utf8)
            _ = FileManager.default.createFile(atPath: directory + "/unbound.stderr", contents: nil)
            let output = FileHandle(forWritingAtPath: directory + "/unbound.stderr")
            defer { try? output?.close() }
            let (process, lifeline) = try NSDSupervisor.start(nsd: executablePath, config: config,
                                                              directory: directory, output: output)
            let server = UnboundServer(port: probe.port, workDirectory: directory, process: process,
                                       lifeline: lifeline)
            let deadline = Date().addingTimeInterval(timeout)
            // Any reply will do: the probe asks without RD, which Unbound may refuse.
            while process.isRunning, Date() < deadline,
                  DNSProbe.query(stubZones.first ?? ".", type: DNSWire.typeSOA, port: probe.port) == nil {
                usleep(50_000)
            }
            if process.isRunning, Date() < deadline { return server }
            let log = server.log
            server.stop()
            guard log.contains("Address already in use"), attempt < 5 else {
                throw TestSupportError("unbound did not answer within \(timeout) s (port \(probe.port))\n"
                                       + "--- unbound log ---\n\(log)")
            }
            attempt += 1
        }
    }

    /// unbound.conf: foreground, one thread, no chroot or privilege drop, queries to loopback allowed, every zone a
    /// stub of the authoritative server (the root too, so nothing leaves the machine), no remote control.
    static func configuration(port: UInt16, directory: String, stubZones: [String], authoritativePort: UInt16,
                              trustAnchors: [String]) -> String {
        var lines = [
            "server:",
            "    interface: 127.0.0.1@\(port)",
            "    port: \(port)",
            "    do-ip6: no",
            "    num-threads: 1",
            "    do-daemonize: no",
            "    chroot: \"\"",
            "    username: \"\"",
            "    directory: \"\(directory)\"",
            "    pidfile: \"\(directory)/unbound.pid\"",
            "    use-syslog: no",
            "    logfile: \"\"",
            "    verbosity: 1",
            "    val-log-level: 2",
            "    do-not-query-localhost: no",
        ]
        // Unbound answers the test names (RFC 6761) and the documentation ranges' reverse zones (RFC 6303) itself.
        for zone in ["test"] + stubZones.filter({ $0.hasSuffix(".arpa") }) {
            lines.append("    local-zone: \"\(zone).\" nodefault")
        }
        for anchor in trustAnchors { lines.append("    trust-anchor: \"\(anchor)\"") }
        lines += ["remote-control:", "    control-enable: no"]
        for zone in stubZones + ["."] {
            lines += ["stub-zone:", "    name: \"\(zone)\"", "    stub-addr: 127.0.0.1@\(authoritativePort)"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What Unbound wrote to stderr so far (its log: `logfile: ""`).
    public var log: String {
        (try? String(contentsOfFile: workDirectory + "/unbound.stderr", encoding: .utf8)) ?? ""
    }

    /// Stops Unbound (SIGTERM, SIGKILL after 5 s) and removes its directory. Idempotent; also done on deinit.
    public func stop() {
        server.stop()
    }
}
