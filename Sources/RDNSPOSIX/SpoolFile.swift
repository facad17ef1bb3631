#if canImport(Glibc)
import Glibc
#endif

/// Output held back until it may be printed, in an unlinked temporary file (`O_TMPFILE` in `$TMPDIR`, else
/// `/tmp`): however long it grows it costs no memory, and it disappears with the process whatever ends it.
public final class SpoolFile {
    private let descriptor: Int32
    /// The directory it lives in, for messages.
    public let directory: String

    /// Why a spool could not be made or used, with errno's text.
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(environment: [String: String]) throws(Failure) {
        directory = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        // O_TMPFILE is a macro Swift does not import: its two halves are.
        var opened = open(directory, __O_TMPFILE | O_DIRECTORY | O_RDWR | O_CLOEXEC, 0o600)
        if opened < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
            // A file system without O_TMPFILE: a named file, unlinked at once.
            var template = Array("\(directory)/rdnscheck-spool.XXXXXX".utf8CString)
            opened = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            if opened >= 0 {
                _ = fcntl(opened, F_SETFD, FD_CLOEXEC)
                template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            }
        }
        guard opened >= 0 else {
            throw Failure(description: "cannot make a temporary file in \(directory): \(errorText())")
        }
        descriptor = opened
    }

    deinit {
        close(descriptor)
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws(Failure) {
        guard writeAll(bytes, to: descriptor) else {
            throw Failure(description: "cannot write a temporary file in \(directory): \(errorText())")
        }
    }

    /// Copies everything written so far to `destination` (write errors there are ignored, as for stdout on a
    /// closed pipe), and starts empty again.
    public func copy(to destination: Int32) throws(Failure) {
        guard lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw Failure(description: "cannot read back a temporary file in \(directory): \(errorText())")
        }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { bytes in
                retryingOnInterrupt { read(descriptor, bytes.baseAddress!, bytes.count) }
            }
            guard count >= 0 else {
                throw Failure(description: "cannot read back a temporary file in \(directory): \(errorText())")
            }
            if count == 0 { break }
            buffer.withUnsafeBytes { bytes in _ = writeAll(UnsafeRawBufferPointer(rebasing: bytes[..<count]),
                                                           to: destination) }
        }
        guard ftruncate(descriptor, 0) == 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw Failure(description: "cannot empty a temporary file in \(directory): \(errorText())")
        }
    }
}
