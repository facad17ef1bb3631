#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file so that a reader, or a crash at any moment, sees either the old contents or the new, never a
/// mix or a truncated file: write a temporary file in the same directory, fsync it, rename it over the target,
/// fsync the directory.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    public static func write(_ contents: String, to path: String, mode: mode_t = 0o644) throws(WriteError) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = "\(directory)/.\(name).tmp.\(getpid())"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        // The mode is the file's contract (node_exporter must read the metrics), whatever the umask:
        // the shipped unit runs with UMask=0077.
        fchmod(descriptor, mode)
        var written = true
        var text = contents
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { written = false; return }
                offset += count
            }
        }
        let synced = written && fsync(descriptor) == 0
        let savedErrno = errno
        close(descriptor)
        guard synced else {
            unlink(temporary)
            errno = savedErrno
            throw failure("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            let error = failure("cannot rename \(temporary) to \(path)")
            unlink(temporary)
            throw error
        }
        // The rename is durable only once the directory entry is on disk.
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Reads a whole regular file; nil with errno ENOENT when it does not exist.
    public static func read(_ path: String, limit: Int = 64 << 20) throws(WriteError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw failure("cannot open \(path)")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("cannot stat \(path)") }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw WriteError(description: "\(path) is not a regular file")
        }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw failure("cannot read \(path)") }
            if count == 0 { return contents }
            contents += chunk[0..<count]
            guard contents.count <= limit else { throw WriteError(description: "\(path) is larger than \(limit) bytes") }
        }
    }

    private static func failure(_ what: String) -> WriteError {
        WriteError(description: "\(what): \(String(cString: strerror(errno)))")
    }
}
