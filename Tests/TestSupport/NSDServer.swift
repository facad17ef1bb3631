import Foundation
import Glibc

/// A real NSD (the authoritative server from NLnet Labs) serving zone files on a free high port of
/// 127.0.0.1 and, when the host has it, ::1 (same port), for integration tests.
///
///     let nsd = try NSDServer.start(zones: NSDServer.standardZones())
///     defer { nsd.stop() }
///     // query 127.0.0.1:nsd.port
///
/// `start` returns only once nsd answers an SOA query for every zone with NOERROR, so a test never
/// races a server that is still loading; on failure the error carries nsd's log.
///
/// Sendable so a suite can share one server across concurrent tests (see `SupervisedServer`).
public final class NSDServer: Sendable {
    /// Where Debian's `nsd` package puts the daemon.
    public static let executablePath = "/usr/sbin/nsd"

    /// The port nsd listens on, UDP and TCP.
    public let port: UInt16
    /// Whether nsd also listens on ::1 (only when the host has an IPv6 loopback).
    public let servesIPv6: Bool
    /// Zone name -> zone file, as served.
    public let zones: [String: String]
    /// The temporary directory with nsd.conf, the log and nsd's state files; removed by `stop()`.
    public var workDirectory: String { server.workDirectory }

    /// nsd under its supervisor, stopped once (also when this is freed).
    let server: SupervisedServer

    init(port: UInt16, servesIPv6: Bool, zones: [String: String], workDirectory: String,
         process: Process, lifeline: FileHandle) {
        self.port = port
        self.servesIPv6 = servesIPv6
        self.zones = zones
        server = SupervisedServer(workDirectory: workDirectory, process: process, lifeline: lifeline)
    }

    /// Starts nsd (`nsd -d -c CONF`, in the foreground under a supervisor shell) serving `zones` (zone name
    /// -> zone file path) and waits until it answers, at most `timeout` seconds per attempt. Retries on
    /// a fresh port if another process grabbed the chosen one in between.
    public static func start(zones: [String: String], timeout: TimeInterval = 10) throws -> NSDServer {
        guard FileManager.default.isExecutableFile(atPath: executablePath) else {
            throw TestSupportError("nsd is not installed: run `apt-get install nsd` (make test does this)")
        }
        let ipv6 = Loopback.hasIPv6
        var attempt = 1
        while true {
            do {
                return try launch(zones: zones, ipv6: ipv6, timeout: timeout)
            } catch let clash as PortClash {
                guard attempt < 5 else { throw clash.underlying }
                attempt += 1
            }
        }
    }

    /// One NSD serving Tests/Zones for the whole test process (every test module shares it), started on first
    /// use off Swift's cooperative threads (starting it blocks) and stopped at exit.
    public static func standard() async throws -> NSDServer {
        try await offThePool { try standardServer.get() }
    }

    private static let standardServer: Result<NSDServer, any Error> = {
        let result = Result { try start(zones: standardZones()) }
        if case .success = result {
            atexit { try? NSDServer.standardServer.get().stop() }
        }
        return result
    }()

    /// The absolute path of Tests/Zones, from this source file's location.
    public static var zonesDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Zones").path
    }

    /// Every zone in Tests/Zones (zone name, from the file's `$ORIGIN`, -> zone file path).
    public static func standardZones() -> [String: String] {
        NSDConfig.zones(in: zonesDirectory)
    }

    /// What nsd wrote to its log file and to stderr so far.
    public var log: String {
        let files = ["nsd.log", "nsd.stderr"].map { workDirectory + "/" + $0 }
        return files.compactMap { try? String(contentsOfFile: $0, encoding: .utf8) }.joined()
    }

    /// Sends nsd SIGTERM and waits for it to exit (SIGKILL to its process group after 5 s), then removes
    /// the work directory. Idempotent; also done on deinit. nsd also stops by itself when the test process
    /// exits or dies, even if this is never called (see `NSDSupervisor`).
    public func stop() {
        server.stop()
    }
}
