import RDNSCore

/// libFuzzer target: `CommandLineOptions.parse`, with the input split at NUL bytes into arguments (as the kernel
/// hands them over; invalid UTF-8 repaired, as Swift does for `CommandLine.arguments`).
///
/// Properties: parsing never traps, is deterministic, and what it accepts is within the documented limits:
/// at most 3 nameservers, a timeout from 1 s to 30 s, absolute state and textfile paths, each address once,
/// expected names that are hostnames. A usage error prints as one line without control characters (Unicode's
/// Cc: U+0000 to U+001F, U+007F to U+009F, which includes NEL, U+0085, and the 8-bit CSI, U+009B).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start.assumingMemoryBound(to: UInt8.self), count: count)
    let arguments = bytes.isEmpty ? [] : bytes.split(separator: 0, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
    }
    let options: CommandLineOptions
    do {
        options = try CommandLineOptions.parse(arguments)
    } catch {
        // SPEC.md: "one clear line". The message quotes the argument, which may hold any character; it is printed
        // through `Escaping.oneLine`, as `RDNSCheckCommand` prints it.
        require(!error.description.isEmpty, "usage error without a message")
        let line = Escaping.oneLine("rdnscheck: \(error); see 'rdnscheck --help'")
        require(!hasControlCharacter(line), "usage error prints a control character: \(visible(line))")
        require((try? CommandLineOptions.parse(arguments)) == nil, "parsing the same arguments twice differs")
        return 0
    }
    require((try? CommandLineOptions.parse(arguments)) == options, "parsing the same arguments twice differs")
    require(options.nameservers.count <= Configuration.maximumNameservers, "more than 3 nameservers")
    if let timeout = options.timeoutSeconds {
        require(Configuration.timeoutRange.contains(timeout), "timeout \(timeout) out of range")
    }
    for path in [options.statePath, options.textfilePath] {
        if let path { require(path.hasPrefix("/"), "relative path \(path) accepted") }
    }
    var seen = Set<IPAddress>()
    for target in options.targets {
        require(seen.insert(target.address).inserted, "\(target.address) given twice")
        if let name = target.expectedName {
            require(HostnameRules.violation(in: name) == nil, "expected name \(name) is not a hostname")
        }
    }
    return 0
}

/// `text` with every control character shown as `\u{XX}`, for the failure message.
func visible(_ text: String) -> String {
    text.unicodeScalars.map { hasControlCharacter(String($0)) ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
        .joined()
}

/// True when `text` holds a control character (general category Cc).
func hasControlCharacter(_ text: String) -> Bool {
    text.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) }
}

func require(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError(message()) }
}
