import Foundation
import Glibc
import RDNSCore
import Testing
import TestSupport

@testable import RDNSRun

/// A fresh temporary directory.
private func temporaryDirectory() throws -> String {
    let directory = NSTemporaryDirectory() + "rdnscheck-aws-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return directory
}

/// A fake `aws`: an executable shell script (`writeShellScript`) in a fresh directory; returns its path.
private func fakeAWS(_ body: String) throws -> String {
    let path = try temporaryDirectory() + "/aws"
    try writeShellScript(body, to: path)
    return path
}

/// What `records` threw, or nil when it answered.
private func unavailable(_ command: AWSCommand, region: String? = nil) async -> String? {
    do {
        _ = try await command.records(region: region)
        return nil
    } catch {
        return error.message
    }
}

private let realAWS = "/usr/bin/aws"

/// The real awscli against the EC2 stub: a wrapper adding `--endpoint-url`, dummy credentials and a region through
/// the injected environment, one attempt (awscli retries otherwise), and no metadata service.
private func realCommand(_ stub: EC2APIStub, timeLimitSeconds: Double = 60) throws -> AWSCommand {
    let directory = try temporaryDirectory()
    let wrapper = directory + "/aws-wrapper"
    try writeShellScript("exec \(realAWS) --endpoint-url \(stub.endpoint) \"$@\"\n", to: wrapper)
    return AWSCommand(program: wrapper, timeLimitSeconds: timeLimitSeconds, inherited: [
        "HOME": directory, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "eu-west-1", "AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard",
        "AWS_EC2_METADATA_DISABLED": "true",
    ])
}

private let scenario = """
    {"addresses": [
      {"public_ip": "198.51.100.25", "allocation_id": "eipalloc-0000000000000025", "ptr_record": "old.example.test.",
       "update": {"value": "mail.example.test.", "status": "pending"}},
      {"public_ip": "198.51.100.26", "allocation_id": "eipalloc-0000000000000026", "ptr_record": "mx.example.test.",
       "update": {"value": "mx.example.test.", "status": "successful"}},
      {"public_ip": "198.51.100.27", "allocation_id": "eipalloc-0000000000000027",
       "update": {"value": "smtp.example.test.", "status": "failed",
                  "reason": "The forward DNS record does not match the IP address <&>"}},
      {"public_ip": "2001:db8::28", "allocation_id": "eipalloc-0000000000000028"}
    ], "page_size": 3}
    """

@Suite("AWSCommand: the real aws command against the EC2 stub",
       .enabled(if: FileManager.default.isExecutableFile(atPath: realAWS),
                "/usr/bin/aws is not installed (Debian's awscli: apt-get install awscli)"))
struct AWSCommandRealCLITests {
    @Test("every status is read, an unlisted address is absent, and awscli follows the pages")
    func readsEveryStatus() async throws {
        let stub = try EC2APIStub.start(scenario: scenario)
        defer { stub.stop() }
        let records = try await realCommand(stub).records(region: "eu-west-1")
        #expect(records.count == 4, "\(stub.log)")
        let pending = try #require(records[IPAddress("198.51.100.25")!])
        #expect(pending == AWSAddressRecord(
            publicIP: IPAddress("198.51.100.25")!, allocationID: "eipalloc-0000000000000025",
            ptrRecord: DNSName("old.example.test"),
            update: AWSAddressRecord.Update(value: DNSName("mail.example.test"), status: "pending", reason: nil)))
        #expect(pending.update?.isPending == true)
        #expect(records[IPAddress("198.51.100.26")!]?.update?.isSuccessful == true)
        let failed = try #require(records[IPAddress("198.51.100.27")!]?.update)
        #expect(failed.status == "failed")
        #expect(failed.reason == "The forward DNS record does not match the IP address <&>")
        #expect(records[IPAddress("2001:db8::28")!]?.update == nil)
        #expect(records[IPAddress("2001:db8::28")!]?.ptrRecord == nil)
        #expect(records[IPAddress("198.51.100.99")!] == nil)
        #expect(stub.log.components(separatedBy: "DescribeAddressesAttribute allocation-ids= -> 200").count - 1 == 2,
                "two pages: \(stub.log)")
    }

    @Test("EC2's error response is unavailable, naming the error code")
    func errorResponse() async throws {
        // With one attempt allowed (AWS_MAX_ATTEMPTS=1) awscli says "reached max retries: 0" in its message.
        let stub = try EC2APIStub.start(scenario: """
            {"error": {"code": "UnauthorizedOperation", "http_status": 403,
                       "message": "You are not authorized to perform this operation."}}
            """)
        defer { stub.stop() }
        let message = await unavailable(try realCommand(stub))
        #expect(message == "aws ec2 describe-addresses-attribute exited with "
                + "status 254: An error occurred (UnauthorizedOperation) when calling the DescribeAddressesAttribute "
                + "operation (reached max retries: 0): You are not authorized to perform this operation.")
    }

    @Test("without credentials awscli's own message is given")
    func noCredentials() async throws {
        let stub = try EC2APIStub.start(scenario: scenario)
        defer { stub.stop() }
        let directory = try temporaryDirectory()
        let wrapper = directory + "/aws-wrapper"
        try writeShellScript("exec \(realAWS) --endpoint-url \(stub.endpoint) \"$@\"\n", to: wrapper)
        let command = AWSCommand(program: wrapper, timeLimitSeconds: 60, inherited: [
            "HOME": directory, "AWS_DEFAULT_REGION": "eu-west-1", "AWS_EC2_METADATA_DISABLED": "true",
        ])
        #expect(await unavailable(command) == "aws ec2 describe-addresses-attribute exited with status 253: "
                + "Unable to locate credentials. You can configure credentials by running \"aws configure\".")
    }

    @Test("an endpoint that never answers is cut off at the time limit")
    func hang() async throws {
        let stub = try EC2APIStub.start(scenario: "{\"hang\": true}")
        defer { stub.stop() }
        let command = try realCommand(stub, timeLimitSeconds: 3)
        let (message, seconds) = await timed { await unavailable(command) }
        #expect(message == "aws ec2 describe-addresses-attribute was stopped after 3s, its time limit")
        // awscli's own read timeout is 60 s: ending near 3 s means the limit ended it.
        #expect(seconds >= 2.9 && seconds < 3 + busyMachineAllowance, "took \(seconds) s")
    }
}

@Suite("AWSCommand: what a fake aws makes it do")
struct AWSCommandTests {
    @Test("the command gets the question, --region, and the clean environment plus HOME and AWS_* only")
    func argumentsAndEnvironment() async throws {
        let directory = try temporaryDirectory()
        let aws = try fakeAWS("""
            echo "$@" > \(directory)/arguments
            env > \(directory)/environment
            echo '{"Addresses": []}'
            """)
        let command = AWSCommand(program: aws, inherited: [
            "HOME": "/var/lib/rdnscheck", "AWS_PROFILE": "mail", "AWS_CONFIG_FILE": "/etc/rdnscheck/aws.conf",
            "AWS_PAGER": "less", "LANG": "C.UTF-8", "SECRET_TOKEN": "hunter2", "NOTIFY_SOCKET": "/run/notify",
            "PATH": "/home/someone/bin",
        ])
        #expect(try await command.records(region: "eu-west-1").isEmpty)
        let arguments = try String(contentsOfFile: directory + "/arguments", encoding: .utf8)
        #expect(arguments == "ec2 describe-addresses-attribute --attribute domain-name --output json "
                + "--region eu-west-1\n")
        let lines = try String(contentsOfFile: directory + "/environment", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        // /bin/sh adds PWD itself.
        #expect(Set(lines.filter { !$0.hasPrefix("PWD=") }) == [
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/var/lib/rdnscheck",
            "AWS_PROFILE=mail", "AWS_CONFIG_FILE=/etc/rdnscheck/aws.conf", "AWS_PAGER=", "LANG=C.UTF-8",
        ])
    }

    @Test("what the command writes on standard error beside a whole answer does not spoil it")
    func warningsBesideTheAnswer() async throws {
        let aws = try fakeAWS("""
            echo 'DeprecationWarning: something' >&2
            echo '{"Addresses": [{"PublicIp": "198.51.100.25", "AllocationId": "eipalloc-1"}]}'
            echo 'more on stderr' >&2
            """)
        let records = try await AWSCommand(program: aws, inherited: [:]).records(region: nil)
        #expect(records.keys.map(\.description) == ["198.51.100.25"])
    }

    @Test("without a region the command's own configuration decides")
    func noRegion() async throws {
        let directory = try temporaryDirectory()
        let aws = try fakeAWS("echo \"$@\" > \(directory)/arguments\necho '{\"Addresses\": []}'\n")
        _ = try await AWSCommand(program: aws, inherited: [:]).records(region: nil)
        #expect(try String(contentsOfFile: directory + "/arguments", encoding: .utf8)
                == "ec2 describe-addresses-attribute --attribute domain-name --output json\n")
    }

    @Test("what the command says goes wrong is given in one line", arguments: [
        ("echo 'Traceback (most recent call last):'\nexit 0\n",
         "aws ec2 describe-addresses-attribute printed an answer rdnscheck cannot read: not JSON: byte 0: "
         + "unexpected 'T', expected a value"),
        ("echo '{\"Addresses\": [{\"PublicIp\": \"198.51.100.25\"}]}'\n",
         "aws ec2 describe-addresses-attribute printed an answer rdnscheck cannot read: Addresses[0]: no AllocationId"),
        ("printf '\\n  \\nAn error occurred (Throttling)\\033[31m\\nsecond line\\n' >&2\nexit 254\n",
         "aws ec2 describe-addresses-attribute exited with status 254: An error occurred (Throttling)\\027[31m"),
        ("exit 3\n", "aws ec2 describe-addresses-attribute exited with status 3: it printed nothing on standard error"),
        ("ulimit -c 0\nkill -SEGV $$\n", "aws ec2 describe-addresses-attribute was killed by signal 11"),
        ("head -c 5000000 /dev/zero\n", "aws ec2 describe-addresses-attribute printed more than 4 MiB"),
    ])
    func failures(body: String, message: String) async throws {
        #expect(await unavailable(AWSCommand(program: try fakeAWS(body), inherited: [:])) == message)
    }

    @Test("a long error line is cut")
    func longErrorLineCut() async throws {
        let aws = try fakeAWS("head -c 100000 /dev/zero | tr '\\0' x >&2\nexit 1\n")
        let message = try #require(await unavailable(AWSCommand(program: aws, inherited: [:])))
        #expect(message == "aws ec2 describe-addresses-attribute exited with status 1: "
                + String(repeating: "x", count: AWSCommand.errorLineLimit) + "…")
    }

    @Test("a command that outlives its time limit is stopped, and says so")
    func timeLimit() async throws {
        let aws = try fakeAWS("sleep 30 &\nsleep 30\n")
        let command = AWSCommand(program: aws, timeLimitSeconds: 1, inherited: [:])
        let (message, seconds) = await timed { await unavailable(command) }
        #expect(message == "aws ec2 describe-addresses-attribute was stopped after 1s, its time limit")
        #expect(seconds >= 0.9 && seconds < 1 + busyMachineAllowance, "took \(seconds) s")
    }

    @Test("stopping ends a running command, and none starts after")
    func stopAll() async throws {
        let directory = try temporaryDirectory()
        let aws = try fakeAWS("touch \(directory)/started\nsleep 30\n")
        let command = AWSCommand(program: aws, timeLimitSeconds: 20, inherited: [:])
        async let message = unavailable(command)
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: directory + "/started") && Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        command.stopAll()
        #expect(await message == "aws ec2 describe-addresses-attribute was stopped: rdnscheck is stopping")
        #expect(await unavailable(command)
                == "aws ec2 describe-addresses-attribute was not started: rdnscheck is stopping")
    }

    @Test("a program that is missing or not in PATH is named", arguments: [
        ("/nonexistent/aws", "aws ec2 describe-addresses-attribute: cannot run /nonexistent/aws: "
         + "No such file or directory"),
        ("rdnscheck-no-such-aws", "aws ec2 describe-addresses-attribute: no rdnscheck-no-such-aws in PATH "
         + "(/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin); install awscli or set aws-command"),
    ])
    func missingProgram(program: String, message: String) async {
        #expect(await unavailable(AWSCommand(program: program, inherited: [:])) == message)
    }

    @Test("a program that is not executable cannot run")
    func notExecutable() async throws {
        let path = try temporaryDirectory() + "/aws"
        try "#!/bin/sh\necho '{\"Addresses\": []}'\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(await unavailable(AWSCommand(program: path, inherited: [:]))
                == "aws ec2 describe-addresses-attribute: cannot run \(path): Permission denied")
    }

    @Test("`aws` is looked up in the clean PATH, not in rdnscheck's own")
    func defaultProgramFromCleanPath() throws {
        let command = AWSCommand(inherited: ["PATH": "/nonexistent"])
        #expect(command.program == "aws")
        let found = command.executablePath()
        let expected = OnChangeEnvironment.path.split(separator: ":").map { "\($0)/aws" as String }
            .first { access($0, X_OK) == 0 }
        #expect(found == expected)
    }
}
