import RDNSCore
import RDNSHost
import RDNSPOSIX

#if canImport(Glibc)
import Glibc
#endif

// Prints the addresses InterfaceDiscoverer finds, one a line; exit 1 with the reason on stderr when it fails.
// A program of its own so that RDNSHostTests can run the real discoverer in a network namespace (`unshare -n`)
// without a debugging option in rdnscheck itself.
do {
    let found = try await InterfaceDiscoverer().discover()
    for address in found.addresses { print(address) }
} catch {
    writeAll("\(error)\n", to: STDERR_FILENO)
    exit(1)
}
