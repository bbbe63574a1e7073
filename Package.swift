// swift-tools-version:6.0
// Credence: an OAuth 2.0 authorization server for Open Banking style dynamic
// client registration, run as a FastCGI responder behind nginx or Apache.
import PackageDescription

let package = Package(
    name: "Credence",
    products: [
        .executable(name: "credence", targets: ["credence"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C libraries, each imported by exactly one wrapper target.
        .systemLibrary(
            name: "CFastCGI", pkgConfig: "fcgi", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(
            name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // Wrappers: the only targets that see C types.
        .target(
            name: "FastCGI",
            dependencies: ["CFastCGI", .product(name: "Logging", package: "swift-log")]),
        .target(name: "PostgresLibPQ", dependencies: ["CLibPQ"]),
        .target(name: "OpenSSLCrypto", dependencies: ["COpenSSL"]),

        // Strict JSON: duplicate members, depth and size limits, canonical output.
        .target(name: "CredenceJSON"),

        // JOSE over the OpenSSL wrapper.
        .target(name: "CredenceJOSE", dependencies: ["OpenSSLCrypto", "CredenceJSON"]),

        // The OAuth domain: no C, no I/O.
        .target(
            name: "CredenceCore",
            dependencies: ["CredenceJOSE", .product(name: "Logging", package: "swift-log")]),

        // Adapters.
        .target(name: "CredencePostgres", dependencies: ["CredenceCore", "PostgresLibPQ"]),
        .target(
            name: "CredenceServer",
            dependencies: [
                "CredenceCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]),

        // Test helpers shipped as a library: fixed clock, in-memory stores, fixture keys.
        .target(name: "CredenceTesting", dependencies: ["CredenceCore", "CredenceServer"]),

        // The executable: wiring and the command line only.
        .executableTarget(
            name: "credence",
            dependencies: [
                "FastCGI", "CredenceServer", "CredencePostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),

        .testTarget(name: "OpenSSLCryptoTests", dependencies: ["OpenSSLCrypto"]),
        .testTarget(name: "CredenceJSONTests", dependencies: ["CredenceJSON"]),
        .testTarget(
            name: "CredenceJOSETests", dependencies: ["CredenceJOSE"],
            resources: [.copy("Fixtures")]),
        .testTarget(name: "CredenceCoreTests", dependencies: ["CredenceCore", "CredenceTesting"]),
        .testTarget(name: "CredenceServerTests", dependencies: ["CredenceServer", "CredenceTesting"]),
        .testTarget(
            name: "FastCGITests",
            dependencies: ["FastCGI", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "PostgresLibPQTests", dependencies: ["PostgresLibPQ"]),
        .testTarget(name: "CredencePostgresTests", dependencies: ["CredencePostgres", "CredenceTesting"]),
    ]
)
