// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

// The release executable's link on Linux, for start-up (each measured by `make bench`):
// - lld, with relative relocations packed (`-z pack-relative-relocs`, DT_RELR, glibc 2.36+):
//   a bitmap of some 30 KB instead of 3.5 MB of `.rela.dyn` entries that the dynamic loader
//   reads at every start;
// - `--no-export-dynamic`: `-static-stdlib` exports every symbol of the executable (some
//   50,000) to the dynamic symbol table, which the loader consults while it binds libc and
//   which keeps `--gc-sections` from removing any of them; nothing loads code into the
//   process that would look them up.
// Together: peak RSS of `secretsmith version` from about 16 to 11 MB, and a smaller binary.
let releaseLinkerSettings: [LinkerSetting] = [
    .unsafeFlags(
        ["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs", "-Xlinker", "--no-export-dynamic"],
        .when(platforms: [.linux], configuration: .release))
]

let package = Package(
    name: "secretsmith",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Secretsmith", targets: ["Secretsmith"]),
        .library(name: "SecretManagerEmulator", targets: ["SecretManagerEmulator"]),
        .executable(name: "secretsmith", targets: ["SecretsmithCLI"]),
        .executable(name: "secretsmith-bench", targets: ["SecretsmithBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
        // X509: the emulator's self-signed certificate (`emulator --tls`); already in the graph through jwt-kit.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        // NIOSSL (trust roots, the server's TLS) and SwiftASN1 (certificate fields): imported
        // directly, so declared, though async-http-client and swift-certificates bring them.
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        // `swift package generate-documentation --target Secretsmith` (the DocC catalog).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // The system libyaml (Debian: libyaml-dev). Only the YAML module imports it.
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .target(
            name: "YAML",
            dependencies: ["CLibYAML"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Secretsmith",
            dependencies: [
                "YAML",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SecretManagerEmulator",
            dependencies: [
                "YAML",
                "Secretsmith",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // `secretsmith serve`: the secret service (HTTP API, authentication, policy, rate limits,
        // Pub/Sub push events, webhooks) over the library's MultiEnvironmentSecretManager.
        .target(
            name: "SecretsmithServer",
            dependencies: [
                "Secretsmith",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "SecretsmithCLI",
            dependencies: [
                "Secretsmith",
                "SecretManagerEmulator",
                "SecretsmithServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/secretsmith",
            swiftSettings: swiftSettings,
            linkerSettings: releaseLinkerSettings
        ),
        // `make bench`: the library's hot paths (bench/bench.py runs it in release mode).
        .executableTarget(
            name: "SecretsmithBench",
            dependencies: [
                "Secretsmith",
                "SecretManagerEmulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "bench/LibraryBench",
            swiftSettings: swiftSettings
        ),
        // What the test targets share (emulator fixtures, workspaces, the test clock, the
        // standard seed); not a product.
        .target(
            name: "SecretsmithTestSupport",
            dependencies: [
                "Secretsmith",
                "SecretManagerEmulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/SecretsmithTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "YAMLTests",
            dependencies: ["YAML"],
            swiftSettings: swiftSettings
        ),
        // Google's Pub/Sub emulator as a child process, for every test target that needs it
        // (`withPubSubEmulator { host in ... }`).
        .target(
            name: "PubSubEmulatorHarness",
            dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client")],
            path: "Tests/PubSubEmulatorHarness",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SecretsmithTests",
            dependencies: [
                "Secretsmith", "YAML", "SecretManagerEmulator", "SecretsmithTestSupport", "PubSubEmulatorHarness",
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SecretManagerEmulatorTests",
            dependencies: [
                "SecretManagerEmulator",
                "Secretsmith",
                "SecretsmithTestSupport",
                "PubSubEmulatorHarness",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SecretsmithServerTests",
            dependencies: [
                "SecretsmithServer", "Secretsmith", "SecretManagerEmulator", "SecretsmithTestSupport", "YAML",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The fuzz targets' entry points and property checks (not a product): the libFuzzer
        // executables (`make fuzz`, below) and the corpus replay in the tests call them.
        .target(
            name: "SecretsmithFuzzing",
            dependencies: [
                "Secretsmith", "SecretsmithServer", "YAML",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SecretsmithFuzzingTests",
            dependencies: ["SecretsmithFuzzing", "Secretsmith"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["SecretsmithCLI", "SecretManagerEmulator", "SecretsmithTestSupport", "Secretsmith", "PubSubEmulatorHarness"],
            swiftSettings: swiftSettings
        ),
    ]
)

// `make fuzz`: one libFuzzer executable per parser (fuzz/Targets/NAME/main.swift), declared
// only when SECRETSMITH_FUZZ=1 so that a normal build never links an executable whose `main`
// needs the fuzzer runtime. secretsmith's own modules are compiled with libFuzzer's coverage
// instrumentation and, unless SECRETSMITH_FUZZ_SANITIZER=none, AddressSanitizer (the
// dependencies are neither: coverage guides through the parsers, and the dependencies' builds
// are shared with normal builds); the executables link libFuzzer's no-main runtime (fuzz/run.sh
// passes it). AddressSanitizer builds are debug builds: Swift 6.3.1 crashes splitting an async
// function of Secretsmith with AddressSanitizer and `-O`. fuzz/run.sh's release mode builds
// without AddressSanitizer (Swift's own bounds and overflow checks stay on) and replays the
// corpus it grew through the debug AddressSanitizer build.
if Context.environment["SECRETSMITH_FUZZ"] == "1" {
    let addressSanitizer = Context.environment["SECRETSMITH_FUZZ_SANITIZER"] != "none"
    let instrumented: SwiftSetting = .unsafeFlags(
        [addressSanitizer ? "-sanitize=address" : "-sanitize=fuzzer"]
            + ["-sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table"]
    )
    for target in package.targets where ["YAML", "Secretsmith", "SecretsmithServer", "SecretsmithFuzzing"].contains(target.name) {
        target.swiftSettings = (target.swiftSettings ?? []) + [instrumented]
    }
    package.targets.append(.target(name: "CLibFuzzer", path: "fuzz/Targets/CLibFuzzer"))
    for name in ["configuration", "template", "reference", "access-response", "oauth-response", "serve-routing", "jwt"] {
        package.targets.append(
            .executableTarget(
                name: "fuzz-\(name)",
                dependencies: ["SecretsmithFuzzing", "CLibFuzzer"],
                path: "fuzz/Targets/\(name)",
                swiftSettings: swiftSettings + [instrumented],
                linkerSettings: addressSanitizer ? [.unsafeFlags(["-sanitize=address"])] : []
            ))
    }
}
