/// The output of `--preflight`: `text` (a line per address, its fixes, the step that sets the PTR, a summary) or
/// `json` (one object, snake_case keys, documented in the README).
public enum PreflightOutput {
    /// `not-elastic-ip`: preflight's own problem code, for an address AWS does not list (`aws-ptr on`).
    public static let notElasticIPCode = "not-elastic-ip"

    public static func text(_ report: PreflightReport) -> String {
        var out = ""
        let width = report.results.map { label($0).count }.max() ?? 0
        for result in report.results {
            let problems = self.problems(result, report)
            let status = result.isReady ? "READY      " : "NOT READY  "
            let request = label(result)
            out += status + (problems.isEmpty ? request
                : request + String(repeating: " ", count: width - request.count + 2)
                    + problems.map { "\($0.code): \($0.message)" }.joined(separator: "; "))
            out += "\n"
            var fixes: [String] = []
            for fix in problems.compactMap(\.fix) where !fixes.contains(fix) { fixes.append(fix) }
            for fix in fixes { out += "  fix: \(fix)\n" }
            out += (result.isReady ? "  " : "  then: ") + result.command + "\n"
        }
        let ready = report.results.filter(\.isReady).count
        let noun = report.results.count == 1 ? "address" : "addresses"
        out += "\(report.isReady ? "READY" : "NOT READY"): \(ready) of \(report.results.count) \(noun) ready\n"
        return out
    }

    public static func json(_ report: PreflightReport) -> String {
        var out = "{\"ready\": \(report.isReady), \"exit_code\": \(report.exitCode), \"aws\": "
        if report.awsAsked {
            let error = report.awsError.map(Escaping.jsonString) ?? "null"
            out += "{\"ok\": \(report.awsError == nil), \"error\": \(error)}"
        } else {
            out += "null"
        }
        out += ",\n \"results\": ["
        for (index, result) in report.results.enumerated() {
            if index > 0 { out += "," }
            out += "\n  {\"address\": \"\(result.request.address)\", \"name\": "
                + Escaping.jsonString(result.request.name.description)
                + ", \"ready\": \(result.isReady), \"elastic_ip\": "
            switch result.elasticIP {
            case .notAsked, .unknown: out += "null"
            case .listed: out += "true"
            case .notListed: out += "false"
            }
            out += ", \"allocation_id\": " + (result.check.aws.map { Escaping.jsonString($0.allocationID) } ?? "null")
            out += ",\n   \"problems\": ["
            out += problems(result, report).map { problem in
                "{\"code\": \(Escaping.jsonString(problem.code)), "
                    + "\"message\": \(Escaping.jsonString(problem.message)), "
                    + "\"fix\": \(problem.fix.map(Escaping.jsonString) ?? "null")}"
            }.joined(separator: ", ")
            out += "],\n   \"command\": \(Escaping.jsonString(result.command))}"
        }
        return out + "]}\n"
    }

    /// `192.0.2.10=mail.example.com`, the name escaped.
    private static func label(_ result: PreflightResult) -> String {
        "\(result.request.address)=\(result.request.name)"
    }

    /// The check's problems, then `not-elastic-ip` when AWS does not list the address, or `aws-unavailable` when it
    /// could not be asked.
    private static func problems(_ result: PreflightResult, _ report: PreflightReport)
        -> [(code: String, message: String, fix: String?)] {
        let address = result.request.address
        var problems = result.check.problems.map { ($0.code.rawValue, $0.message(for: address), $0.fix) }
        if result.elasticIP == .notListed {
            let region = report.region.map { " in \(Escaping.oneLine($0))" } ?? ""
            problems.append((notElasticIPCode,
                             "\(address): not an Elastic IP of this AWS account\(region): AWS sets the PTR of "
                                + "Elastic IPs only",
                             "use an Elastic IP of this account for mail (aws ec2 allocate-address, then "
                                + "associate-address), or set aws-region to the address's region"))
        }
        if result.elasticIP == .unknown, let error = report.awsError {
            problems.append((RunProblem.Code.awsUnavailable.rawValue,
                             "\(address): whether it is an Elastic IP is unknown: \(Escaping.oneLine(error))", nil))
        }
        return problems
    }
}
