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

    /// This process's sockets whose remote end is `port` on any address, e.g. `"tcp 127.0.0.1:41234 ->
    /// 127.0.0.1:5301"`. A lookup that left a socket open towards its nameserver shows here; a server's own
    /// listening or accepted sockets do not. Each descriptor asked for its peer (`getpeername`): parsing every
    /// socket of the machine from /proc/net held a thread of Swift's two-thread pool for seconds in a full test run,
    /// which tests timing real deadlines then saw as lateness.
    public static func sockets(connectedToPort port: UInt16) -> [String] {
        var found: [String] = []
        for name in entries(of: "/proc/self/fd") {
            guard let descriptor = Int32(name), let remote = endpoint(of: descriptor, peer: true),
                  remote.port == port, let local = endpoint(of: descriptor, peer: false) else {
                continue
            }
            var type: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(descriptor, SOL_SOCKET, SO_TYPE, &type, &length) == 0 else { continue }
            let protocolName = (type == Int32(SOCK_STREAM.rawValue) ? "tcp" : "udp") + (remote.ipv6 ? "6" : "")
            found.append("\(protocolName) \(local.text) -> \(remote.text)")
        }
        return found
    }

    /// A socket's address (`peer`: the remote end, else its own) as text and a port; nil for a descriptor that is
    /// no socket, or no connected one.
    private static func endpoint(of descriptor: Int32, peer: Bool) -> (text: String, port: UInt16, ipv6: Bool)? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                peer ? getpeername(descriptor, address, &length) : getsockname(descriptor, address, &length)
            }
        }
        guard result == 0 else { return nil }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let port: UInt16
        let ipv6: Bool
        switch Int32(storage.ss_family) {
        case AF_INET:
            var address = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in.self) }
            guard inet_ntop(AF_INET, &address.sin_addr, &text, socklen_t(text.count)) != nil else { return nil }
            (port, ipv6) = (UInt16(bigEndian: address.sin_port), false)
        case AF_INET6:
            var address = withUnsafeBytes(of: storage) { $0.load(as: sockaddr_in6.self) }
            guard inet_ntop(AF_INET6, &address.sin6_addr, &text, socklen_t(text.count)) != nil else { return nil }
            (port, ipv6) = (UInt16(bigEndian: address.sin6_port), true)
        default:
            return nil
        }
        let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (ipv6 ? "[\(address)]:\(port)" : "\(address):\(port)", port, ipv6)
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
