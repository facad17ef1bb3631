// swift-tools-version:6.0
import PackageDescription

// Layers, bottom to top:
//   CResolv       C shim over glibc's libresolv (the only code that sees its structs and macros)
//   CSocket       the Linux socket calls Swift cannot reach (sendmmsg, recvmmsg, CMSG_*), 1:1 and deciding nothing
//   RDNSCore      pure Swift: addresses, DNS messages, the FCrDNS check, verdicts, configuration, reports
//   RDNSEngine    the pipelined UDP engine over CSocket: selector, pending writes, reads, timers, TCP fallback
//   RDNSResolver  RDNSCore's DNSResolver over CResolv (libresolv on a thread pool), the engine's settings, and
//                 the choice of engine
//   RDNSRun       one run, check, record, report, for --once and the daemon alike: state, drift, on-change,
//                 metrics and state files, logging, the clock
//   RDNSDaemon    the long-running service: schedule, signals, reloads, sd_notify
//   RDNSCommand   the command line: options, wiring, output, exit codes
//   rdnscheck     the executable: calls RDNSCommand
let package = Package(
    name: "rdnscheck",
    products: [
        .executable(name: "rdnscheck", targets: ["rdnscheck"]),
    ],
    targets: [
        .target(
            name: "CResolv",
            path: "CResolv",
            cSettings: [.unsafeFlags(["-Wall", "-Wextra"])],
            linkerSettings: [.linkedLibrary("resolv")]
        ),
        .target(name: "CSocket", path: "CSocket", cSettings: [.unsafeFlags(["-Wall", "-Wextra"])]),
        .target(name: "RDNSCore", swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]),
        .target(
            name: "RDNSEngine",
            dependencies: ["CSocket", "RDNSCore"],
            // The engine's state is classes used by one thread only; run-time exclusivity checks on their every
            // field access cost about 5% of the CPU of a /16 (measured with callgrind). Debug builds keep them.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
                            .enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        .target(
            name: "RDNSResolver",
            dependencies: ["CResolv", "RDNSCore", "RDNSEngine"],
            swiftSettings: [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]
        ),
        .target(name: "RDNSRun", dependencies: ["RDNSCore"]),
        .target(name: "RDNSDaemon", dependencies: ["RDNSCore", "RDNSRun"]),
        .target(name: "RDNSCommand", dependencies: ["RDNSCore", "RDNSResolver", "RDNSRun", "RDNSDaemon"]),
        .executableTarget(name: "rdnscheck", dependencies: ["RDNSCommand"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "RDNSCoreTests",
            dependencies: ["RDNSCore"],
            exclude: ["Fixtures"]
        ),
        .testTarget(name: "RDNSResolverTests", dependencies: ["RDNSResolver", "RDNSCore", "TestSupport"]),
        .testTarget(name: "RDNSEngineTests", dependencies: ["RDNSEngine", "RDNSResolver", "RDNSCore", "TestSupport"]),
        .testTarget(name: "RDNSDaemonTests", dependencies: ["RDNSDaemon", "RDNSRun", "RDNSCore", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
