import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// Reads configuration files and expands include globs from the real file system.
public struct FileSystemSource: ConfigurationSource {
    /// Configuration files are small; anything bigger is a mistake (a log file given by accident).
    public static let maximumFileSize = 16 << 20

    public init() {}

    /// Reads a regular file, following symbolic links. Never blocks on a FIFO or a device (opened non-blocking and
    /// refused: a FIFO with no writer would hang the daemon's reload and SIGTERM with it), and never holds more
    /// than the limit, even for a file that keeps growing while it is read.
    public func read(_ path: String) -> Result<[UInt8], ConfigurationSourceError> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return .failure(ConfigurationSourceError(errorText())) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failure(ConfigurationSourceError(errorText())) }
        guard status.st_mode & S_IFMT == S_IFREG else {
            let kind = FileSystemSource.kind(of: status.st_mode)
            return .failure(ConfigurationSourceError("it is \(kind), not a regular file"))
        }
        guard status.st_size <= FileSystemSource.maximumFileSize else {
            return .failure(ConfigurationSourceError("it is \(status.st_size) bytes, larger than the limit of 16 MiB"))
        }
        switch readAll(descriptor, limit: FileSystemSource.maximumFileSize) {
        case .contents(let contents): return .success(contents)
        case .failed(let errorNumber): return .failure(ConfigurationSourceError(errorText(errorNumber)))
        case .tooLarge: return .failure(ConfigurationSourceError("it grew past the limit of 16 MiB while being read"))
        }
    }

    /// What a file that is not a regular one is, for error messages: "a directory", "a FIFO", ...
    public static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: "a regular file"
        case S_IFDIR: "a directory"
        case S_IFLNK: "a symbolic link"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        default: "an unknown kind of file"
        }
    }

    public func expand(_ pattern: String) -> Result<[String], ConfigurationSourceError> {
        var matches = glob_t()
        defer { globfree(&matches) }
        switch glob(pattern, 0, nil, &matches) {
        case 0:
            var paths: [String] = []
            for index in 0..<Int(matches.gl_pathc) {
                if let path = matches.gl_pathv[index] { paths.append(String(cString: path)) }
            }
            return .success(paths.sorted())
        case GLOB_NOMATCH:
            return .success([])
        default:
            return .failure(ConfigurationSourceError("cannot read the directory"))
        }
    }
}
