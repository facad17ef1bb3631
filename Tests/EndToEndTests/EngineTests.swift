import Foundation
import Testing
import TestSupport

/// `engine libresolv|pipelined` and `--engine`: the same answers whichever engine asks.
@Suite("rdnscheck engines")
struct EngineTests {
    /// Every address of the test zones, each case of SPEC's check among them.
    private static let zoneAddresses = (10...28).map { "192.0.2.\($0)" }
        + ["192.0.2.65", "192.0.2.66", "198.51.100.32/28", "2001:db8::25"]

    /// The JSON report of `--once` with `arguments`, the timing fields masked.
    private func report(_ arguments: [String]) async throws -> (Int32, String) {
        let result = try await rdnscheckOnce(["--format", "json", "192.0.2.22=mail.example.test"] + arguments
                                             + EngineTests.zoneAddresses)
        #expect(result.stderrText.isEmpty, "\(result.stderrText)")
        let masked = result.stdoutText
            .replacing(/"checked_at": "[^"]*"/, with: "\"checked_at\": \"\"")
            .replacing(/"duration_seconds": [0-9.]+/, with: "\"duration_seconds\": 0")
        return (result.exitStatus, masked)
    }

    @Test("libresolv (the default) and the pipelined engine give identical JSON on the test zones")
    func enginesAgree() async throws {
        let (defaultStatus, byDefault) = try await report([])
        let (libresolvStatus, libresolv) = try await report(["--engine", "libresolv"])
        let (pipelinedStatus, pipelined) = try await report(["--engine", "pipelined"])
        #expect(defaultStatus == 2 && libresolvStatus == 2 && pipelinedStatus == 2)
        #expect(byDefault == libresolv)
        #expect(libresolv == pipelined)
        #expect(libresolv.contains("\"address\": \"192.0.2.23\""), "\(libresolv)")
    }

    /// The pipelined engine says when the open-files limit cuts its window; libresolv's pool has no window.
    private static let reduced = "concurrency reduced from 4096 to 16 queries in flight"

    @Test("the file's engine is used unless --engine says otherwise; a bad engine is a clear error", arguments: [
        ("engine pipelined\n", [], Int32(0), reduced),
        ("engine pipelined\n", ["--engine", "libresolv"], 0, ""),
        ("", ["--engine", "pipelined"], 0, reduced),
        ("", [], 0, ""),
        ("engine udp\n", [], 3, ":1: engine 'udp' must be libresolv or pipelined"),
        ("", ["--engine", "udp"], 3, "unknown engine 'udp' (use libresolv or pipelined); see 'rdnscheck --help'"),
    ] as [(String, [String], Int32, String)])
    func engineChoice(file: String, arguments: [String], exitStatus: Int32, stderr: String) async throws {
        let port = try await NSDServer.standard().port
        let arguments = ["--once", "-c", try temporaryFile(file), "--nameserver", "127.0.0.1:\(port)",
                         "--concurrency", "4096"] + arguments + ["192.0.2.10"]
        let binary = ProcessRunner.builtProduct("rdnscheck")
        let result = try await offThePool {
            try ProcessRunner.run("/bin/sh", arguments: ["-c", "ulimit -n 64 && exec \"$0\" \"$@\"", binary]
                                      + arguments, timeout: 60)
        }
        #expect(result.exitStatus == exitStatus, "\(result.stderrText)")
        #expect(stderr.isEmpty ? result.stderrText.isEmpty : result.stderrText.contains(stderr),
                "\(result.stderrText)")
    }
}
