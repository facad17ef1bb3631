import Foundation
import Glibc
import Testing

import RDNSCore

/// Reading configuration files from disk: only regular files, never blocking, never more than the limit.
@Suite("FileSystemSource: files that are not what they should be")
struct FileSystemSourceTests {
    private func directory() throws -> String {
        let path = NSTemporaryDirectory() + "rdnscheck-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private func message(_ result: Result<[UInt8], ConfigurationSourceError>) -> String? {
        if case .failure(let error) = result { return error.message }
        return nil
    }

    @Test("a FIFO is refused at once: with no writer, opening it used to block the reload (and SIGTERM) forever",
          .timeLimit(.minutes(1)))
    func fifoRefused() throws {
        let path = try directory() + "/rdnscheck.conf"
        #expect(mkfifo(path, 0o600) == 0)
        #expect(message(FileSystemSource().read(path)) == "it is a FIFO, not a regular file")
    }

    @Test("a directory, a missing file and a device are errors that say what they are")
    func notRegular() throws {
        let folder = try directory()
        #expect(message(FileSystemSource().read(folder)) == "it is a directory, not a regular file")
        #expect(message(FileSystemSource().read(folder + "/missing.conf")) == "No such file or directory")
        #expect(message(FileSystemSource().read("/dev/zero")) == "it is a character device, not a regular file")
    }

    @Test("a file larger than the limit is refused before reading it")
    func tooLarge() throws {
        let path = try directory() + "/rdnscheck.conf"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("check 192.0.2.1\n".utf8)))
        #expect(truncate(path, off_t(FileSystemSource.maximumFileSize + 1)) == 0)
        #expect(message(FileSystemSource().read(path))
            == "it is \(FileSystemSource.maximumFileSize + 1) bytes, larger than the limit of 16 MiB")
    }

    @Test("a file that keeps giving bytes past its size (it grows while being read) stops at the limit",
          .enabled(if: access("/proc/self/pagemap", R_OK) == 0, "/proc/self/pagemap is not readable here"))
    func growsWhileRead() {
        // A regular file whose size says 0 and whose reads go on for gigabytes: what a file appended to faster
        // than it is read looks like to the reader.
        #expect(message(FileSystemSource().read("/proc/self/pagemap"))
            == "it grew past the limit of 16 MiB while being read")
    }

    @Test("a symbolic link to a configuration file is followed (configuration management does that)")
    func symlinkFollowed() throws {
        let folder = try directory()
        #expect(FileManager.default.createFile(atPath: folder + "/real.conf", contents: Data("check 192.0.2.1\n".utf8)))
        #expect(symlink(folder + "/real.conf", folder + "/rdnscheck.conf") == 0)
        #expect(try FileSystemSource().read(folder + "/rdnscheck.conf").get() == Array("check 192.0.2.1\n".utf8))
    }
}
