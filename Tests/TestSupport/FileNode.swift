import Foundation
import Glibc

/// A file system node that is not a regular file, made in a test's own directory: rdnscheck must never replace one
/// at its state or textfile path. Devices are made with mknod(2), which needs root (CAP_MKNOD): tests that use them
/// are enabled on `FileNode.canMakeDevices`. The device numbers are /dev/null's and /dev/loop7's, so a mistake would
/// show as the damage it would do; the nodes are never opened.
public enum FileNode: String, CaseIterable, CustomStringConvertible, Sendable {
    case characterDevice, blockDevice, fifo, socket, directory

    public var description: String { rawValue }

    /// True when mknod(2) of a device can work here.
    public static var canMakeDevices: Bool { geteuid() == 0 }

    /// How rdnscheck names it in messages ("a FIFO").
    public var kind: String {
        switch self {
        case .characterDevice: "a character device"
        case .blockDevice: "a block device"
        case .fifo: "a FIFO"
        case .socket: "a socket"
        case .directory: "a directory"
        }
    }

    /// Makes the node at `path` (which must not exist).
    public func make(at path: String) throws {
        let made: Int32
        switch self {
        case .characterDevice: made = mknod(path, S_IFCHR | 0o666, FileNode.device(major: 1, minor: 3))
        case .blockDevice: made = mknod(path, S_IFBLK | 0o660, FileNode.device(major: 7, minor: 7))
        case .fifo: made = mkfifo(path, 0o644)
        case .directory: made = mkdir(path, 0o755)
        case .socket: made = FileNode.bindSocket(at: path)
        }
        guard made == 0 else {
            throw TestSupportError("cannot make \(kind) at \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// glibc's makedev(3), a macro Swift does not import; for numbers below 256 the encoding is this simple.
    private static func device(major: dev_t, minor: dev_t) -> dev_t {
        major << 8 | minor
    }

    /// A UNIX socket bound to `path`; the descriptor is closed at once, the socket file stays.
    private static func bindSocket(at path: String) -> Int32 {
        let descriptor = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return -1 }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8) + [0]
        guard bytes.count <= MemoryLayout.size(ofValue: address.sun_path) else {
            errno = ENAMETOOLONG
            return -1
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }
}

/// What identifies a node on disk, to show that nothing replaced or changed it: its inode, type and device number.
public struct NodeIdentity: Equatable, CustomStringConvertible, Sendable {
    public let inode: UInt
    public let mode: UInt32
    public let device: UInt

    /// The identity of what is at `path` (not following a symbolic link); nil when there is nothing.
    public init?(_ path: String) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        inode = UInt(status.st_ino)
        mode = status.st_mode
        device = UInt(status.st_rdev)
    }

    public var description: String {
        "inode \(inode), mode \(String(mode, radix: 8)), rdev \(device)"
    }
}
