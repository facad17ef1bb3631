import Glibc
import RDNSCore

/// libFuzzer target: addresses, ranges, `ADDRESS=NAME`, nameservers, durations and names as typed on the command
/// line and in the configuration file. The input is taken as text (invalid UTF-8 repaired, as Swift does for
/// `CommandLine.arguments`).
///
/// Properties: `IPAddress` parses exactly what glibc's inet_pton(3) parses, to the same bits, and prints
/// (RFC 5952) text that parses back to the same address; every 4- and 16-byte value prints as glibc's
/// inet_ntop(3) does (outside the forms with an IPv4 tail, which glibc and RFC 5952 §5 write differently);
/// ranges, nameservers and `ADDRESS=NAME` print text that parses back the same; durations are non-negative.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
    let text = String(decoding: bytes, as: UTF8.self)
    checkAddress(text)
    checkFormatting(bytes)
    checkRange(text)
    checkArgument(text)
    checkNameserver(text)
    checkDuration(text)
    checkName(text)
    return 0
}

func checkAddress(_ text: String) {
    let address = IPAddress(text)
    require(address == IPAddress(Substring(text)), "String and Substring parse differently")
    if !text.utf8.contains(0) {
        let family = text.utf8.contains(UInt8(ascii: ":")) ? AF_INET6 : AF_INET
        require(address == glibcParse(text, family: family), "IPAddress(\(text.debugDescription)) is \(String(describing: address)), "
                + "inet_pton gives \(String(describing: glibcParse(text, family: family)))")
    }
    guard let address else { return }
    let canonical = address.description
    require(IPAddress(canonical) == address, "\(canonical) does not parse back to the same address")
    require(IPAddress(canonical)?.description == canonical, "canonical text is not stable")
}

/// Every binary address prints as canonical text that parses back to it.
func checkFormatting(_ bytes: UnsafeBufferPointer<UInt8>) {
    for width in [4, 16] where bytes.count >= width {
        guard let address = IPAddress(bytes: bytes.prefix(width)) else { fatalError("\(width) bytes are no address") }
        let text = address.description
        require(IPAddress(text) == address, "\(text) does not parse back to the same address")
        require(text == text.lowercased() && !text.contains(":::"), "\(text) is not lowercase and compressed")
        if width == 16, !glibcDiffersByDesign(address) {
            require(text == glibcFormat(address), "\(text) differs from inet_ntop's \(glibcFormat(address))")
        }
    }
}

func checkRange(_ text: String) {
    guard let range = try? AddressRange(parsing: text) else { return }
    require(range.count <= AddressRange.maximumSize, "range of \(range.count) addresses")
    let addresses = Array(range)
    require(addresses.count == range.count && addresses.first == range.network, "range addresses do not match")
    require(zip(addresses, addresses.dropFirst()).allSatisfy { $0 < $1 }, "range addresses not ascending")
    require((try? AddressRange(parsing: range.description)) == range, "\(range) does not parse back")
}

func checkArgument(_ text: String) {
    guard case .success(let targets) = TargetParser.parseArgument(text) else { return }
    require(!targets.isEmpty, "an argument gave no target")
    require(Set(targets.map(\.address)).count == targets.count, "an argument gave an address twice")
    for target in targets {
        if let name = target.expectedName {
            require(targets.count == 1, "an expected name on a range")
            require(HostnameRules.violation(in: name) == nil, "expected name \(name) is not a hostname")
            let again = TargetParser.parseArgument("\(target.address)=\(name)")
            require(again.map(Array.init) == .success([target]), "\(target.address)=\(name) does not parse back")
        }
    }
}

func checkNameserver(_ text: String) {
    guard let nameserver = try? Nameserver(parsing: text) else { return }
    require(nameserver.port > 0, "port 0 accepted")
    require((try? Nameserver(parsing: nameserver.description)) == nameserver, "\(nameserver) does not parse back")
}

func checkDuration(_ text: String) {
    guard let seconds = try? Duration.parse(text) else { return }
    require(seconds >= 0, "negative duration \(seconds) from \(text.debugDescription)")
    require((try? Duration.parse("\(seconds)s")) == seconds, "\(seconds)s does not parse")
}

func checkName(_ text: String) {
    guard let name = DNSName(text) else { return }
    require(name.wire.count <= DNSName.maximumWireLength, "name longer than 255 octets")
    if HostnameRules.violation(in: name) == nil {
        var plain = Substring(text)
        if plain.hasSuffix(".") { plain = plain.dropLast() }
        require(name.description == plain, "hostname \(text.debugDescription) prints as \(name)")
    }
}

// MARK: - glibc as the reference

func glibcParse(_ text: String, family: Int32) -> IPAddress? {
    var buffer = [UInt8](repeating: 0, count: 16)
    guard inet_pton(family, text, &buffer) == 1 else { return nil }
    return IPAddress(bytes: buffer.prefix(family == AF_INET ? 4 : 16))
}

func glibcFormat(_ address: IPAddress) -> String {
    guard case .v6(let value) = address else { fatalError("not IPv6") }
    var bytes = (0..<16).map { UInt8(truncatingIfNeeded: value >> UInt128(120 - 8 * $0)) }
    var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    guard inet_ntop(AF_INET6, &bytes, &text, socklen_t(text.count)) != nil else { fatalError("inet_ntop failed") }
    return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// glibc writes `::a.b.c.d` for IPv4-compatible addresses, which RFC 5952 §5 leaves hexadecimal (`::a0b:c0d`), and
/// hexadecimal for IPv4-translated (`::ffff:0:a0b:c0d`) and NAT64 (`64:ff9b::a0b:c0d`) addresses, which it writes
/// with a dotted tail (both are valid text for the same address); only those differ by design.
func glibcDiffersByDesign(_ address: IPAddress) -> Bool {
    guard case .v6(let value) = address else { return false }
    let prefix = value >> 32
    return prefix == 0 || prefix == 0xffff_0000 || prefix == 0x64_ff9b << 64
}

func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError(message()) }
}
