import Foundation
import Glibc

/// A tiny tmpfs mounted on a fresh directory, for the file faults a test cannot make otherwise as root: a full disk
/// (`fill`) and a read-only file system (`setReadOnly`; root ignores the directory's mode bits). Mounting needs
/// CAP_SYS_ADMIN: tests that use it are enabled on `TinyTmpfs.available`. Unmount with `unmount()` in a `defer`;
/// `deinit` unmounts too, lazily (`MNT_DETACH`), so a process still using it never leaves it mounted.
public final class TinyTmpfs: @unchecked Sendable {
    // @unchecked: used by one test at a time.
    public let path: String
    public let sizeKiB: Int
    private var mounted = true

    public init(sizeKiB: Int = 16) throws {
        self.sizeKiB = sizeKiB
        path = NSTemporaryDirectory() + "rdnscheck-tmpfs-\(UUID().uuidString.prefix(8))"
        guard mkdir(path, 0o755) == 0 else {
            throw TestSupportError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        guard mount("tmpfs", path, "tmpfs", 0, "size=\(sizeKiB)k,mode=0755") == 0 else {
            let reason = String(cString: strerror(errno))
            rmdir(path)
            throw TestSupportError("cannot mount a tmpfs on \(path): \(reason)")
        }
    }

    deinit {
        unmount()
    }

    /// Unmounts (lazily) and removes the mount point; safe to call more than once.
    public func unmount() {
        guard mounted else { return }
        mounted = false
        umount2(path, Int32(MNT_DETACH))
        rmdir(path)
    }

    /// Remounts read-only or read-write.
    public func setReadOnly(_ readOnly: Bool) throws {
        let flags = UInt(MS_REMOUNT) | (readOnly ? UInt(MS_RDONLY) : 0)
        guard mount("tmpfs", path, "tmpfs", flags, "size=\(sizeKiB)k,mode=0755") == 0 else {
            throw TestSupportError("cannot remount \(path) \(readOnly ? "read-only" : "read-write"): "
                                   + String(cString: strerror(errno)))
        }
    }

    /// Fills the file system with the file `name` until a write fails with ENOSPC; returns its path.
    @discardableResult
    public func fill(_ name: String = "filler") throws -> String {
        let filler = path + "/" + name
        let descriptor = open(filler, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw TestSupportError("cannot create \(filler): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        let block = [UInt8](repeating: 0x78, count: 512)
        while true {
            let written = write(descriptor, block, block.count)
            if written < 0 && errno == EINTR { continue }
            if written < 0 && errno == ENOSPC { return filler }
            guard written > 0 else { throw TestSupportError("filling \(filler): \(String(cString: strerror(errno)))") }
        }
    }

    /// Whether a tmpfs can be mounted here (as root, with CAP_SYS_ADMIN); tried once.
    public static let available: Bool = {
        guard let probe = try? TinyTmpfs() else { return false }
        probe.unmount()
        return true
    }()
}
