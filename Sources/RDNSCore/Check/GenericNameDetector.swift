/// Recognises generic PTR names: ones that embed the address (`203-0-113-25.dsl.example.net`,
/// `25.113.0.203.static.example.net`, `host-203000113025.example.net`, `c0a80001.example.net`) and the defaults
/// large clouds give every address. Receivers such as SpamAssassin's RDNS_DYNAMIC and many blocklists treat these
/// as "not a real mail server".
///
/// It runs once per PTR name of every address of a range, so it works on the name's bytes in one pass, without
/// building strings.
public enum GenericNameDetector {
    /// Why `name` is generic for `address`, or nil.
    public static func reason(_ name: DNSName, for address: IPAddress) -> String? {
        // The dotted, lowercased text is built on the stack: a name's text is at most 254 bytes.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: DNSName.maximumWireLength) { buffer in
            let text = UnsafeBufferPointer(rebasing: buffer[0..<dottedLowercase(name, into: buffer)])
            if let provider = cloudProvider(of: text) {
                return "the \(provider) default name"
            }
            let embeds: Bool
            switch address {
            case .v4(let value): embeds = embedsIPv4(text, value)
            case .v6(let value): embeds = embedsIPv6(text, value)
            }
            return embeds ? "a name that embeds the address" : nil
        }
    }

    /// Suffixes (and the first label's prefix where the provider uses one) of cloud default PTR names.
    static let cloudDefaults: [(provider: String, suffix: [UInt8], firstLabelPrefix: [UInt8])] = [
        ("AWS EC2", ".compute.amazonaws.com", "ec2-"),
        ("AWS EC2", ".compute-1.amazonaws.com", "ec2-"),
        ("Google Cloud", ".bc.googleusercontent.com", ""),
        ("Azure", ".cloudapp.azure.com", ""),
        ("Azure", ".cloudapp.net", ""),
        ("Linode", ".ip.linodeusercontent.com", ""),
        ("Linode", ".members.linode.com", "li"),
        ("Vultr", ".vultrusercontent.com", ""),
        ("Hetzner", ".clients.your-server.de", "static."),
        ("OVHcloud", ".vps.ovh.net", "vps-"),
        ("DigitalOcean", ".digitaloceanspaces.com", ""),
    ].map { ($0.0, Array($0.1.utf8), Array($0.2.utf8)) }

    /// Each entry's last eight bytes as one number (every suffix is longer), apart from the entries: comparing them
    /// first rules out every entry for most names without touching one (a loop over the entries retained and
    /// released their three arrays, every name). The last byte alone did not: `.test`, `.net` and `.de` names end
    /// as `.cloudapp.net` or `.clients.your-server.de` do.
    private static let cloudDefaultEndings = cloudDefaults.map { $0.suffix.withUnsafeBufferPointer(lastEightBytes) }

    private static func cloudProvider(of text: UnsafeBufferPointer<UInt8>) -> String? {
        guard text.count > 8, cloudDefaultEndings.contains(lastEightBytes(of: text)) else { return nil }
        for entry in cloudDefaults where text.count > entry.suffix.count && text.starts(with: entry.firstLabelPrefix)
            && text.suffix(entry.suffix.count).elementsEqual(entry.suffix) {
            return entry.provider
        }
        return nil
    }

    /// The last eight bytes of `bytes` (at least eight) as one number, read at once.
    private static func lastEightBytes(of bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        UnsafeRawPointer(bytes.baseAddress! + bytes.count - 8).loadUnaligned(as: UInt64.self)
    }

    /// Writes the labels joined with dots, ASCII-lowercased (other bytes as they are), into `text` (room for 255
    /// bytes: a name's text is at most its wire length less one); returns the length.
    private static func dottedLowercase(_ name: DNSName, into text: UnsafeMutableBufferPointer<UInt8>) -> Int {
        // The text is the wire form after its first length byte, the other length bytes turned into dots: copied
        // at once, then lowercased in one loop the compiler vectorises. Copying byte by byte, minding the labels
        // and the room left, took about 20 instructions a byte, and a copy per label a call each.
        name.wire.withUnsafeBufferPointer { wire in
            guard let bytes = wire.baseAddress, let out = text.baseAddress, wire.count > 1 else { return 0 }
            out.update(from: bytes + 1, count: min(wire.count - 1, text.count))
            var length = 0
            var index = 0
            while index < wire.count, bytes[index] != 0, index <= text.count {
                if index > 0 { out[index - 1] = UInt8(ascii: ".") }
                let end = index + 1 + Int(bytes[index])
                // A cut label (names are built whole) ends with the wire form.
                length = min(end, wire.count) - 1
                index = end
            }
            length = min(length, text.count)
            for position in 0..<length {
                out[position] = asciiLowercased(out[position])
            }
            return length
        }
    }

    private static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
    }

    /// The four octets as 1-3 digit numbers joined by single separators, in order or reversed (`192-0-2-1`,
    /// `1.2.0.192`, `192.000.002.001`); 12 digits of zero-padded octets; or 8 hex digits (`c0000201`). Digit and
    /// hex runs are maximal, so `h10012` is not 10.0.1.2.
    private static func embedsIPv4(_ text: UnsafeBufferPointer<UInt8>, _ value: UInt32) -> Bool {
        mayEmbedIPv4(text) && embedsIPv4Exactly(text, value)
    }

    /// `embedsIPv4` without its first light pass (the tests compare the two).
    static func embedsIPv4Exactly(_ text: UnsafeBufferPointer<UInt8>, _ value: UInt32) -> Bool {
        let octets = (Int(value >> 24), Int(value >> 16 & 0xff), Int(value >> 8 & 0xff), Int(value & 0xff))
        let reversed = (octets.3, octets.2, octets.1, octets.0)
        var chain = (0, 0, 0, 0)
        var chainLength = 0
        var previousEnd = -2
        var index = 0
        while index < text.count {
            guard isDecimalDigit(text[index]) else {
                index += 1
                continue
            }
            let start = index
            var number = 0
            while index < text.count, isDecimalDigit(text[index]) {
                number = number &* 10 &+ Int(text[index] - UInt8(ascii: "0"))
                index += 1
            }
            let joined = start == previousEnd + 1 && previousEnd >= 0 && isSeparator(text[previousEnd])
            if !joined { chainLength = 0 }
            previousEnd = index
            if index - start == 12 && paddedOctets(text[start..<index]) == octets { return true }
            guard index - start <= 3 else {
                chainLength = 0
                continue
            }
            chain = (chain.1, chain.2, chain.3, number)
            chainLength += 1
            if chainLength >= 4 && (chain == octets || chain == reversed) { return true }
        }
        index = 0
        while index < text.count {
            guard hexDigitValue(text[index]) != nil else {
                index += 1
                continue
            }
            let start = index
            var number: UInt64 = 0
            while index < text.count, let digit = hexDigitValue(text[index]) {
                number = number << 4 | UInt64(digit)
                index += 1
            }
            if index - start == 8 && number == UInt64(value) { return true }
        }
        return false
    }

    /// What every form `embedsIPv4` looks for needs: four digit runs, or a run of 12 digits or of 8 hex digits (12
    /// digits are a run of 8 hex digits too). One light pass that rules out most names (`mail.example.com`,
    /// `h4113.example.net`) before the exact one.
    private static func mayEmbedIPv4(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var digitRuns = 0, hexRun = 0
        var previousWasDigit = false
        // Hex digits are asked in lowercase only: the text is lowercase (`dottedLowercase`).
        for byte in text {
            let digit = byte &- UInt8(ascii: "0") < 10
            let hex = digit || byte &- UInt8(ascii: "a") < 6
            digitRuns &+= digit && !previousWasDigit ? 1 : 0
            previousWasDigit = digit
            hexRun = hex ? hexRun &+ 1 : 0
            if hexRun == 8 { return true }
        }
        return digitRuns >= 4
    }

    /// Four 3-digit groups read from 12 digits.
    private static func paddedOctets(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> (Int, Int, Int, Int) {
        var values = (0, 0, 0, 0)
        for (position, byte) in digits.enumerated() {
            let digit = Int(byte - UInt8(ascii: "0"))
            switch position / 3 {
            case 0: values.0 = values.0 * 10 + digit
            case 1: values.1 = values.1 * 10 + digit
            case 2: values.2 = values.2 * 10 + digit
            default: values.3 = values.3 * 10 + digit
            }
        }
        return values
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        isDecimalDigit(byte) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
    }

    /// The 32 nibbles in order (plain or separated by one separator each) or reversed, as ip6.arpa writes them.
    private static func embedsIPv6(_ text: UnsafeBufferPointer<UInt8>, _ value: UInt128) -> Bool {
        let nibbles = (0..<32).map { UInt8((value >> UInt128(124 - 4 * $0)) & 0xf) }
        var run: [UInt8] = []
        var index = 0
        func check() -> Bool {
            run.count >= 32 && (0...(run.count - 32)).contains { offset in
                let window = run[offset..<(offset + 32)]
                return window.elementsEqual(nibbles) || window.elementsEqual(nibbles.reversed())
            }
        }
        while index < text.count {
            if let nibble = hexDigitValue(text[index]) {
                run.append(nibble)
            } else if !(isSeparator(text[index]) && index + 1 < text.count && hexDigitValue(text[index + 1]) != nil) {
                if check() { return true }
                run.removeAll(keepingCapacity: true)
            }
            index += 1
        }
        return check() || embedsCompressedIPv6(text, value)
    }

    /// The RFC 5952 text with ':' as '-' (`2001-db8--25`).
    private static func embedsCompressedIPv6(_ text: UnsafeBufferPointer<UInt8>, _ value: UInt128) -> Bool {
        let pattern = Array(IPAddress.v6(value).description.utf8)
            .map { $0 == UInt8(ascii: ":") ? UInt8(ascii: "-") : $0 }
        guard pattern.count <= text.count else { return false }
        for start in 0...(text.count - pattern.count)
        where text[start..<(start + pattern.count)].elementsEqual(pattern) {
            let before = start == 0 ? nil : text[start - 1]
            let after = start + pattern.count == text.count ? nil : text[start + pattern.count]
            if (before.map { !isAlphanumeric($0) } ?? true) && (after.map { !isAlphanumeric($0) } ?? true) {
                return true
            }
        }
        return false
    }
}
