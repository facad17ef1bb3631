// swift-tools-version:6.0
import PackageDescription

// Layers, bottom to top:
//   CResolv       C shim over glibc's libresolv (the only code that sees its structs and macros)
//   CSocket       the Linux socket calls Swift cannot reach (sendmmsg, recvmmsg, CMSG_*), 1:1 and deciding nothing
//   RDNSPOSIX     the small POSIX idioms, each once: write-all, capped read, the monotonic clock, errno text, EINTR,
//                 blocking work on a thread of its own
//   RDNSCore      pure Swift: addresses, DNS messages, the FCrDNS check, verdicts, configuration, reports
//   RDNSEngine    the pipelined UDP engine over CSocket: selector, pending writes, reads, timers, TCP fallback
//   RDNSResolver  RDNSCore's DNSResolver over CResolv (libresolv on a thread pool), the engine's settings, and
//                 the choice of engine
//   RDNSHost      what the host knows of itself: its addresses from the EC2 metadata service (over a small strict
//                 HTTP client) or from its interfaces
//   RDNSRun       one run, check, record, report, for --once and the daemon alike: state, drift, on-change,
//                 metrics and state files, logging, the clock
//   RDNSDaemon    the long-running service: schedule, signals, reloads, sd_notify
//   RDNSCommand   the command line: options, wiring, output, exit codes
//   rdnscheck     the executable: calls RDNSCommand

// One concurrency model for every Swift module: a nonisolated `async` function runs on its caller's executor unless
// it says `@concurrent` (SE-0461; the default of the coming language mode). Without it, `async` meant "run on the
// caller's executor" in some modules and "hop to the global pool" in others. The engine needs it (its resolver's
// lookups must stay on the engine's executor, not hop between threads), and the rest gains nothing from hopping:
// the one entry point that must leave the main actor, `RDNSCheckCommand.run`, says `@concurrent`.
let swiftSettings: [SwiftSetting] = [.enableUpcomingFeature("NonisolatedNonsendingByDefault")]

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
        .target(name: "RDNSPOSIX", swiftSettings: swiftSettings),
        .target(name: "RDNSCore", dependencies: ["RDNSPOSIX"], swiftSettings: swiftSettings),
        .target(
            name: "RDNSEngine",
            dependencies: ["CSocket", "RDNSCore", "RDNSPOSIX"],
            // The engine's state is classes used by one thread only; run-time exclusivity checks on their every
            // field access cost about 5% of the CPU of a /16 (measured with callgrind). Debug builds keep them.
            swiftSettings: swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"],
                                                         .when(configuration: .release))]
        ),
        .target(
            name: "RDNSResolver",
            dependencies: ["CResolv", "RDNSCore", "RDNSEngine", "RDNSPOSIX"],
            swiftSettings: swiftSettings
        ),
        .target(name: "RDNSHost", dependencies: ["RDNSCore", "RDNSPOSIX"], swiftSettings: swiftSettings),
        .target(name: "RDNSRun", dependencies: ["RDNSCore", "RDNSPOSIX"], swiftSettings: swiftSettings),
        .target(name: "RDNSDaemon", dependencies: ["RDNSCore", "RDNSRun", "RDNSPOSIX"], swiftSettings: swiftSettings),
        .target(
            name: "RDNSCommand",
            dependencies: ["RDNSCore", "RDNSResolver", "RDNSHost", "RDNSRun", "RDNSDaemon", "RDNSPOSIX"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(name: "rdnscheck", dependencies: ["RDNSCommand", "RDNSPOSIX"], swiftSettings: swiftSettings),
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "RDNSCoreTests",
            dependencies: ["RDNSCore", "RDNSPOSIX"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RDNSResolverTests",
            dependencies: ["RDNSResolver", "RDNSCore", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RDNSEngineTests",
            dependencies: ["RDNSEngine", "RDNSResolver", "RDNSCore", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RDNSDaemonTests",
            dependencies: ["RDNSDaemon", "RDNSRun", "RDNSCore", "RDNSPOSIX", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RDNSHostTests",
            dependencies: ["RDNSHost", "RDNSCore", "RDNSPOSIX", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        // Run by RDNSHostTests inside a network namespace of its own: prints what InterfaceDiscoverer finds there.
        .executableTarget(
            name: "interface-discovery-probe",
            dependencies: ["RDNSHost", "RDNSCore", "RDNSPOSIX"],
            path: "Tests/InterfaceDiscoveryProbe",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TestSupport"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
