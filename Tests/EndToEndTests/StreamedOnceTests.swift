import Foundation
import Testing
import TestSupport

/// The run's start and duration, the only things two runs of the same checks print differently.
private func withoutTimes(_ output: String) throws -> String {
    output.replacing(try Regex(#""checked_at": "[^"]*""#), with: #""checked_at": """#)
        .replacing(try Regex(#"\d+\.\d{3}(s|,)"#), with: { "0.000" + $0.output[1].substring! })
}

/// `--once` without a state file writes its report as the results come; with one it keeps the whole run for the
/// state. Both print the same.
@Suite("rdnscheck --once writing as the results come")
struct StreamedOnceTests {
    /// 4,096 addresses around the test zones' 192.0.2.0/24 (NSD refuses the others: temporary failures), more than
    /// either engine's reorder buffer holds (1,224 and 1,056 results), so admission waits for the oldest check.
    static let range = "192.0.0.0/20"

    @Test("a range prints what a first run with a state file (the whole report) prints, every format and engine",
          arguments: ["text", "nagios", "json"], ["pipelined", "libresolv"])
    func sameAsTheWholeReport(format: String, engine: String) async throws {
        let arguments = ["--format", format, "--engine", engine, Self.range]
        let streamed = try await rdnscheckOnce(arguments)
        let state = try temporaryFile("", name: "state.json")
        try FileManager.default.removeItem(atPath: state)
        let whole = try await rdnscheckOnce(["--state", state] + arguments)
        #expect(streamed.exitStatus == 2)
        #expect(whole.exitStatus == streamed.exitStatus)
        #expect(try withoutTimes(streamed.stdoutText) == withoutTimes(whole.stdoutText))
        #expect(streamed.stdoutText.contains("192.0.2.11"))
        #expect(streamed.stderrText == whole.stderrText)
    }

    @Test("--quiet prints nothing for an OK range, and all for one that is not", arguments: ["text", "nagios", "json"])
    func quiet(format: String) async throws {
        let okRange = try await rdnscheckOnce(["--quiet", "--format", format, "198.51.100.32/28"])
        #expect(okRange.exitStatus == 0)
        #expect(okRange.stdout.isEmpty && okRange.stderr.isEmpty)
        let notOK = try await rdnscheckOnce(["--quiet", "--format", format, "192.0.2.0/28"])
        let loud = try await rdnscheckOnce(["--format", format, "192.0.2.0/28"])
        #expect(notOK.exitStatus == 2)
        #expect(try withoutTimes(notOK.stdoutText) == withoutTimes(loud.stdoutText))
    }
}
