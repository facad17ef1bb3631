import RDNSCommand

#if canImport(Glibc)
import Glibc
#endif

// Swift reads the command line from /proc/self/cmdline; without /proc (a bare chroot) it is empty, not even the
// program's name, and the options would silently be lost: the daemon would start with the default configuration.
guard !CommandLine.arguments.isEmpty else {
    let message = "rdnscheck: cannot read the command line (/proc/self/cmdline is missing: is /proc mounted?)\n"
    _ = message.withCString { write(2, $0, strlen($0)) }
    exit(3)
}
exit(await RDNSCheckCommand.run(Array(CommandLine.arguments.dropFirst())))
