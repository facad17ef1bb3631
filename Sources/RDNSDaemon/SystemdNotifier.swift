import RDNSPOSIX
#if canImport(Glibc)
import Glibc
#endif

/// Where the daemon tells its service manager how it is (`READY=1`, `STATUS=...`, `WATCHDOG=1`).
public protocol ServiceNotifier: Sendable {
    func send(_ message: String)
    /// Microseconds between watchdog pings the manager expects; nil: no watchdog.
    var watchdogMicroseconds: UInt64? { get }
}

/// The sd_notify protocol without libsystemd: datagrams such as `READY=1` to the socket in `$NOTIFY_SOCKET`,
/// a file system path or an abstract name (`@name`). Without the variable every call does nothing.
public final class SystemdNotifier: ServiceNotifier {
    private let address: [UInt8]?
    /// Microseconds between watchdog pings systemd expects (`WatchdogSec=`), when it is ours to ping.
    public let watchdogMicroseconds: UInt64?

    public init(environment: [String: String] = SystemdNotifier.processEnvironment()) {
        address = environment["NOTIFY_SOCKET"].flatMap(SystemdNotifier.socketAddress)
        let pid = environment["WATCHDOG_PID"].flatMap { Int32($0) }
        if let usec = environment["WATCHDOG_USEC"].flatMap(UInt64.init), usec > 0, pid == nil || pid == getpid() {
            watchdogMicroseconds = usec
        } else {
            watchdogMicroseconds = nil
        }
    }

    public var isActive: Bool { address != nil }

    /// Sends one message (e.g. `READY=1\nSTATUS=...`). Failures are ignored, as sd_notify's callers do.
    public func send(_ message: String) {
        guard let address else { return }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let length = withUnsafeMutableBytes(of: &storage.sun_path) { path in
            path.copyBytes(from: address)
            return MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + address.count
        }
        var text = message
        text.withUTF8 { bytes in
            withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    _ = sendto(descriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress,
                               socklen_t(length))
                }
            }
        }
    }

    /// The bytes of sun_path and how many count: a path with its terminating NUL, or for an abstract name a
    /// leading NUL and exactly the name's bytes (no NUL at the end: the length says where the name ends).
    static func socketAddress(_ value: String) -> [UInt8]? {
        let bytes = Array(value.utf8)
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        switch bytes.first {
        case UInt8(ascii: "/"):
            guard bytes.count < capacity else { return nil }
            return bytes + [0]
        case UInt8(ascii: "@"):
            guard bytes.count <= capacity, bytes.count > 1 else { return nil }
            return [0] + bytes.dropFirst()
        default:
            return nil
        }
    }

    public static func processEnvironment() -> [String: String] {
        environmentVariables().filter { ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"].contains($0.key) }
    }
}
