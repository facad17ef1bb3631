/// The cure of each problem whose cure is known, as one line saying what to change and where (SPEC.md: JSON
/// `problems[].fix`, text `  fix: …`): the A record to add, the PTR to set and, for an Elastic IP, the exact
/// `aws ec2 modify-address-attribute` command. Pure: it reads a finished result, after the AWS verdicts.
///
/// Every name is printed as output prints it (`DNSName.description`, `\DDD`-escaped). A command is printed only when
/// every word of it is safe to paste into a shell: an allocation id `eipalloc-` and hex digits, a region of
/// lowercase letters, digits and hyphens, and a name that is a valid hostname (letters, digits, `-`, `_` and dots).
/// Anything else gets the record to set, never a command.
public enum FixAdvice {
    /// `result` with `Problem.fix` set on every problem whose cure is known. `region` is the `--region` for the aws
    /// command (the configuration's `aws-region`, or the instance's); nil leaves it to the command's own settings.
    public static func advise(_ result: AddressResult, region: String? = nil) -> AddressResult {
        // Most results of a range have no problem: nothing to build.
        guard !result.problems.isEmpty else { return result }
        let advisor = Advisor(result, region: region)
        var advised = result
        for index in advised.problems.indices {
            advised.problems[index].fix = advisor.fix(for: result.problems[index])
        }
        return advised
    }

    /// The step that makes `name` the PTR of `result`'s address, after the forward record when `name` does not
    /// forward-confirm in `result`: the aws command for an Elastic IP (`result.aws`), else the PTR record to set.
    /// For `--preflight`, whose result is the check's as if the PTR were `name`.
    public static func ptrRequest(_ name: DNSName, for result: AddressResult, region: String? = nil) -> String {
        Advisor(result, region: region).setPTR(to: name)
    }

    /// The placeholder written where the operator must choose the name.
    public static let placeholder = "HOSTNAME"
}

/// The facts one result's fixes are built from.
private struct Advisor {
    let result: AddressResult
    let address: IPAddress
    let reverseName: DNSName
    /// `A` or `AAAA`.
    let recordType: RecordType
    /// The Elastic IP's allocation id, when AWS listed the address and the id is safe to print in a command.
    let allocationID: String?
    let region: String?
    /// The PTR names whose forward answer holds the address.
    let confirming: [DNSName]

    init(_ result: AddressResult, region: String?) {
        self.result = result
        address = result.address
        reverseName = DNSName.reverse(of: result.address)
        recordType = RecordType.forward(for: result.address)
        allocationID = result.aws.map(\.allocationID).flatMap { id in
            id.hasPrefix("eipalloc-") && id.count > 9 && id.count <= 64
                && id.dropFirst(9).utf8.allSatisfy { hexDigitValue($0) != nil } ? id : nil
        }
        self.region = region.flatMap { (try? SettingValues.awsRegion($0)) != nil ? $0 : nil }
        confirming = result.forward.filter { $0.addresses.contains(result.address) }.map(\.name)
    }

    func fix(for problem: Problem) -> String? {
        if curedByPendingUpdate(problem) { return nil }
        let subject = self.subject(of: problem)
        if let subject, let hint = finalDotHint(subject),
           [.forwardMismatch, .forwardNoAddress, .invalidHostname].contains(problem.code) {
            return hint
        }
        switch problem.code {
        case .noPTR:
            return setPTR(to: result.target.expectedName ?? requestedName)
        case .forwardMismatch:
            guard let subject, let answer = result.forward.first(where: { $0.name == subject }) else { return nil }
            return "change the \(recordType) record of \(subject) (now "
                + "\(AddressResult.listing(answer.addresses, of: answer.addressCount))) to \(address), "
                + "or ask for a PTR to a name that resolves to \(address)"
        case .forwardNoAddress:
            guard let subject else { return nil }
            return "add an \(recordType) record: \(record(subject))"
        case .invalidHostname, .genericPTR:
            return setPTR(to: wantedName(besides: subject))
        case .expectedNameMismatch:
            guard let expected = result.target.expectedName else { return nil }
            // A live name of one's own that confirms may be the right one, and the configuration wrong.
            let otherSide = confirming.first(where: isOwnName).map { ", or change the expected name to \($0)" } ?? ""
            return setPTR(to: expected) + otherSide
        case .multiplePTR:
            return keepOnePTR()
        case .partialConfirmation:
            let refuted = result.ptrNames.filter { !confirming.contains($0) }
            guard !refuted.isEmpty else { return nil }
            return "remove the PTR records that do not forward-confirm: "
                + refuted.map { "\(reverseName). IN PTR \($0)." }.joined(separator: ", ")
                + " (or fix their \(recordType) records)"
        case .ptrIsCNAME:
            guard let target = cnameTarget(in: problem.detail) else { return nil }
            // The target holds the records the alias has.
            return "point the PTR at the name itself, not at a CNAME (RFC 1912): "
                + setPTR(to: target, confirms: subject.map(confirming.contains) ?? false)
        case .cnameLoop:
            // Within the chain no resolver gives up on, not merely the longest followed.
            guard let subject else {
                return "end the CNAME chain of \(reverseName) in a PTR record, within \(ChainedLookup.longChain) "
                    + "CNAMEs, in the reverse zone"
            }
            return "end the CNAME chain of \(subject) in an \(recordType) record, within "
                + "\(ChainedLookup.longChain) CNAMEs"
        case .longCNAMEChain:
            guard let subject else {
                return "shorten the CNAME chain of \(reverseName) to at most \(ChainedLookup.longChain) CNAMEs, in the "
                    + "reverse zone"
            }
            return "shorten the CNAME chain of \(subject) to at most \(ChainedLookup.longChain) CNAMEs (or give it "
                + "its \(recordType) record itself)"
        case .dnssecBogus:
            let name = bogusName(in: problem.detail) ?? subject.map { "\($0)" } ?? "\(reverseName)"
            return "the DS record at the parent of \(name)'s zone does not match the zone's DNSKEY (or its signatures "
                + "have expired): fix or remove the DS, or re-sign the zone"
        case .temporaryFailure:
            return nil
        case .ptrUpdatePending:
            // A pending update to a name that forward-confirms needs nothing but time.
            guard problem.severity >= .critical, let value = result.aws?.update?.value else { return nil }
            return "add an \(recordType) record: \(record(value)) (AWS's pending PTR update to \(value) needs it)"
        case .ptrUpdateFailed:
            guard let update = result.aws?.update else { return nil }
            guard let value = update.value else {
                return awsCommand(["reset-address-attribute", "--attribute", "domain-name"]).map { "ask again: \($0)" }
            }
            return setPTR(to: value)
        case .awsPTRMismatch:
            return awsMismatchFix()
        case .synthesizedAnswer:
            return "set 'nameserver' (or --nameserver) to a real resolver, not systemd-resolved's stub: "
                + "e.g. a server listed in /run/systemd/resolve/resolv.conf"
        }
    }

    /// The problems a pending PTR update will cure (`AWSPTRAssessment`'s list) get no fix of their own: while its name
    /// forward-confirms they need nothing but time, and when it does not, the update's own fix (the A record it
    /// needs) is the cure. Another fix would ask for a second, different update.
    private func curedByPendingUpdate(_ problem: Problem) -> Bool {
        guard problem.code != .ptrUpdatePending, let update = result.aws?.update, update.isPending,
              let name = update.value else { return false }
        return AWSPTRAssessment.curedCodes(by: name, for: result).contains(problem.code)
    }

    /// The PTR name a problem of one name is about. The check's details for one name say `PTR NAME ` (with NAME as
    /// printed, escaped, so without a space): `PTR mx.example.com resolves to …`, `A lookup for PTR mx… meets …`.
    private func subject(of problem: Problem) -> DNSName? {
        result.ptrNames.first { problem.detail.contains("PTR \($0) ") }
    }

    /// The CNAME target in `ptr-is-cname`'s detail (`PTR alias.example.com is a CNAME to real.example.com (RFC …`),
    /// when it reads back as the same name (a valid hostname prints unescaped).
    private func cnameTarget(in detail: String) -> DNSName? {
        guard let start = detail.firstRange(of: " is a CNAME to ")?.upperBound else { return nil }
        let text = detail[start...].prefix { $0 != " " }
        guard let name = DNSName(text), name.description == text else { return nil }
        return name
    }

    /// The name whose validation fails in `dnssec-bogus`'s detail (`… DNSSEC validation of mail.example.com
    /// fails …`), as printed.
    private func bogusName(in detail: String) -> Substring? {
        guard let start = detail.firstRange(of: "DNSSEC validation of ")?.upperBound else { return nil }
        return detail[start...].prefix { $0 != " " }
    }

    /// The name to ask for instead of `current`: the expected name, else the one AWS was asked for, else another PTR
    /// name that forward-confirms; nil when the operator must choose.
    private func wantedName(besides current: DNSName?) -> DNSName? {
        if let expected = result.target.expectedName, expected != current { return expected }
        if let requested = requestedName, requested != current { return requested }
        return confirming.first { $0 != current && isOwnName($0) }
    }

    /// The name AWS was asked to set for this Elastic IP in an update that did not go through, when it is a hostname
    /// of one's own: the operator's choice already, so a better fix than a placeholder. A pending update has its
    /// own fix (`ptr-update-pending`).
    private var requestedName: DNSName? {
        guard let update = result.aws?.update, !update.isPending, !update.isSuccessful else { return nil }
        return update.value.flatMap { isOwnName($0) ? $0 : nil }
    }

    /// A valid hostname that is not generic.
    private func isOwnName(_ name: DNSName) -> Bool {
        HostnameRules.violation(in: name) == nil && GenericNameDetector.reason(name, for: address) == nil
    }

    /// `mail.example.com. IN A 203.0.113.25`.
    private func record(_ name: DNSName) -> String {
        "\(name). IN \(recordType) \(address)"
    }

    /// Both steps in AWS's order: the forward record first (unless the name is known to forward-confirm: `confirms`,
    /// or a PTR name that does), then the PTR: the aws command for an Elastic IP, else the PTR record. `name` nil: a
    /// placeholder the operator must replace.
    func setPTR(to name: DNSName?, confirms: Bool = false) -> String {
        guard let name else {
            let placeholder = FixAdvice.placeholder
            return "choose a hostname for \(address) (\(placeholder) below), add \(placeholder). IN \(recordType) "
                + "\(address), then " + ptrStep(placeholder)
        }
        let step = ptrStep(HostnameRules.violation(in: name) == nil ? name.description : nil, record: name)
        if confirms || confirming.contains(name) { return step }
        return "make sure \(record(name)) exists, then " + step
    }

    /// The PTR step: `run: aws ec2 modify-address-attribute …` when the address is an Elastic IP and `safeName` (a
    /// hostname or the placeholder) may be pasted into a shell; else the record to set.
    private func ptrStep(_ safeName: String?, record name: DNSName? = nil) -> String {
        if let safeName, let command = awsCommand(["modify-address-attribute", "--domain-name", safeName]) {
            return "run: " + command
        }
        let shown = name.map { "\($0)" } ?? safeName ?? FixAdvice.placeholder
        return "set \(reverseName). IN PTR \(shown). (in the reverse zone, or ask the address's provider)"
    }

    /// `aws ec2 SUBCOMMAND --allocation-id ID ARGUMENTS [--region R]`, for an Elastic IP.
    private func awsCommand(_ words: [String]) -> String? {
        guard let allocationID else { return nil }
        let arguments = [words[0], "--allocation-id", allocationID] + words.dropFirst()
            + (region.map { ["--region", $0] } ?? [])
        return "aws ec2 " + arguments.joined(separator: " ")
    }

    /// `multiple-ptr`: keep the expected name, else a name that confirms (a name of one's own first).
    private func keepOnePTR() -> String? {
        let keep = result.target.expectedName.flatMap { result.ptrNames.contains($0) ? $0 : nil }
            ?? confirming.first { GenericNameDetector.reason($0, for: address) == nil } ?? confirming.first
        guard let keep else {
            return "keep one PTR record at \(reverseName) (receivers use one), with a name that forward-confirms"
        }
        let others = result.ptrNames.filter { $0 != keep }
        return "keep only \(reverseName). IN PTR \(keep). and remove the other PTR records there ("
            + AddressResult.listing(others, of: result.ptrCount - 1) + ")"
    }

    /// `aws-ptr-mismatch`: AWS's `PtrRecord` and live DNS differ. The side to change is the one without the name
    /// wanted (the expected name, else a live name that forward-confirms).
    private func awsMismatchFix() -> String? {
        guard let aws = result.aws else { return nil }
        let live = AddressResult.listing(result.ptrNames, of: result.ptrCount)
        if let recorded = aws.ptrRecord, recorded == result.target.expectedName || confirming.isEmpty {
            return "live DNS (\(result.ptrNames.isEmpty ? "no PTR" : live)) should follow AWS's record (\(recorded)) "
                + "within the PTR's TTL; if it does not, the reverse zone is not served from AWS's record: set the PTR "
                + "where it is served"
        }
        guard let right = result.target.expectedName ?? confirming.first else { return nil }
        return "set AWS's record to \(right): " + setPTR(to: right)
    }

    /// The hint for a PTR name under `in-addr.arpa` or `ip6.arpa`: the zone file left out the final dot after the
    /// name, so the zone's origin was appended (`mail.example.com.113.0.203.in-addr.arpa`).
    private func finalDotHint(_ name: DNSName) -> String? {
        let arpa = [DNSName("in-addr.arpa")!, DNSName("ip6.arpa")!]
        guard arpa.contains(where: { name.isWithin($0) }) else { return nil }
        // The origin is the labels shared with the reverse name, and an RFC 2317 child's `64/26` label before them.
        let reverseLabels = reverseName.labels
        var labels = name.labels
        var shared = 0
        while shared < labels.count, shared < reverseLabels.count,
              labels[labels.count - 1 - shared].map(asciiLowercased)
                  == reverseLabels[reverseLabels.count - 1 - shared].map(asciiLowercased) {
            shared += 1
        }
        labels.removeLast(shared)
        if let last = labels.last, last.contains(UInt8(ascii: "/")) { labels.removeLast() }
        let intended = labels.isEmpty ? nil : DNSName(labels: labels)
        return "the zone file probably lacks the final dot after the PTR's name"
            + (intended.map { ": write \(reverseName). IN PTR \($0). (without the dot the zone's origin is appended)" }
               ?? "")
    }
}
