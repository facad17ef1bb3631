/// The nameservers to ask when none are configured (SPEC "No synthesized answers"): those of /etc/resolv.conf, as
/// glibc reads them, unless they are only systemd-resolved's stubs, which make answers up for the host's own
/// addresses; then the upstream servers resolved lists in /run/systemd/resolve/resolv.conf.
public struct SystemNameservers: Sendable, Equatable {
    /// Where the two files are (tests give temporary ones).
    public struct Files: Sendable, Equatable {
        public var resolvConf: String
        public var resolvedUpstreams: String

        public init(resolvConf: String = "/etc/resolv.conf",
                    resolvedUpstreams: String = "/run/systemd/resolve/resolv.conf") {
            self.resolvConf = resolvConf
            self.resolvedUpstreams = resolvedUpstreams
        }
    }

    /// The nameservers to ask instead of /etc/resolv.conf's (at most glibc's three); empty: /etc/resolv.conf's.
    public let nameservers: [Nameserver]
    /// One line for the log, once per start or reload, when /etc/resolv.conf names only resolved's stubs: which
    /// servers are asked and why; nil otherwise.
    public let notice: String?

    public init(nameservers: [Nameserver], notice: String?) {
        self.nameservers = nameservers
        self.notice = notice
    }

    /// glibc's MAXNS: it uses the first three `nameserver` lines of a file and ignores the rest.
    public static let maximumCount = 3

    /// Reads the files through `source` and chooses. An /etc/resolv.conf that cannot be read names no stub: it is
    /// left to glibc (which then asks 127.0.0.1) and to the engines' own error messages.
    public static func choose(_ files: Files = Files(), source: any ConfigurationSource = FileSystemSource())
        -> SystemNameservers {
        let configured = addresses(in: source.read(files.resolvConf)).prefix(maximumCount)
        let stubs = configured.compactMap { IPAddress($0) }.filter(SynthesizedAnswer.resolvedStubs.contains)
        guard !configured.isEmpty, stubs.count == configured.count else {
            return SystemNameservers(nameservers: [], notice: nil)
        }
        let named = Set(stubs).sorted()
        let because = "\(files.resolvConf) names only systemd-resolved's stub"
            + (named.count == 1 ? " \(named[0]), which makes" : "s \(named[0]) and \(named[1]), which make")
            + " up PTR and A/AAAA answers for this host's own addresses"
        let upstreamFile = source.read(files.resolvedUpstreams)
        if case .failure(let error) = upstreamFile {
            return SystemNameservers(nameservers: [], notice: because + ", and \(files.resolvedUpstreams) cannot be "
                                     + "read (\(error.message)): asking the stub; answers it made up are reported "
                                     + "as synthesized-answer")
        }
        var usable: [Nameserver] = []
        var unusable: [String] = []
        for text in addresses(in: upstreamFile) {
            let address = IPAddress(text)
            if let address, SynthesizedAnswer.resolvedStubs.contains(address) { continue }
            // A plain unicast address only: a link-local server with its zone (fe80::1%2) cannot be given to
            // either engine.
            if address != nil, let nameserver = try? Nameserver(parsing: text) {
                usable.append(nameserver)
            } else {
                unusable.append(text)
            }
        }
        let skipped = unusable.isEmpty ? "" : " (not usable: \(unusable.joined(separator: ", ")))"
        guard !usable.isEmpty else {
            return SystemNameservers(nameservers: [], notice: because + ", and \(files.resolvedUpstreams) lists no "
                                     + "other nameserver\(skipped): asking the stub; answers it made up are "
                                     + "reported as synthesized-answer")
        }
        let used = Array(usable.prefix(maximumCount))
        let dropped = usable.count > used.count ? " (the first \(maximumCount) of \(usable.count))" : ""
        return SystemNameservers(nameservers: used, notice: because + ": asking the upstream servers of "
                                 + "\(files.resolvedUpstreams) instead: "
                                 + used.map(\.address.description).joined(separator: ", ") + dropped + skipped)
    }

    /// The address of each `nameserver` line, as glibc's res_init reads them: the keyword at the start of the line
    /// and a blank after it, the address up to the next blank (so comment lines, starting with `#` or `;`, have
    /// none). Every one, in order: the caller keeps glibc's first three.
    private static func addresses(in file: Result<[UInt8], ConfigurationSourceError>) -> [String] {
        guard case .success(let bytes) = file else { return [] }
        var found: [String] = []
        for line in bytes.split(separator: UInt8(ascii: "\n")) {
            let keyword = "nameserver".utf8
            guard line.starts(with: keyword) else { continue }
            let rest = line.dropFirst(keyword.count)
            guard let first = rest.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") else { continue }
            let value = rest.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
                .prefix { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\r") }
            if !value.isEmpty { found.append(String(decoding: value, as: UTF8.self)) }
        }
        return found
    }
}
