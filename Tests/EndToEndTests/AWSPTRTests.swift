import Foundation
import Glibc
import Testing
import TestSupport

/// Runs Tests/Scripts/ec2-demo.sh (what `make demo` shows): the real binary with `discover ec2` and `aws-ptr on`,
/// the metadata-service and EC2 API stand-ins, the real `aws` command with the instance role's credentials, NSD.
private func ec2Demo(_ arguments: [String]) async throws -> ProcessResult {
    let port = try await NSDServer.standard().port
    let directory = NSTemporaryDirectory() + "rdnscheck-ec2-\(UUID().uuidString)"
    // No AWS_* of the machine running the tests: the credentials must come from the instance role.
    let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("AWS_") }
    return try await offThePool {
        try ProcessRunner.run(repositoryRoot + "/Tests/Scripts/ec2-demo.sh",
                              arguments: [directory, "\(port)", ProcessRunner.builtProduct("rdnscheck")] + arguments,
                              environment: environment, timeout: 120)
    }
}

private let awsCLI = "/usr/bin/aws"

@Suite("aws-ptr on end to end: AWS's record of each Elastic IP's PTR beside live DNS",
       .enabled(if: FileManager.default.isExecutableFile(atPath: awsCLI), "needs Debian's awscli (/usr/bin/aws)"))
struct AWSPTRTests {
    @Test("pending, failed, differing and agreeing records give their verdicts, fix lines and JSON")
    func verdicts() async throws {
        let result = try await ec2Demo(["--format", "json"])
        #expect(result.exitStatus == 2, "\(result.stderrText)")
        let json = try jsonObject(result)
        #expect((json["aws"] as? [String: Any])?["ok"] as? Bool == true, "\(result.stdoutText)")
        #expect((json["problems"] as? [Any])?.isEmpty == true)
        let results = try #require(json["results"] as? [[String: Any]])
        func entry(_ address: String) throws -> [String: Any] {
            try #require(results.first { $0["address"] as? String == address })
        }
        func codes(_ address: String) throws -> [String] {
            try (entry(address)["problems"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
        }
        #expect(results.map { $0["status"] as? String } == ["warning", "critical", "critical", "warning", "ok"])
        // .25: the AWS default name now, an update to a name that confirms on its way: nothing to do but wait.
        #expect(try codes("203.0.113.25") == ["generic-ptr", "ptr-update-pending"])
        let pending = try #require(try entry("203.0.113.25")["problems"] as? [[String: Any]])
        #expect(pending.allSatisfy { $0["fix"] is NSNull })
        let record = try #require(try entry("203.0.113.25")["aws"] as? [String: Any])
        #expect(record["allocation_id"] as? String == "eipalloc-0a1b2c3d4e5f60025")
        #expect(record["ptr_record"] as? String == "ec2-203-0-113-25.compute-1.amazonaws.com")
        #expect((record["update"] as? [String: Any])?["status"] as? String == "pending")
        // .26: the pending update's name has no A record: AWS will refuse it.
        #expect(try codes("203.0.113.26") == ["forward-mismatch", "ptr-update-pending"])
        // .27: the update failed, with AWS's reason; the fix is the command to ask again.
        #expect(try codes("203.0.113.27") == ["no-ptr", "ptr-update-failed"])
        let failed = try #require(try (entry("203.0.113.27")["problems"] as? [[String: Any]])?.last)
        #expect((failed["message"] as? String)?.hasSuffix("did not resolve to 203.0.113.27") == true)
        #expect(failed["fix"] as? String == "make sure mail27.example.test. IN A 203.0.113.27 exists, then "
                    + "run: aws ec2 modify-address-attribute --allocation-id "
                    + "eipalloc-0a1b2c3d4e5f60027 --domain-name mail27.example.test --region us-east-1")
        #expect(try codes("203.0.113.28") == ["aws-ptr-mismatch"])
        #expect(try codes("203.0.113.29").isEmpty)
        #expect(results.allSatisfy { $0["source"] as? String == "ec2" })
    }

    @Test("the text report shows the pending update and the fix lines")
    func text() async throws {
        let result = try await ec2Demo([])
        let lines = result.stdoutText.lines
        #expect(lines.contains { $0.hasPrefix("WARNING   203.0.113.25") && $0.contains("ptr-update-pending: ") })
        #expect(lines.contains("  fix: add an A record: new26.example.test. IN A 203.0.113.26 (AWS's pending PTR "
                               + "update to new26.example.test needs it)"))
        #expect(lines.contains("  fix: set AWS's record to mail28.example.test: run: aws ec2 modify-address-attribute "
                               + "--allocation-id eipalloc-0a1b2c3d4e5f60028 --domain-name mail28.example.test "
                               + "--region us-east-1"))
    }

    @Test("an aws command that fails: aws-unavailable saying why, and the verdicts stand on DNS alone")
    func unavailable() async throws {
        let port = try await NSDServer.standard().port
        let directory = NSTemporaryDirectory() + "rdnscheck-awsfail-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try writeShellScript("echo >&2\necho 'Unable to locate credentials' >&2\nexit 253\n", to: directory + "/aws")
        let config = try temporaryFile("aws-ptr on\naws-command \(directory)/aws\ncheck 203.0.113.29\n")
        let result = try await rdnscheck(["--once", "-c", config, "--nameserver", "127.0.0.1:\(port)",
                                          "--format", "json"])
        #expect(result.exitStatus == 1, "the run-level WARNING raises an OK address's run")
        let json = try jsonObject(result)
        #expect((json["aws"] as? [String: Any])?["ok"] as? Bool == false)
        let problems = try #require(json["problems"] as? [[String: String]])
        #expect(problems.map { $0["code"] } == ["aws-unavailable"])
        #expect(problems.first?["message"]?.contains("exited with status 253: Unable to locate credentials") == true)
        #expect((json["results"] as? [[String: Any]])?.first?["status"] as? String == "ok")
    }

    @Test("--preflight with aws-ptr on: the instance's region, an Elastic IP's command, an address that is not one")
    func preflight() async throws {
        let port = try await NSDServer.standard().port
        let scenarios = repositoryRoot + "/Tests/Stubs/scenarios/"
        let metadata = try MetadataStub(scenario: try String(contentsOfFile: scenarios + "instance.json",
                                                             encoding: .utf8))
        let ec2 = try EC2APIStub.start(scenario: try String(contentsOfFile: scenarios + "elastic-ips.json",
                                                            encoding: .utf8))
        defer { ec2.stop() }
        let directory = NSTemporaryDirectory() + "rdnscheck-preflight-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try writeShellScript("exec \(awsCLI) --endpoint-url \(ec2.endpoint) \"$@\"\n", to: directory + "/aws")
        let config = try temporaryFile("discover ec2\naws-ptr on\naws-command \(directory)/aws\n")
        let environment = ["PATH": "/usr/bin:/bin", "HOME": directory,
                           "AWS_EC2_METADATA_SERVICE_ENDPOINT": metadata.endpoint + "/"]
        let result = try await rdnscheck(["--preflight", "-c", config, "--nameserver", "127.0.0.1:\(port)",
                                          "203.0.113.28=mail28.example.test", "198.51.100.32=r32.example.test"],
                                         environment: environment)
        #expect(result.exitStatus == 2, "\(result.stdoutText)\(result.stderrText)")
        let lines = result.stdoutText.lines
        #expect(lines.contains("  run: aws ec2 modify-address-attribute --allocation-id eipalloc-0a1b2c3d4e5f60028 "
                               + "--domain-name mail28.example.test --region us-east-1"))
        #expect(lines.contains { $0.hasPrefix("NOT READY  198.51.100.32=r32.example.test") && $0.contains(
            "not-elastic-ip: 198.51.100.32: not an Elastic IP of this AWS account in us-east-1") })
        #expect(metadata.requests.contains { $0.hasPrefix("GET /latest/meta-data/placement/region 200") })
    }


    @Test("SIGTERM during the checks ends --once at once, and the aws command it started with it",
          .timeLimit(.minutes(1)))
    func signalDuringTheChecks() async throws {
        let directory = NSTemporaryDirectory() + "rdnscheck-awsterm-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let started = directory + "/started"
        // An aws command that never answers (as awscli against a silent endpoint, for 3 minutes).
        try writeShellScript("echo $$ > \(started)\nexec sleep 60\n", to: directory + "/aws")
        let config = try temporaryFile("aws-ptr on\naws-command \(directory)/aws\ncheck 192.0.2.10\n")
        let port = try await NSDServer.standard().port
        let once = try DaemonProcess(["--once", "-c", config, "--nameserver", "127.0.0.1:\(port)"])
        let deadline = Date().addingTimeInterval(20)
        while (try? String(contentsOfFile: started, encoding: .utf8)) == nil && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        let line = try String(contentsOfFile: started, encoding: .utf8)
        let command = try #require(pid_t(line.trimmingCharacters(in: .whitespacesAndNewlines)))
        once.signal(SIGTERM)
        _ = await once.waitForExit(timeout: 10)
        #expect(!once.process.isRunning)
        #expect(once.process.terminationReason == .uncaughtSignal && once.process.terminationStatus == SIGTERM,
                "killed by the signal, as by default: \(once.log)")
        let gone = Date().addingTimeInterval(10)
        while kill(command, 0) == 0 && Date() < gone { try await Task.sleep(for: .milliseconds(20)) }
        #expect(kill(command, 0) == -1 && errno == ESRCH, "the aws command \(command) is gone")
    }

}
