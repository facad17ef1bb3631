import RDNSCore

/// Hand-built run reports for the output format tests.
enum SampleReports {
    static func result(_ address: String, _ status: Status, expected: String? = nil, ptr: [String] = [],
                       forward: [(String, [String])] = [], problems: [Problem] = []) -> AddressResult {
        AddressResult(
            target: CheckTarget(IPAddress(address)!, expectedName: expected.map { DNSName($0)! }),
            status: status,
            ptrNames: ptr.map { DNSName($0)! },
            forward: forward.map { ForwardAnswer(name: DNSName($0.0)!, addresses: $0.1.map { IPAddress($0)! }) },
            problems: problems,
            temporaryFailures: 0)
    }

    static let mailOK = result("203.0.113.25", .ok, expected: "mail.example.com", ptr: ["mail.example.com"],
                               forward: [("mail.example.com", ["203.0.113.25"])])

    static let mxMismatch = result(
        "203.0.113.26", .critical, ptr: ["mx.example.com"], forward: [("mx.example.com", ["198.51.100.9"])],
        problems: [
            Problem(.forwardMismatch, .critical, "PTR mx.example.com resolves to 198.51.100.9, not 203.0.113.26"),
        ])

    /// `n000.example.test` for 0: names that sort in number order.
    static func numberedName(_ number: Int) -> String {
        "n\(String(String(number + 1000).dropFirst())).example.test"
    }

    /// `address` with `count` PTR names `n000.example.test`, ... (sorted as given), each kept one confirming.
    static func manyNames(_ address: String = "192.0.2.50", count: Int) -> AddressResult {
        let names = (0..<count).map(SampleReports.numberedName)
        let kept = names.prefix(AddressResult.maximumPTRNames)
        return result(address, .warning, ptr: names, forward: kept.map { ($0, [address]) },
                      problems: [Problem(.multiplePTR, .warning, "\(count) PTR names; receivers use one")])
    }

    /// SPEC.md's JSON example: one OK address and one whose PTR name resolves elsewhere.
    static let specExample = RunReport(results: [mailOK, mxMismatch], checkedAt: 1_795_428_000, durationSeconds: 0.042)

    /// A PTR name as hostile as the network can make it: control bytes, quotes, backslashes, a pipe, a dot.
    static let hostileName = DNSName(labels: [
        [0x1B] + Array("[2J\"quoted\"\\back|pipe".utf8) + [0x0A, 0x00, 0x7F, 0xFF],
        Array("a.b".utf8), Array("example".utf8), Array("com".utf8),
    ])!

    /// `hostileName` as it must be printed: every byte outside a-z A-Z 0-9 - _ / as \DDD.
    static let hostileNameEscaped = "\\027\\0912J\\034quoted\\034\\092back\\124pipe\\010\\000\\127\\255"
        + ".a\\046b.example.com"

    static let hostile = AddressResult(
        target: CheckTarget(IPAddress("192.0.2.7")!),
        status: .critical,
        ptrNames: [hostileName],
        forward: [],
        problems: [Problem(.invalidHostname, .critical, "PTR \(hostileName) is not a valid hostname | RFC 1123")],
        temporaryFailures: 0)
}
