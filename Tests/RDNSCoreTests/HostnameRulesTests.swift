import RDNSCore
import Testing

private let label63 = String(repeating: "a", count: 63)
/// 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters, the longest hostname.
private let name253 = [label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: ".")

@Suite("HostnameRules: what receivers accept as a PTR hostname")
struct HostnameRulesTests {
    @Test("valid hostnames have no violation", arguments: [
        "mail.example.com", "MAIL.Example.COM", "mail.example.com.", "localhost", "x", "a.b",
        "mx-1.example.com", "m--x.example.com", "_dmarc.example.com", "mail_server.example.com",
        "123.example.com", "1.2.3.4.in-addr.arpa", "0mail.example.com", "1-2-3-4.example.net",
        label63 + ".example.com", name253,
    ])
    func valid(text: String) throws {
        let name = try #require(DNSName(text))
        #expect(HostnameRules.violation(in: name) == nil)
    }

    @Test("invalid hostnames give the reason", arguments: [
        ("-mail.example.com", "a label starts with a hyphen"),
        ("mail.-example.com", "a label starts with a hyphen"),
        ("mail-.example.com", "a label ends with a hyphen"),
        ("mail.example.com-", "a label ends with a hyphen"),
        ("-", "a label starts with a hyphen"),
        ("mail server.example.com", "a label holds a character other than a-z, 0-9, - and _"),
        ("mail.exa$mple.com", "a label holds a character other than a-z, 0-9, - and _"),
        ("$(reboot).example.com", "a label holds a character other than a-z, 0-9, - and _"),
        ("caf\u{e9}.example.com", "a label holds a character other than a-z, 0-9, - and _"),
        ("mail/24.example.com", "a label holds a character other than a-z, 0-9, - and _"),
        ("mail*.example.com", "a label holds a character other than a-z, 0-9, - and _"),
        ("1.2.3.4", "it is made of digits and dots only"),
        ("203.0.113.25.", "it is made of digits and dots only"),
        ("12345", "it is made of digits and dots only"),
    ])
    func invalid(text: String, reason: String) throws {
        let name = try #require(DNSName(text))
        #expect(HostnameRules.violation(in: name) == reason)
    }

    @Test("control bytes, a dot inside a label and a NUL from the network are not hostname characters",
          arguments: [[0x0A], [0x1B], [0x00], [0x7F], [0xFF], Array("a.b".utf8)] as [[UInt8]])
    func hostileBytes(label: [UInt8]) throws {
        let name = try #require(DNSName(labels: [Array("mail".utf8) + label, Array("example".utf8)]))
        #expect(HostnameRules.violation(in: name) == "a label holds a character other than a-z, 0-9, - and _")
    }

    @Test("the root name is not a hostname")
    func root() throws {
        let root = try #require(DNSName(labels: [[UInt8]]()))
        #expect(HostnameRules.violation(in: root) == "it is the root name")
    }

    @Test("glibc keeps names of letters, digits, hyphens and underscores, numeric ones and bad hyphens included",
          arguments: ["mail.example.com", "mail_out.example.com", "10.20.30", "mail-.example.com", "a.-b.example"])
    func glibcKeeps(text: String) throws {
        let name = try #require(DNSName(text))
        #expect(HostnameRules.glibcKeeps(name))
    }

    @Test("glibc drops a name with any other byte, or whose first label starts with a hyphen")
    func glibcDrops() throws {
        for labels in [["mail server", "example", "com"], ["mail", "exa$mple", "com"], ["-mail", "example", "com"]] {
            let name = try #require(DNSName(labels: labels.map { Array($0.utf8) }))
            #expect(!HostnameRules.glibcKeeps(name), "\(name)")
        }
    }

    @Test("every byte is a hostname character or not as the rules list them, in any place of a label")
    func everyByte() throws {
        for byte in UInt8.min...UInt8.max {
            for label in [[byte], [UInt8(ascii: "a"), byte], [byte, UInt8(ascii: "9")], [0x61, byte, 0x62]] {
                let name = try #require(DNSName(labels: [label, Array("example".utf8)]))
                #expect(HostnameRules.violation(in: name) == plainReadingViolation(name), "byte \(byte)")
            }
        }
    }

    @Test("the rules give a plain reading's answer for names of every shape")
    func agreesWithAPlainReading() throws {
        var random = SplitMix(state: 20_261_205)
        let hostnameBytes = Array("abcxyzABCXYZ0123456789--__".utf8)
        let otherBytes = [UInt8(ascii: "."), 0x20, 0x00, 0xe9, UInt8(ascii: "$")]
        var valid = 0
        for _ in 0..<4_000 {
            // One name in eight of digits only, one in eight with a byte no hostname has here and there.
            let digitsOnly = random.below(8) == 0, odd = random.below(8) == 0
            let labels = (0..<(1 + random.below(5))).map { _ in
                let length = random.below(12) == 0 ? 55 + random.below(9)
                    : 1 + random.below(10)
                return (0..<length).map { _ in
                    if digitsOnly { return UInt8(ascii: "0") + UInt8(random.below(10)) }
                    let bytes = odd && random.below(6) == 0 ? otherBytes : hostnameBytes
                    return bytes.randomElement(using: &random)!
                }
            }
            guard let name = DNSName(labels: labels) else { continue }
            let expected = plainReadingViolation(name)
            #expect(HostnameRules.violation(in: name) == expected, "\(name)")
            if expected == nil { valid += 1 }
        }
        #expect(valid > 1_000 && valid < 3_000, "\(valid) valid")
    }
}

/// `HostnameRules.violation` as its documentation reads, label by label, on the name's labels.
private func plainReadingViolation(_ name: DNSName) -> String? {
    let labels = name.labels
    guard !labels.isEmpty else { return "it is the root name" }
    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".utf8)
    for label in labels {
        if label.count > 63 { return "a label is longer than 63 characters" }
        if !label.allSatisfy(allowed.contains) { return "a label holds a character other than a-z, 0-9, - and _" }
        if label.first == UInt8(ascii: "-") { return "a label starts with a hyphen" }
        if label.last == UInt8(ascii: "-") { return "a label ends with a hyphen" }
    }
    let digits = Set("0123456789".utf8)
    return labels.allSatisfy { $0.allSatisfy(digits.contains) } ? "it is made of digits and dots only" : nil
}
