import Glibc
import RDNSCore

let loopbackV4 = IPAddress("127.0.0.1")!

/// Added to every time bound of the tests that talk to the fault server: they run in parallel on a 2-core machine.
let timingSlack = 2.5

func monotonicSeconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}
