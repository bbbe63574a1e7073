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
            name: "CFastCGI",
            pkgConfig: "fcgi",
            providers: [.apt(["libfcgi-dev"])]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),

        // Wrappers: the only targets that see C types.
        .target(
            name: "FastCGI",
            dependencies: ["CFastCGI", .product(name: "Logging", package: "swift-log")]
        ),
        .target(name: "PostgresLibPQ", dependencies: ["CLibPQ"]),
        .target(name: "OpenSSLCrypto", dependencies: ["COpenSSL"]),
        .target(name: "CurlHTTP", dependencies: ["CCurl"]),

        // Strict JSON: duplicate members, depth and size limits, canonical output.
        .target(name: "CredenceJSON"),

        // JOSE over the OpenSSL wrapper.
        .target(name: "CredenceJOSE", dependencies: ["OpenSSLCrypto", "CredenceJSON"]),

        // Fuzzing and benchmarking of the JOSE layer (scripts/fuzz.sh, bench/jose.sh).
        .executableTarget(name: "FuzzJWS", dependencies: ["CredenceJOSE", "OpenSSLCrypto"]),
        .executableTarget(
            name: "credence-bench",
            dependencies: ["CredenceJOSE", "CredenceJSON", "OpenSSLCrypto"],
            path: "Sources/CredenceBench"
        ),

        // The OAuth domain: no C, no I/O.
        .target(
            name: "CredenceCore",
            dependencies: [
                "CredenceJOSE", "CredenceJSON", "OpenSSLCrypto", .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Adapters.
        .target(name: "CredencePostgres", dependencies: ["CredenceCore", "PostgresLibPQ"]),
        // The core's fetcher protocols (remote JWK Sets) over CurlHTTP.
        .target(name: "CredenceCurl", dependencies: ["CredenceCore", "CurlHTTP"]),
        .target(
            name: "CredenceServer",
            dependencies: [
                "CredenceCore", "CredenceJSON", "CredenceJOSE", "OpenSSLCrypto",
                .product(name: "Logging", package: "swift-log"), .product(name: "Yams", package: "Yams"),
            ]
        ),

        // The PostgreSQL tests' database: CREDENCE_TEST_DATABASE_URL or a throwaway cluster.
        .target(name: "PostgresTestSupport", dependencies: ["PostgresLibPQ"]),

        // Tests that make keys and certificates with the openssl tool when they run.
        .target(name: "OpenSSLToolSupport"),

        // Test helpers shipped as a library: fixed clock, in-memory stores, fixture keys.
        .target(name: "CredenceTesting", dependencies: ["CredenceCore", "CredenceServer"]),

        // The executable: wiring and the command line only.
        .executableTarget(
            name: "credence",
            dependencies: [
                "FastCGI", "CredenceServer", "CredencePostgres", "PostgresLibPQ", "CredenceCore", "CredenceJOSE",
                "OpenSSLCrypto", "CredenceCurl", "CurlHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Fuzz target for the web-server client-certificate parameter (see its source).
        .executableTarget(
            name: "FuzzCertificateParameter",
            dependencies: ["OpenSSLCrypto"],
            swiftSettings: [.enableExperimentalFeature("Extern")]
        ),

        .testTarget(
            name: "OpenSSLCryptoTests",
            dependencies: ["OpenSSLCrypto", "OpenSSLToolSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "CredenceJSONTests", dependencies: ["CredenceJSON"]),
        .testTarget(
            name: "CredenceJOSETests",
            dependencies: ["CredenceJOSE", "CredenceJSON", "OpenSSLCrypto"],
            resources: [.copy("Fixtures"), .copy("Interop")]
        ),
        .testTarget(
            name: "CredenceCoreTests",
            dependencies: ["CredenceCore", "CredenceTesting"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "CredenceServerTests",
            dependencies: ["CredenceServer", "CredenceTesting", "OpenSSLToolSupport"]
        ),
        .testTarget(
            name: "FastCGITests",
            dependencies: ["FastCGI", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "PostgresLibPQTests", dependencies: ["PostgresLibPQ", "PostgresTestSupport"]),
        .testTarget(
            name: "CurlHTTPTests",
            dependencies: ["CurlHTTP", "CredenceCurl", "CredenceCore", "CredenceJOSE", "OpenSSLToolSupport"]
        ),
        .testTarget(
            name: "CredencePostgresTests",
            dependencies: ["CredencePostgres", "CredenceTesting", "PostgresTestSupport"]
        ),
    ]
)
