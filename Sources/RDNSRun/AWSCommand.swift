import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// AWS's record of the account's Elastic IPs' PTRs, from the `aws` command line (SPEC.md, `aws-ptr on`):
/// `aws ec2 describe-addresses-attribute --attribute domain-name --output json [--region R]`, run as a
/// `ChildProcess` (no shell, stdin from `/dev/null`) on a thread of its own, at most `timeLimitSeconds`.
///
/// Its environment is the `on-change` program's clean one (`PATH`, `LANG`, `LC_ALL`, `TZ`) plus `HOME` and every
/// `AWS_*` variable of rdnscheck's own, so that the CLI finds `~/.aws` and the credentials or profile an operator
/// gives the service, and nothing else of the service's environment; `AWS_PAGER` is empty, so awscli 2 never starts
/// a pager. Its standard output must be the JSON answer, at most `outputLimit` bytes; its standard error is kept
/// (`errorLimit` bytes) for the message of a failure.
public struct AWSCommand: AWSPTRSource {
    public static let defaultProgram = "aws"
    public static let defaultTimeLimitSeconds = 30.0
    /// More than any account's answer (about 250 bytes per Elastic IP); more than this is not an answer.
    public static let outputLimit = 4 << 20
    /// Of standard error, only the first line that says something is shown; this much is read for it.
    static let errorLimit = 64 << 10
    /// The most characters of that line a message shows.
    static let errorLineLimit = 300
    /// What the messages call the command, whatever program runs it.
    static let subject = "aws ec2 describe-addresses-attribute"

    /// The `aws-command` as configured, or `aws`.
    public let program: String
    public let timeLimitSeconds: Double
    /// The command's whole environment.
    let environment: [String: String]
    private let groups = ChildProcessGroups()

    /// `program`: the `aws-command` (nil: `aws`, looked up in the clean `PATH` when the command runs).
    /// `inherited`: rdnscheck's own environment, where `HOME`, `AWS_*`, `LANG`, `LC_ALL` and `TZ` are taken from
    /// (nil: this process's).
    public init(program: String? = nil, timeLimitSeconds: Double = AWSCommand.defaultTimeLimitSeconds,
                inherited: [String: String]? = nil) {
        self.program = program ?? AWSCommand.defaultProgram
        self.timeLimitSeconds = timeLimitSeconds
        let inherited = inherited ?? environmentVariables()
        var environment = OnChangeEnvironment.base(inherited: inherited)
        for (name, value) in inherited where name == "HOME" || name.hasPrefix("AWS_") {
            if value.utf8.count <= OnChangeEnvironment.valueLimit { environment[name] = value }
        }
        environment["AWS_PAGER"] = ""
        self.environment = environment
    }

    /// rdnscheck is stopping: ends a command running now (its `records` throws) and starts no more. The command
    /// runs in a process group of its own, so it would otherwise outlive rdnscheck.
    public func stopAll() {
        groups.stopAll()
    }

    /// The arguments after the program: the question, and `--region` when given.
    static func arguments(region: String?) -> [String] {
        ["ec2", "describe-addresses-attribute", "--attribute", "domain-name", "--output", "json"]
            + (region.map { ["--region", $0] } ?? [])
    }

    public func records(region: String?) async throws(AWSUnavailable) -> [IPAddress: AWSAddressRecord] {
        let result = await onThreadOfItsOwn { [self] in
            Result { () throws(AWSUnavailable) in try records(fromRunIn: region) }
        }
        return try result.get()
    }

    /// Runs the command and reads its answer, blocking the calling thread.
    private func records(fromRunIn region: String?) throws(AWSUnavailable) -> [IPAddress: AWSAddressRecord] {
        let subject = AWSCommand.subject
        guard let executable = executablePath() else {
            throw AWSUnavailable("\(subject): no \(program) in PATH (\(OnChangeEnvironment.path)); "
                                 + "install awscli or set aws-command")
        }
        let child = ChildProcess(program: executable, arguments: AWSCommand.arguments(region: region),
                                 environment: OnChangeEnvironment.strings(environment),
                                 timeLimitSeconds: timeLimitSeconds)
        let stdout = CappedOutput(limit: AWSCommand.outputLimit, refusesMore: true)
        let stderr = CappedOutput(limit: AWSCommand.errorLimit, refusesMore: false)
        let ending: ChildProcess.Ending
        do {
            ending = try child.run(in: groups, stdout: stdout, stderr: stderr)
        } catch {
            switch error {
            case .stopping: throw AWSUnavailable("\(subject) was not started: rdnscheck is stopping")
            case .cannotRun(let reason): throw AWSUnavailable("\(subject): cannot run \(executable): \(reason)")
            }
        }
        switch ending {
        case .exited(status: 0, _):
            do {
                return try DescribeAddressesAttributeOutput.records(from: stdout.bytes)
            } catch {
                throw AWSUnavailable("\(subject) printed an answer rdnscheck cannot read: \(error.message)")
            }
        case .exited(let status, _):
            throw AWSUnavailable("\(subject) exited with status \(status): \(AWSCommand.firstLine(of: stderr.bytes))")
        case .signalled where groups.isStopping:
            throw AWSUnavailable("\(subject) was stopped: rdnscheck is stopping")
        case .signalled(let number):
            throw AWSUnavailable("\(subject) was killed by signal \(number)")
        case .timedOut:
            let limit = PlainFormat.seconds(child.timeLimitSeconds)
            throw AWSUnavailable("\(subject) was stopped after \(limit), its time limit")
        case .outputRefused:
            throw AWSUnavailable("\(subject) printed more than \(AWSCommand.outputLimit >> 20) MiB")
        case .unknown(let reason):
            throw AWSUnavailable("\(subject) \(reason)")
        }
    }

    /// `program` when it names a path, else the first executable `program` in the clean `PATH`; nil when none.
    func executablePath() -> String? {
        guard !program.contains("/") else { return program }
        return OnChangeEnvironment.path.split(separator: ":").map { "\($0)/\(program)" }
            .first { access($0, X_OK) == 0 }
    }

    /// The first line of `bytes` with something on it (awscli starts its errors with an empty line), escaped to
    /// one printable line and cut at `errorLineLimit` characters.
    static func firstLine(of bytes: [UInt8]) -> String {
        let lines = bytes.split(separator: UInt8(ascii: "\n")).map { String(decoding: $0, as: UTF8.self) }
        guard let found = lines.first(where: { $0.contains { !$0.isWhitespace } }) else {
            return "it printed nothing on standard error"
        }
        let line = String(found.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        return Escaping.excerpt(line, limit: errorLineLimit)
    }
}
