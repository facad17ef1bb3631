import RDNSCore
import Testing

/// A name built from raw labels, as the network may deliver it.
private func rawName(_ labels: [UInt8]...) -> DNSName {
    DNSName(labels: labels)!
}

private func labelTexts(_ name: DNSName) -> [String] {
    name.labels.map { String(decoding: $0, as: UTF8.self) }
}

/// Hostile labels and their escaped form.
private let escapedLabels: [([UInt8], String)] = [
    (Array("$(reboot)".utf8), "\\036\\040reboot\\041"),
    (Array("a b".utf8), "a\\032b"),
    (Array("line\nbreak".utf8), "line\\010break"),
    ([0x1B] + Array("[31m".utf8), "\\027\\09131m"),
    ([0xFF, 0x00, 0x7F], "\\255\\000\\127"),
    (Array("a.b".utf8), "a\\046b"),
    (Array("back\\slash".utf8), "back\\092slash"),
    (Array("quote\"'".utf8), "quote\\034\\039"),
    (Array("pipe|semi;amp&".utf8), "pipe\\124semi\\059amp\\038"),
    (Array("caf\u{e9}".utf8), "caf\\195\\169"),
    (Array("Ok-_/09".utf8), "Ok-_/09"),
]

@Suite("DNSName: labels, case-insensitive comparison, escaping and reverse names")
struct DNSNameTests {
    @Test("a typed name splits into labels, most specific first, with one trailing dot ignored")
    func labels() throws {
        let name = try #require(DNSName("mail.example.com"))
        #expect(labelTexts(name) == ["mail", "example", "com"])
        #expect(name.wire == [4] + Array("mail".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0])
        #expect(DNSName("mail.example.com.") == name)
        #expect(DNSName("mail.example.com.")?.description == "mail.example.com")
    }

    @Test("empty names, empty labels and more than one trailing dot are rejected", arguments: [
        "", ".", "..", "mail..example.com", ".mail.example.com", "mail.example.com..",
    ])
    func malformedTypedNames(text: String) {
        #expect(DNSName(text) == nil)
    }

    @Test("a label may hold 63 octets and a name 255 octets of wire format, no more")
    func lengthLimits() {
        let label63 = [UInt8](repeating: UInt8(ascii: "a"), count: 63)
        #expect(DNSName(labels: [label63]) != nil)
        #expect(DNSName(labels: [label63 + [UInt8(ascii: "a")]]) == nil)
        // 3 × (1 + 63) + (1 + 61) + 1 = 255
        let label61 = [UInt8](repeating: UInt8(ascii: "b"), count: 61)
        #expect(DNSName(labels: [label63, label63, label63, label61])?.wire.count == 255)
        #expect(DNSName(labels: [label63, label63, label63, label61 + [UInt8(ascii: "b")]]) == nil)
        #expect(DNSName(labels: [label63, [UInt8]()]) == nil)
        #expect(DNSName(String(repeating: "x", count: 64) + ".example.com") == nil)
    }

    @Test("names compare and hash ASCII case-insensitively")
    func caseInsensitive() throws {
        let lower = try #require(DNSName("mail.example.com"))
        let mixed = try #require(DNSName("MAIL.Example.COM."))
        #expect(lower == mixed)
        #expect(lower.hashValue == mixed.hashValue)
        #expect(Set([lower, mixed]).count == 1)
        #expect([mixed: 1][lower] == 1)
        #expect(mixed.description == "MAIL.Example.COM")
        #expect(DNSName("mail.example.com") != DNSName("mail.example.net"))
        #expect(DNSName("mail.example.com") != DNSName("mail.example.com.au"))
        #expect(DNSName("ab.example.com") != DNSName("a.bexample.com"))
    }

    @Test("only ASCII letters fold: bytes above 0x7F compare exactly")
    func nonASCIIDoesNotFold() {
        // 0xC9 and 0xE9 differ by 0x20 like 'É' and 'é' in Latin-1, but are not ASCII letters.
        #expect(rawName([0xC9], Array("com".utf8)) != rawName([0xE9], Array("com".utf8)))
        #expect(rawName([UInt8(ascii: "@")]) != rawName([UInt8(ascii: "`")]))
    }

    @Test("description escapes every byte outside a-z A-Z 0-9 - _ / as \\DDD", arguments: escapedLabels)
    func escaping(label: [UInt8], escaped: String) {
        let name = rawName(label, Array("example".utf8), Array("com".utf8))
        #expect(name.description == escaped + ".example.com")
    }

    @Test("an escaped description holds only printable ASCII")
    func escapedIsPrintable() {
        let bytes = [UInt8](0...255)
        for start in stride(from: 0, to: bytes.count, by: 63) {
            let name = rawName(Array(bytes[start..<min(start + 63, bytes.count)]))
            #expect(name.description.utf8.allSatisfy { (0x21...0x7E).contains($0) })
        }
    }

    @Test("a dot inside a label is not a label separator")
    func dotInsideLabel() {
        let name = rawName(Array("a.b".utf8), Array("example".utf8))
        #expect(name.labels.count == 2)
        #expect(name != DNSName("a.b.example"))
    }

    @Test("the reverse name of an IPv4 address is its octets reversed under in-addr.arpa", arguments: [
        ("203.0.113.25", "25.113.0.203.in-addr.arpa"),
        ("10.0.1.2", "2.1.0.10.in-addr.arpa"),
        ("0.0.0.0", "0.0.0.0.in-addr.arpa"),
        ("255.255.255.255", "255.255.255.255.in-addr.arpa"),
    ])
    func reverseIPv4(address: String, reverse: String) throws {
        let name = DNSName.reverse(of: try #require(IPAddress(address)))
        #expect(name.description == reverse)
        #expect(name == DNSName(reverse))
        #expect(name.labels.count == 6)
    }

    @Test("the reverse name of an IPv6 address is 32 nibbles, lowest first, under ip6.arpa", arguments: [
        ("2001:db8::25", "5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"),
        ("::1", "1" + String(repeating: ".0", count: 31) + ".ip6.arpa"),
        ("::", "0" + String(repeating: ".0", count: 31) + ".ip6.arpa"),
        ("2001:DB8:ABCD:12::F", "f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.2.1.0.0.d.c.b.a.8.b.d.0.1.0.0.2.ip6.arpa"),
    ])
    func reverseIPv6(address: String, reverse: String) throws {
        let name = DNSName.reverse(of: try #require(IPAddress(address)))
        #expect(name.description == reverse)
        #expect(name.labels.count == 34)
        #expect(name.labels.prefix(32).allSatisfy { $0.count == 1 })
    }

    @Test("a name is within itself and within every name it ends with, label by label", arguments: [
        ("a.b.example.com", "example.com", true),
        ("example.com", "example.com", true),
        ("Mail.EXAMPLE.com", "example.COM", true),
        ("25.113.0.203.in-addr.arpa", "in-addr.arpa", true),
        ("notexample.com", "example.com", false),
        ("com", "example.com", false),
        ("example.com", "a.example.com", false),
        ("example.net", "example.com", false),
        ("example.com.au", "example.com", false),
    ])
    func isWithin(name: String, other: String, within: Bool) throws {
        let inner = try #require(DNSName(name))
        let outer = try #require(DNSName(other))
        #expect(inner.isWithin(outer) == within)
    }

    @Test("every name is within the root")
    func withinRoot() throws {
        let root = try #require(DNSName(labels: [[UInt8]]()))
        #expect(root.labels.isEmpty)
        #expect(DNSName("mail.example.com")!.isWithin(root))
        #expect(!root.isWithin(DNSName("com")!))
    }

    @Test("names sort alphabetically, ignoring case")
    func ordering() {
        let sorted = ["mx.example.com", "Mail.example.com", "a.example.net", "b.example.com"]
            .compactMap { DNSName($0) }.sorted().map(\.description)
        #expect(sorted == ["a.example.net", "b.example.com", "Mail.example.com", "mx.example.com"])
    }
}
