import RDNSCommand
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

// First of all, before anything opens a file: descriptors 0-2 must be open. Started with one closed (`>&-`), the
// first file opened (the engine's eventfd, a nameserver's socket) would take its number, and the report or the log
// would be written into it instead of being lost or seen.
for descriptor: Int32 in 0...2 where fcntl(descriptor, F_GETFD) == -1 && errno == EBADF {
    guard open("/dev/null", O_RDWR) == descriptor else {
        // Only a closed descriptor can fail this way, so it may be stderr itself: the exit code must tell.
        let message = "rdnscheck: descriptor \(descriptor) is closed and /dev/null cannot be opened in its place\n"
        writeAll(message, to: STDERR_FILENO)
        exit(3)
    }
}

// SIGCHLD ignored by whoever started rdnscheck is inherited across exec, and makes the kernel reap children at
// once: waitpid on an on-change program then fails with ECHILD, and its exit status is never known.
signal(SIGCHLD, SIG_DFL)

// Swift reads the command line from /proc/self/cmdline; without /proc (a bare chroot) it is empty, not even the
// program's name, and the options would silently be lost: the daemon would start with the default configuration.
guard !CommandLine.arguments.isEmpty else {
    let message = "rdnscheck: cannot read the command line (/proc/self/cmdline is missing: is /proc mounted?)\n"
    writeAll(message, to: STDERR_FILENO)
    exit(3)
}
exit(await RDNSCheckCommand.run(Array(CommandLine.arguments.dropFirst())))
