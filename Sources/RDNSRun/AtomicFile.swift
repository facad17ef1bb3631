import RDNSCore
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file so that a reader, or a crash at any moment, sees either the old contents or the new, never a
/// mix or a truncated file: write a temporary file in the same directory, fsync it, rename it over the target,
/// fsync the directory.
///
/// Nothing is ever written outside the target's directory: the temporary file is created with `O_EXCL` and
/// `O_NOFOLLOW`, and the rename replaces a symbolic link at the target rather than writing where it points. Only a
/// regular file, a symbolic link or nothing is ever replaced: a device, FIFO, socket or directory at the target is
/// refused (as root, a textfile of /dev/null used to turn the device into a regular file). When a step fails (disk
/// full, read-only file system, such a node in the way) the temporary file is removed and the target is left
/// exactly as it was.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// Writes `contents` to `path` atomically. Returns the symbolic link a write replaced ("a symbolic link to
    /// /elsewhere"): the caller may want to say so; nil for a regular file or none.
    @discardableResult
    public static func write(_ contents: String, to path: String, mode: mode_t = 0o644) throws(WriteError) -> String? {
        let directory = directory(of: path)
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = "\(directory)/.\(name).tmp.\(getpid())"
        unlink(temporary)
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        guard descriptor >= 0 else { throw failure("cannot create the temporary file \(temporary)") }
        // The mode is the file's contract (node_exporter must read the metrics), whatever the umask:
        // the shipped unit runs with UMask=0077.
        fchmod(descriptor, mode)
        let written = writeAll(contents, to: descriptor)
        // ENOSPC and EDQUOT may surface only at fsync or close (delayed allocation, NFS): each step is checked.
        var synced = written && fsync(descriptor) == 0
        var savedErrno = errno
        if close(descriptor) != 0 && synced {
            synced = false
            savedErrno = errno
        }
        guard synced else {
            unlink(temporary)
            errno = savedErrno
            throw failure("cannot write the temporary file \(temporary)")
        }
        let replaced = describeNonRegular(path)
        // Checked last, so that only the rename comes between the check and the replacement. A process that can
        // write the directory could still put a node there in that window; it could as well remove or rename
        // anything there itself, so that gives it nothing. A configured path that names a node (/dev/null) has no
        // window at all.
        if let node = nodeInTheWay(path) {
            unlink(temporary)
            throw WriteError(description: "\(path) is \(node), not a regular file, and is never replaced")
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
        removeStaleTemporaryFiles(in: directory, of: name)
        return replaced
    }

    /// Removes the temporary files of `name` left by writers that died mid-write (kill -9, a crash, a power cut):
    /// `.NAME.tmp.PID` where no process PID exists. A live writer's file (another daemon, a `--once` from cron,
    /// even under another user: kill(2) then fails with EPERM, not ESRCH) is left alone, and so is every other name.
    static func removeStaleTemporaryFiles(in directory: String, of name: String) {
        guard let stream = opendir(directory) else { return }
        defer { closedir(stream) }
        let prefix = ".\(name).tmp."
        let ours = getpid()
        while let entry = readdir(stream) {
            let entryName = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            guard entryName.hasPrefix(prefix), let pid = Int32(entryName.dropFirst(prefix.count)), pid > 0,
                  String(pid) == entryName.dropFirst(prefix.count), pid != ours else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH {
                unlinkat(dirfd(stream), entryName, 0)
            }
        }
    }

    /// Reads a whole regular file; nil when it does not exist. A symbolic link is not followed and anything but a
    /// regular file (a directory, a FIFO, a device) is an error; a FIFO is refused at once, never waited on.
    ///
    /// A file that another user (root aside) owns in a directory others can write is refused too, as OpenSSH's
    /// StrictModes does: anyone who can write the directory could have planted it, and what it holds (the state
    /// file's failure counts and baseline) decides verdicts.
    public static func read(_ path: String, limit: Int = 64 << 20) throws(WriteError) -> [UInt8]? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            if errno == ELOOP, let link = describeNonRegular(path) {
                throw WriteError(description: "\(path) is \(link) (not followed)")
            }
            throw failure("cannot open \(path)")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("cannot stat \(path)") }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw WriteError(description: "\(path) is \(FileSystemSource.kind(of: status.st_mode)), not a regular file")
        }
        // The owner of the open file, not of whatever the path names by now.
        var folder = stat()
        let directory = directory(of: path)
        guard stat(directory, &folder) == 0 else { throw failure("cannot check the directory \(directory)") }
        guard trusts(owner: status.st_uid, reader: geteuid(), directoryMode: folder.st_mode) else {
            throw WriteError(description: "\(path) is owned by uid \(status.st_uid), not by root or this user (uid "
                                 + "\(geteuid())), in \(directory), which others can write (mode "
                                 + String(folder.st_mode & 0o7777, radix: 8) + "): not trusted")
        }
        guard status.st_size <= limit else {
            throw WriteError(description: "\(path) is \(status.st_size) bytes, larger than \(limit) bytes")
        }
        switch readAll(descriptor, limit: limit) {
        case .contents(let contents): return contents
        case .failed(let errorNumber): throw WriteError(description: "cannot read \(path): \(errorText(errorNumber))")
        case .tooLarge: throw WriteError(description: "\(path) is larger than \(limit) bytes")
        }
    }

    /// Whether a file owned by `owner` in a directory of mode `directoryMode` can be trusted by user `reader`: it
    /// can when root or the reader owns it, or when no one else (no group, no other user) can write the directory.
    static func trusts(owner: uid_t, reader: uid_t, directoryMode: mode_t) -> Bool {
        owner == 0 || owner == reader || directoryMode & (S_IWGRP | S_IWOTH) == 0
    }

    /// What is at `path` when `write` refuses to replace it: "a FIFO", "a character device", "a directory", ...;
    /// nil for a regular file, a symbolic link or nothing (and when it cannot be told: the write then says why).
    /// With `linksAllowed` false a symbolic link is in the way too ("a symbolic link to TARGET").
    public static func nodeInTheWay(_ path: String, linksAllowed: Bool = true) -> String? {
        var status = stat()
        guard lstat(path, &status) == 0 else { return nil }
        let type = status.st_mode & S_IFMT
        if type == S_IFLNK && !linksAllowed { return describeNonRegular(path) }
        return type == S_IFREG || type == S_IFLNK ? nil : FileSystemSource.kind(of: status.st_mode)
    }

    /// What is at `path` when it exists and is not a regular file: "a symbolic link to TARGET", "a FIFO", ...
    static func describeNonRegular(_ path: String) -> String? {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG else { return nil }
        guard status.st_mode & S_IFMT == S_IFLNK else { return FileSystemSource.kind(of: status.st_mode) }
        var target = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink(path, &target, target.count - 1)
        guard length >= 0 else { return "a symbolic link" }
        return "a symbolic link to " + String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The directory `path` is in: "." for a bare name, "/" for a file at the root.
    private static func directory(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
    }

    private static func failure(_ what: String) -> WriteError {
        WriteError(description: "\(what): \(errorText())")
    }
}
