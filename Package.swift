// swift-tools-version:6.1
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "secretsmith",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Secretsmith", targets: ["Secretsmith"]),
        .library(name: "SecretManagerEmulator", targets: ["SecretManagerEmulator"]),
        .executable(name: "secretsmith", targets: ["SecretsmithCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
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
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SecretManagerEmulator",
            dependencies: [
                "YAML",
                "Secretsmith",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "SecretsmithCLI",
            dependencies: [
                "Secretsmith",
                "SecretManagerEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/secretsmith",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "YAMLTests",
            dependencies: ["YAML"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SecretsmithTests",
            dependencies: ["Secretsmith", "YAML", "SecretManagerEmulator"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SecretManagerEmulatorTests",
            dependencies: [
                "SecretManagerEmulator",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["SecretsmithCLI", "SecretManagerEmulator"],
            swiftSettings: swiftSettings
        ),
    ]
)
