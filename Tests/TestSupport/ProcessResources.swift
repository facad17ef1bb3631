import Glibc

/// What this process holds, read from /proc: descriptors, resident memory, threads, POSIX timers, and the
/// sockets connected to a given port. For leak checks.
///
/// Tests run in parallel in one process, so every figure but `sockets(connectedToPort:)` includes what other
/// tests hold at that moment: compare trends over many repetitions with a tolerance, not single values.
/// `sockets(connectedToPort:)` is exact when the port belongs to the test (a `FaultServer` of its own).
/// Reads /proc with plain system calls (no Foundation, which has leaked buffers reading growing files).
public enum ProcessResources {
    /// Open file descriptors (entries of /proc/self/fd, not counting the one used to list them).
    public static func openDescriptorCount() -> Int {
        entries(of: "/proc/self/fd").count - 1
    }

    /// Resident set size (VmRSS of /proc/self/status), in bytes.
    public static func residentBytes() -> Int {
        statusField("VmRSS") * 1024
    }

    /// Threads of this process (entries of /proc/self/task).
    public static func threadCount() -> Int {
        entries(of: "/proc/self/task").count
    }

    /// POSIX timers of this process (timer_create; entries of /proc/self/timers). Each libresolv state of the
    /// resolver owns one, so a resolver state that is never closed shows here.
    public static func posixTimerCount() -> Int {
        read("/proc/self/timers").split(separator: "\n").filter { $0.hasPrefix("ID:") }.count
    }

    /// This process's sockets whose remote end is `port` on any address (from /proc/net/{udp,tcp,udp6,tcp6},
    /// matched to our descriptors by inode), e.g. `"tcp 127.0.0.1:41234 -> 127.0.0.1:5301"`. A lookup that left
    /// a socket open towards its nameserver shows here; a server's own listening or accepted sockets do not.
    public static func sockets(connectedToPort port: UInt16) -> [String] {
        var ours: Set<String> = []
        for name in entries(of: "/proc/self/fd") {
            var buffer = [CChar](repeating: 0, count: 256)
            let length = readlink("/proc/self/fd/" + name, &buffer, buffer.count - 1)
            guard length > 0 else { continue }
            let target = String(decoding: buffer[0 ..< length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if target.hasPrefix("socket:["), target.hasSuffix("]") {
                ours.insert(String(target.dropFirst(8).dropLast()))
            }
        }
        var found: [String] = []
        for table in ["udp", "tcp", "udp6", "tcp6"] {
            for line in read("/proc/net/" + table).split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                guard fields.count > 9, ours.contains(String(fields[9])),
                      let remote = endpoint(fields[2]), remote.port == port, let local = endpoint(fields[1]) else {
                    continue
                }
                found.append("\(table) \(local.text) -> \(remote.text)")
            }
        }
        return found
    }

    /// "0100007F:1F90" (or 32 hex digits for IPv6) as an address text and a port.
    private static func endpoint(_ field: Substring) -> (text: String, port: UInt16)? {
        let parts = field.split(separator: ":")
        guard parts.count == 2, let port = UInt16(parts[1], radix: 16) else { return nil }
        let hex = Array(parts[0].utf8)
        // The kernel prints the address as 32-bit words in host (little-endian) order.
        var bytes: [UInt8] = []
        var index = 0
        while index + 8 <= hex.count {
            guard let word = UInt32(String(decoding: hex[index ..< index + 8], as: UTF8.self), radix: 16) else {
                return nil
            }
            withUnsafeBytes(of: word) { bytes.append(contentsOf: $0) }
            index += 8
        }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        guard bytes.count == 4 || bytes.count == 16,
              inet_ntop(family, bytes, &text, socklen_t(text.count)) != nil else {
            return nil
        }
        let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (family == AF_INET ? "\(address):\(port)" : "[\(address)]:\(port)", port)
    }

    private static func statusField(_ name: String) -> Int {
        for line in read("/proc/self/status").split(separator: "\n") where line.hasPrefix(name + ":") {
            let fields = line.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" })
            return Int(fields.first ?? "") ?? 0
        }
        return 0
    }

    /// The names in a directory, without "." and "..".
    private static func entries(of path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// A whole (small, /proc) file as text; empty if it cannot be read.
    private static func read(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = Glibc.read(fd, &chunk, chunk.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0 ..< count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Which sanitizer this process was built with (`swift build --sanitize=...`), found at run time by the
/// runtime's entry point. Tests use it to skip what a sanitizer cannot run: ThreadSanitizer defers signal
/// handlers until the thread makes an intercepted call, and glibc's TCP read inside res_nquery is not one, so
/// CResolv's deadline signal never lands and a stalled TCP lookup would hang (google/sanitizers#838 and #1813).
public enum Sanitizers {
    public static let thread = runtimeHas("__tsan_init")
    public static let address = runtimeHas("__asan_init")
    /// Either: timing is slower and memory figures (RSS) mean little.
    public static var any: Bool { thread || address }

    private static func runtimeHas(_ symbol: String) -> Bool {
        guard let program = dlopen(nil, RTLD_NOW) else { return false }
        return dlsym(program, symbol) != nil
    }
}
