@testable import RDNSCore
import Testing

private func genericReason(_ name: String, _ address: String) throws -> String? {
    GenericNameDetector.reason(try #require(DNSName(name)), for: try #require(IPAddress(address)))
}

@Suite("GenericNameDetector: cloud defaults and names that embed the address")
struct GenericNameDetectorTests {
    @Test("cloud providers' default names are generic, whatever address they name", arguments: [
        ("ec2-203-0-113-25.compute-1.amazonaws.com", "203.0.113.25", "AWS EC2"),
        ("ec2-203-0-113-25.eu-west-1.compute.amazonaws.com", "203.0.113.25", "AWS EC2"),
        ("EC2-203-0-113-25.US-WEST-2.COMPUTE.AMAZONAWS.COM.", "203.0.113.25", "AWS EC2"),
        ("ec2-198-51-100-9.compute-1.amazonaws.com", "203.0.113.25", "AWS EC2"),
        ("25.113.0.203.bc.googleusercontent.com", "203.0.113.25", "Google Cloud"),
        ("mailvm.westeurope.cloudapp.azure.com", "203.0.113.25", "Azure"),
        ("mailvm.cloudapp.net", "203.0.113.25", "Azure"),
    ])
    func cloudDefaults(name: String, address: String, provider: String) throws {
        #expect(try genericReason(name, address) == "the \(provider) default name")
    }

    @Test("a name in a provider's zone without the provider's default prefix is not a cloud default")
    func providerZoneWithoutPrefix() throws {
        #expect(try genericReason("mail.compute.amazonaws.com", "203.0.113.25") == nil)
        #expect(try genericReason("notec2-1.compute-1.amazonaws.com", "203.0.113.25") == nil)
    }

    @Test("names that embed the address are generic", arguments: [
        ("203-0-113-25.dsl.example.net", "203.0.113.25"),
        ("203.0.113.25.static.example.net", "203.0.113.25"),
        ("25.113.0.203.static.example.net", "203.0.113.25"),
        ("25-113-0-203.example.net", "203.0.113.25"),
        ("host-203_0_113_25.example.net", "203.0.113.25"),
        ("203-000-113-025.pool.example.net", "203.0.113.25"),
        ("203.000.113.025.pool.example.net", "203.0.113.25"),
        ("dyn203000113025.example.net", "203.0.113.25"),
        ("cb007119.example.net", "203.0.113.25"),
        ("ip-10-0-1-2.ec2.internal", "10.0.1.2"),
        ("host10-0-1-2.example.net", "10.0.1.2"),
        ("10-0-1-2", "10.0.1.2"),
        ("2001-db8--25.example.net", "2001:db8::25"),
        ("20010db8000000000000000000000025.example.net", "2001:db8::25"),
    ])
    func embedsAddress(name: String, address: String) throws {
        #expect(try genericReason(name, address) == "a name that embeds the address")
    }

    @Test("names that merely contain the address's digits or embed another address are not generic", arguments: [
        ("h10012.example.net", "10.0.1.2"),
        ("mail.example.com", "203.0.113.25"),
        ("mx1.example.com", "10.0.1.2"),
        ("203-0-113-26.dsl.example.net", "203.0.113.25"),
        ("203-0-113-250.dsl.example.net", "203.0.113.25"),
        ("1203-0-113-25.dsl.example.net", "203.0.113.25"),
        ("26.113.0.203.static.example.net", "203.0.113.25"),
        ("ec2-203-0-113-25.example.com", "198.51.100.9"),
        ("mail2001.example.net", "2001:db8::25"),
    ])
    func notGeneric(name: String, address: String) throws {
        #expect(try genericReason(name, address) == nil)
    }

    @Test("its light passes give the full rules' answer for names of every shape, the tricky ones above included")
    func lightPassesAgreeWithTheFullRules() throws {
        var random = SplitMix(state: 20_261_205)
        var generic = (cloud: 0, embedding: 0)
        for (name, value) in try generatedNames(&random) {
            let expected = fullRulesReason(name, value)
            #expect(GenericNameDetector.reason(name, for: .v4(value)) == expected, "\(name) \(IPAddress.v4(value))")
            if expected?.hasPrefix("the ") == true { generic.cloud += 1 }
            if expected?.hasPrefix("a name") == true { generic.embedding += 1 }
        }
        // Names of each kind were among them, so the comparison says something about both.
        #expect(generic.cloud > 60 && generic.embedding > 400, "\(generic)")
    }
}

/// What `GenericNameDetector.reason` says of an IPv4 address's name, from the rules alone: the name's text built
/// from its labels, every cloud default's suffix and prefix compared, and the exact search for the address, without
/// the passes that rule most names out first.
private func fullRulesReason(_ name: DNSName, _ value: UInt32) -> String? {
    let text = Array(name.labels.joined(separator: [UInt8(ascii: ".")])).map { byte in
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
    for entry in GenericNameDetector.cloudDefaults where text.count > entry.suffix.count
        && text.starts(with: entry.firstLabelPrefix) && text.suffix(entry.suffix.count).elementsEqual(entry.suffix) {
        return "the \(entry.provider) default name"
    }
    let embeds = text.withUnsafeBufferPointer { GenericNameDetector.embedsIPv4Exactly($0, value) }
    return embeds ? "a name that embeds the address" : nil
}

/// The IPv4 names of the tests above, and 6,000 made of the pieces generic names and others are made of: the
/// address in each form, other digits and hex runs, words, separators, cloud suffixes and prefixes, capitals, and
/// bytes no hostname has (a dot inside a label among them).
private func generatedNames(_ random: inout SplitMix) throws -> [(DNSName, UInt32)] {
    let tricky = [
        ("ec2-203-0-113-25.compute-1.amazonaws.com", "203.0.113.25"), ("mailvm.cloudapp.net", "203.0.113.25"),
        ("EC2-203-0-113-25.US-WEST-2.COMPUTE.AMAZONAWS.COM.", "203.0.113.25"),
        ("mail.compute.amazonaws.com", "203.0.113.25"), ("notec2-1.compute-1.amazonaws.com", "203.0.113.25"),
        ("203-0-113-25.dsl.example.net", "203.0.113.25"), ("host-203_0_113_25.example.net", "203.0.113.25"),
        ("203.000.113.025.pool.example.net", "203.0.113.25"), ("dyn203000113025.example.net", "203.0.113.25"),
        ("cb007119.example.net", "203.0.113.25"), ("h10012.example.net", "10.0.1.2"), ("10-0-1-2", "10.0.1.2"),
        ("1203-0-113-25.dsl.example.net", "203.0.113.25"), ("26.113.0.203.static.example.net", "203.0.113.25"),
        ("h123.example.test", "10.0.0.123"), ("h65535.example.test", "10.0.255.255"),
    ]
    var names = try tricky.map { text, address -> (DNSName, UInt32) in
        guard case .v4(let value) = try #require(IPAddress(address)) else { throw GeneratorError.notIPv4 }
        return (try #require(DNSName(text)), value)
    }
    let words = ["mail", "mx", "h", "ip", "host", "dyn", "static", "pool", "example", "test", "net", "com", "de",
                 "cafe", "deadbeef", "facade", "ec2", "vps", "li", "notec2", "a", "b"]
    let cloud = GenericNameDetector.cloudDefaults.map { (String(decoding: $0.firstLabelPrefix, as: UTF8.self),
                                                         String(decoding: $0.suffix, as: UTF8.self)) }
    while names.count < 6_000 {
        let value = random.below(4) == 0 ? UInt32(0x0a00_0000) | UInt32(random.below(65_536))
            : UInt32(truncatingIfNeeded: random.next())
        let octets = [value >> 24, value >> 16 & 0xff, value >> 8 & 0xff, value & 0xff].map { Int($0) }
        let forms = [
            octets.map(String.init), octets.reversed().map(String.init),
            octets.map { String(1000 + $0).dropFirst() }.map(String.init),
        ]
        var text = ""
        for _ in 0..<(1 + random.below(6)) {
            if !text.isEmpty { text += ["-", "-", ".", ".", ".", "_", ""][random.below(7)] }
            switch random.below(8) {
            case 0:
                let separator = ["-", ".", "_", "", "--"].randomElement(using: &random)!
                text += forms[random.below(3)].joined(separator: separator)
            case 1: text += String(value, radix: 16)
            case 2: text += String(random.below(1 << (4 * (1 + random.below(13)))))
            case 3: text += String(random.below(1 << (4 * (1 + random.below(10)))), radix: 16)
            case 4:
                let (prefix, suffix) = cloud.randomElement(using: &random)!
                text = prefix + text + suffix
            default: text += words.randomElement(using: &random)!
            }
        }
        if random.below(5) == 0 { text = text.uppercased() }
        var labels = text.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) }
        if random.below(8) == 0, labels.count > 1 {
            // A dot, a space or a byte above ASCII inside a label.
            let index = random.below(labels.count - 1)
            labels[index] += [[UInt8(ascii: ".")], [0x20], [0xc3, 0xa9]].randomElement(using: &random)!
                + labels.remove(at: index + 1)
        }
        if let name = DNSName(labels: labels) { names.append((name, value)) }
    }
    return names
}

private enum GeneratorError: Error {
    case notIPv4
}
