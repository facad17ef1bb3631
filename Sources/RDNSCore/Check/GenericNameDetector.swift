/// Recognises generic PTR names: ones that embed the address (`203-0-113-25.dsl.example.net`,
/// `25.113.0.203.static.example.net`) and the defaults large clouds give every address. Receivers such as
/// SpamAssassin's RDNS_DYNAMIC and many blocklists treat these as "not a real mail server".
public enum GenericNameDetector {
    /// Why `name` is generic for `address`, or nil.
    public static func reason(_ name: DNSName, for address: IPAddress) -> String? {
        let text = name.description.lowercased()
        if let provider = cloudProvider(of: text) {
            return "the \(provider) default name"
        }
        if embedsAddress(text, address) {
            return "a name that embeds the address"
        }
        return nil
    }

    /// Suffixes (and the first label's prefix where the provider uses one) of cloud default PTR names.
    private static let cloudDefaults: [(provider: String, suffix: String, firstLabelPrefix: String)] = [
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
    ]

    private static func cloudProvider(of text: String) -> String? {
        for entry in cloudDefaults where text.hasSuffix(entry.suffix) && text.hasPrefix(entry.firstLabelPrefix) {
            return entry.provider
        }
        return nil
    }

    /// The address written into the name in one of the usual ways, as a whole token (between dots, dashes
    /// or the ends), so `h10012.example.net` is not taken for 10.0.1.2.
    private static func embedsAddress(_ text: String, _ address: IPAddress) -> Bool {
        patterns(for: address).contains { containsToken(text, $0) }
    }

    private static func patterns(for address: IPAddress) -> [String] {
        switch address {
        case .v4(let value):
            let octets = (0..<4).map { Int((value >> (24 - 8 * UInt32($0))) & 0xff) }
            let decimal = octets.map(String.init)
            let padded = octets.map { String($0 + 1000).dropFirst() }.map(String.init)
            let hex = octets.map { String($0 + 0x100, radix: 16).dropFirst() }.joined()
            var result: [String] = []
            for separator in ["-", ".", "_"] {
                result.append(decimal.joined(separator: separator))
                result.append(decimal.reversed().joined(separator: separator))
                result.append(padded.joined(separator: separator))
            }
            result += [padded.joined(), hex]
            return result
        case .v6(let value):
            let nibbles = (0..<32).map { String(UInt8((value >> UInt128(124 - 4 * $0)) & 0xf), radix: 16) }
            let canonical = address.description
            return [nibbles.joined(), nibbles.joined(separator: "-"), nibbles.reversed().joined(separator: "."),
                    canonical.replacingColons(with: "-")]
        }
    }

    private static func containsToken(_ text: String, _ token: String) -> Bool {
        var searchStart = text.startIndex
        while let range = text.range(of: token, from: searchStart) {
            let before = range.lowerBound == text.startIndex ? nil : text[text.index(before: range.lowerBound)]
            let after = range.upperBound == text.endIndex ? nil : text[range.upperBound]
            if isBoundary(before) && isBoundary(after) { return true }
            searchStart = text.index(after: range.lowerBound)
        }
        return false
    }

    /// Letters around the token still count as a boundary (`ip-10-0-1-2`, `host10-0-1-2`); digits do not.
    private static func isBoundary(_ character: Character?) -> Bool {
        guard let character else { return true }
        return !character.isASCII || !character.isNumber
    }
}

extension String {
    /// The first occurrence of `needle` at or after `start` (plain character comparison, no Foundation).
    func range(of needle: String, from start: Index) -> Range<Index>? {
        guard !needle.isEmpty else { return nil }
        var index = start
        while index < endIndex {
            if self[index...].hasPrefix(needle) {
                return index..<self.index(index, offsetBy: needle.count)
            }
            index = self.index(after: index)
        }
        return nil
    }

    func replacingColons(with replacement: String) -> String {
        split(separator: ":", omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
