import RDNSCommand

#if canImport(Glibc)
import Glibc
#endif

exit(await RDNSCheckCommand.run(Array(CommandLine.arguments.dropFirst())))
