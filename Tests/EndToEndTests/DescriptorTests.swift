import Foundation
import Glibc
import Testing
import TestSupport

/// Descriptors: the standard three always valid, and lookups that never fail for want of a descriptor.
@Suite("rdnscheck and its descriptors")
struct DescriptorTests {
    /// Runs the built binary through `sh -c` with `setup` (a `ulimit`) first.
    private func rdnscheck(after setup: String, _ arguments: [String]) async throws -> ProcessResult {
        let binary = ProcessRunner.builtProduct("rdnscheck")
        return try await offThePool {
            try ProcessRunner.run("/bin/sh", arguments: ["-c", setup + " && exec \"$0\" \"$@\"", binary] + arguments,
                                  timeout: 120)
        }
    }

    /// The problems of every result in a JSON report.
    private func problems(_ result: ProcessResult) throws -> [String] {
        let results = try #require(try jsonObject(result)["results"] as? [[String: Any]])
        #expect(results.count == 64)
        return results.flatMap { ($0["problems"] as? [[String: Any]] ?? []).compactMap { $0["message"] as? String } }
    }

    /// 64 addresses through the pipelined engine (its descriptor budget), each a truncated UDP reply and a TCP
    /// connection that never answers, one attempt of 1 s.
    private func truncatingServerArguments(_ server: FaultServer) throws -> [String] {
        ["--once", "--engine", "pipelined", "--format", "json", "-c", try temporaryFile("attempts 1\n"),
         "--timeout", "1s", "--nameserver", "127.0.0.1:\(server.port)", "198.18.0.0/26"]
    }

    @Test("a low open-files limit and a server that stalls on TCP give timeouts, never 'Too many open files'")
    func lowLimitGivesTimeouts() async throws {
        let server = try FaultServer(rules: [:], defaultBehaviour: .truncatedThenTCPStall)
        defer { server.stop() }
        let result = try await rdnscheck(after: "ulimit -n 64",
                                         try truncatingServerArguments(server) + ["--concurrency", "4096"])
        #expect(result.exitStatus == 1, "\(result.stderrText)")
        let messages = try problems(result)
        #expect(messages.count == 64)
        #expect(messages.allSatisfy { $0.contains("failed: timeout") }, "\(Set(messages.map { $0.suffix(60) }))")
        #expect(!result.stdoutText.contains("Too many open files"))
        #expect(result.stderrText.contains("concurrency reduced from 4096 to 16 queries in flight: the open-files "
                                           + "limit (RLIMIT_NOFILE) is 64"), "\(result.stderrText)")
    }

    @Test("a soft open-files limit too low for the window is raised toward the hard limit, not the window cut")
    func softLimitIsRaised() async throws {
        let server = try FaultServer(rules: [:], defaultBehaviour: .truncatedThenTCPStall)
        defer { server.stop() }
        let result = try await rdnscheck(after: "ulimit -S -n 64", try truncatingServerArguments(server))
        #expect(result.exitStatus == 1, "\(result.stderrText)")
        #expect(try problems(result).allSatisfy { $0.contains("failed: timeout") })
        #expect(result.stderrText.isEmpty)
    }

    @Test("started with descriptor 0, 1 or 2 closed, rdnscheck has it on /dev/null, and its report is not lost",
          arguments: [Int32(0), 1, 2])
    func closedStandardDescriptor(closed: Int32) async throws {
        // Silent: the run lasts its 5 s x 2 attempts, time enough to look at its descriptors even when this test
        // is held up for seconds by everything else running at once (with 2 s x 2 it was seen to miss the run).
        let server = try FaultServer(rules: [:], defaultBehaviour: .drop)
        defer { server.stop() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec \"$0\" \"$@\" \(closed)>&-", ProcessRunner.builtProduct("rdnscheck"),
                             "--once", "--format", "json", "--timeout", "5s",
                             "--nameserver", "127.0.0.1:\(server.port)", "192.0.2.1"]
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        // Once the query is out, the resolver's descriptors (a socket; the pipelined engine's eventfd and epoll
        // too) are open: one of them would have taken the closed number.
        let reverseName = FaultServer.reverseName(ipv4: "192.0.2.1")
        for _ in 0..<1_000 where server.queryCount(for: reverseName) == 0 && process.isRunning {
            try await Task.sleep(for: .milliseconds(10))
        }
        let target = try? FileManager.default.destinationOfSymbolicLink(
            atPath: "/proc/\(process.processIdentifier)/fd/\(closed)")
        #expect(target == "/dev/null", "the run had \(process.isRunning ? "not " : "")ended")
        let output = try await offThePool {
            let data = ProcessRunner.readToEnd(stdout.fileHandleForReading)
            _ = ProcessRunner.readToEnd(stderr.fileHandleForReading)
            process.waitUntilExit()
            return data
        }
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 1)
        let report = try? JSONSerialization.jsonObject(with: output) as? [String: Any]
        if closed == 1 {
            #expect(output.isEmpty)
        } else {
            #expect(report?["status"] as? String == "warning", "\(String(decoding: output, as: UTF8.self))")
        }
    }
}
