import CredenceServer
import Foundation
import OpenSSLCrypto
import Testing

/// Whether `key` is the key-encryption key made of `bytes`: it opens what that key sealed.
func isKey(_ key: KeyEncryptionKey, _ bytes: [UInt8]) -> Bool {
    guard let sealed = try? KeyEncryptionKey(bytes: bytes).seal(bytes: [1, 2, 3], associatedData: []) else {
        return false
    }
    return (try? key.open(sealed, associatedData: [])) == [1, 2, 3]
}

@Suite struct ConfigurationTests {
    static let kekBase64 = Data(repeating: 7, count: 32).base64EncodedString()
    static let files: [String: [UInt8]] = [
        "/etc/credence/kek": Array(kekBase64.utf8) + [10],
        "/etc/credence/kek-raw": rawKey,
        "/etc/credence/kek-short": Array("c2hvcnQ=".utf8),
        "/etc/credence/ca.pem": rootCA,
        "/etc/credence/not-a-ca.pem": Array("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".utf8),
    ]

    /// 32 raw bytes that are not text.
    static let rawKey: [UInt8] = (0..<32).map { UInt8($0 * 8 + 3) }

    /// A real CA certificate from the X.509 test fixtures.
    static let rootCA: [UInt8] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../OpenSSLCryptoTests/Fixtures/x509/root-ca.pem").standardized
        return (try? [UInt8](Data(contentsOf: url))) ?? []
    }()

    static let minimal = """
        issuer: https://as.bank.example/oauth
        database:
          url: host=/run/postgresql dbname=credence
        keys:
          encryption_key_file: /etc/credence/kek
        """

    func parse(_ text: String, environment: [String: String] = [:]) throws(ConfigurationError) -> CredenceConfiguration
    {
        try CredenceConfiguration.parse(yaml: text, environment: environment, readFile: { Self.files[$0] })
    }

    func problems(_ text: String, environment: [String: String] = [:]) -> [ConfigurationProblem] {
        do {
            _ = try parse(text, environment: environment)
            return []
        } catch {
            return error.problems
        }
    }

    @Test(arguments: [(1, 8), (2, 8), (4, 16), (16, 64), (96, 64)])
    func defaultWorkersAreFourPerProcessorWithinBounds(processors: Int, workers: Int) {
        #expect(CredenceConfiguration.defaultWorkers(processors: processors) == workers)
    }

    @Test func minimalFileGetsDefaults() throws {
        let configuration = try parse(Self.minimal)
        #expect(configuration.issuer.value == "https://as.bank.example/oauth")
        #expect(configuration.basePath == "/oauth")
        #expect(configuration.listen == .unixSocket(path: "/run/credence/credence.sock"))
        #expect(configuration.workers == CredenceConfiguration.defaultWorkers)
        #expect((8...64).contains(configuration.workers))
        #expect(configuration.maxBodyBytes == 65_536)
        #expect(isKey(configuration.keys.encryptionKey, [UInt8](repeating: 7, count: 32)))
        #expect(configuration.keys.encryptionKeyEncoding == .base64)
        #expect(configuration.database.url.revealed == "host=/run/postgresql dbname=credence")
        #expect(configuration.tokens.accessTokenLifetimeSeconds == 300)
        #expect(configuration.mtls.aliasBaseURL == nil)
    }

    @Test func everyKeyIsRead() throws {
        let configuration = try parse(
            """
            issuer: https://as.bank.example
            base_path: /auth
            listen: tcp:127.0.0.1:9000
            socket_mode: "0600"
            workers: 8
            max_body_bytes: 4096
            max_header_bytes: 8192
            shutdown_grace_seconds: 3
            clock_skew_seconds: 30
            log_level: debug
            database:
              url: postgresql://credence@db/credence
              connect_timeout_seconds: 2
            keys:
              encryption_key_file: /etc/credence/kek-raw
              refresh_interval_seconds: 5
              algorithm: PS256
            tokens:
              access_token_lifetime_seconds: 600
            mtls:
              alias_base_url: https://mtls.bank.example
              trusted_ca_file: /etc/credence/ca.pem
            """
        )
        #expect(configuration.issuer.value == "https://as.bank.example")
        #expect(configuration.basePath == "/auth")
        #expect(configuration.listen == .tcp(host: "127.0.0.1", port: 9000))
        #expect(configuration.socketMode == 0o600)
        #expect(configuration.workers == 8)
        #expect(configuration.maxBodyBytes == 4096)
        #expect(configuration.maxHeaderBytes == 8192)
        #expect(configuration.shutdownGraceSeconds == 3)
        #expect(configuration.clockSkewSeconds == 30)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.database.connectTimeoutSeconds == 2)
        #expect(isKey(configuration.keys.encryptionKey, Self.rawKey))
        #expect(configuration.keys.encryptionKeyEncoding == .raw)
        #expect(configuration.keys.refreshIntervalSeconds == 5)
        #expect(configuration.keys.defaultAlgorithm == "PS256")
        #expect(configuration.tokens.accessTokenLifetimeSeconds == 600)
        #expect(configuration.mtls.aliasBaseURL?.value == "https://mtls.bank.example")
        #expect(configuration.mtls.trustedCAFile == "/etc/credence/ca.pem")
    }

    @Test func environmentOverridesSecrets() throws {
        let key = Data(repeating: 1, count: 32).base64EncodedString()
        let configuration = try parse(
            "issuer: https://as.example\n",
            environment: ["CREDENCE_DATABASE_URL": "dbname=other", "CREDENCE_KEY_ENCRYPTION_KEY": key]
        )
        #expect(configuration.database.url.revealed == "dbname=other")
        #expect(isKey(configuration.keys.encryptionKey, [UInt8](repeating: 1, count: 32)))
        #expect(configuration.keys.encryptionKeySource.contains("CREDENCE_KEY_ENCRYPTION_KEY"))
    }

    @Test(arguments: [
        (
            "issuer: https://a.example\nissuerr: x\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}",
            "issuerr"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x, pasword: y}\nkeys: {encryption_key_file: /etc/credence/kek}",
            "database.pasword"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}\nworkers: many",
            "workers"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}\nworkers: 0",
            "workers"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}\nworkers: \"8\"",
            "workers"
        ),
        ("database: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}", "issuer"),
        ("issuer: http://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}", "issuer"),
        ("issuer: https://a.example/\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}", "issuer"),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}\nmtls: {trusted_ca_file: /etc/credence/not-a-ca.pem}",
            "mtls.trusted_ca_file"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}\nmax_header_bytes: 10",
            "max_header_bytes"
        ),
        ("issuer: https://a.example?x=1\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}", "issuer"),
        ("issuer: [https://a.example]\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}", "issuer"),
        ("issuer: https://a.example\nkeys: {encryption_key_file: /etc/credence/kek}", "database.url"),
        ("issuer: https://a.example\ndatabase: {url: x}", "keys.encryption_key_file"),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /missing}",
            "keys.encryption_key_file"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek-short}",
            "keys.encryption_key_file"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek, algorithm: HS256}",
            "keys.algorithm"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}\nlisten: /tmp/sock",
            "listen"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}\nlog_level: loud",
            "log_level"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}\nsocket_mode: 660",
            "socket_mode"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}\nbase_path: oauth/",
            "base_path"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}\nmtls: {trusted_ca_file: /nope}",
            "mtls.trusted_ca_file"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}\nmtls: {alias_base_url: ftp://x}",
            "mtls.alias_base_url"
        ),
        (
            "issuer: https://a.example\ndatabase: {url: x}\nkeys: {encryption_key_file: /etc/credence/kek}\ntokens: 5",
            "tokens"
        ),
    ])
    func problemIsNamedByKey(text: String, key: String) {
        let found = problems(text)
        #expect(found.map(\.key).contains(key), "expected a problem at \(key), got \(found)")
    }

    @Test func everyProblemIsReportedAtOnce() {
        let found = problems("workers: -1\nlisten: nowhere\ncolour: blue\n")
        let keys = Set(found.map(\.key))
        #expect(
            keys.isSuperset(of: ["issuer", "workers", "listen", "colour", "database.url", "keys.encryption_key_file"])
        )
    }

    @Test func problemsCarryLineNumbers() {
        let found = problems(Self.minimal + "\nworkers: lots\n")
        #expect(found.first { $0.key == "workers" }?.line == 6)
    }

    @Test func duplicateKeysAreRefusedByName() {
        let found = problems("issuer: https://a.example\nissuer: https://b.example\n")
        #expect(found.count == 1)
        #expect(found.first?.message.contains("'issuer'") == true)
    }

    @Test func aYAMLErrorDoesNotQuoteTheFile() {
        let found = problems("issuer: https://a.example\ndatabase:\n  url: \"host=db password=hunter2\nkeys: {}\n")
        #expect(found.map(\.key) == ["(file)"])
        #expect(!found.description.contains("hunter2"))
    }

    @Test func notYAML() {
        #expect(problems("issuer: [unclosed").map(\.key) == ["(file)"])
    }

    @Test func secretsAreRedacted() throws {
        let configuration = try parse(Self.minimal)
        #expect(!String(describing: configuration).contains("dbname=credence"))
        #expect(!String(reflecting: configuration.keys).contains("7, 7"))
    }

    @Test(arguments: [
        ("unix:/run/credence.sock", ListenAddress.unixSocket(path: "/run/credence.sock")),
        ("tcp:127.0.0.1:9000", ListenAddress.tcp(host: "127.0.0.1", port: 9000)),
        ("tcp:[::1]:9000", ListenAddress.tcp(host: "::1", port: 9000)),
        ("fd:0", ListenAddress.inheritedStandardInput),
    ])
    func listenAddresses(text: String, expected: ListenAddress) {
        #expect(ListenAddress(parsing: text) == expected)
        #expect(ListenAddress(parsing: text)?.description == text)
    }

    @Test(arguments: ["unix:relative", "tcp:host", "tcp::9000", "tcp:h:0", "tcp:h:70000", "fd:1", "", "udp:x:1"])
    func badListenAddresses(text: String) {
        #expect(ListenAddress(parsing: text) == nil)
    }
}

@Suite struct ExampleConfigurationTests {
    /// The documented example must stay a valid configuration.
    @Test func exampleFileIsValid() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../config/credence.example.yaml").standardized.path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let configuration = try CredenceConfiguration.parse(
            yaml: text,
            environment: [:],
            readFile: { $0.hasSuffix(".pem") ? ConfigurationTests.rootCA : Array(repeating: 5, count: 32) }
        )
        #expect(configuration.issuer.value == "https://as.bank.example")
        #expect(configuration.mtls.aliasBaseURL?.value == "https://mtls.as.bank.example")
        #expect(configuration.workers == 8)
    }
}

/// `allowed_peers` and `request_timeout_seconds`: FastCGI over TCP has no authentication,
/// so an address other hosts can reach needs the web servers listed in the file.
@Suite struct FastCGIPeerConfigurationTests {
    private func parse(_ extra: String) throws(ConfigurationError) -> CredenceConfiguration {
        try CredenceConfiguration.parse(
            yaml: ConfigurationTests.minimal + "\n" + extra,
            environment: [:],
            readFile: { ConfigurationTests.files[$0] }
        )
    }

    private func problemKeys(_ extra: String) -> [String] {
        do {
            _ = try parse(extra)
            return []
        } catch {
            return error.problems.map(\.key)
        }
    }

    @Test(arguments: ["tcp:0.0.0.0:9000", "tcp:[::]:9000", "tcp:192.0.2.10:9000", "tcp:web.internal:9000"])
    func aReachableTCPAddressWithoutAllowedPeersIsRefused(listen: String) {
        #expect(problemKeys("listen: \(listen)\n") == ["allowed_peers"])
    }

    @Test func anEnvironmentVariableAloneDoesNotCount() {
        let keys: [String]
        do {
            _ = try CredenceConfiguration.parse(
                yaml: ConfigurationTests.minimal + "\nlisten: tcp:0.0.0.0:9000\n",
                environment: ["FCGI_WEB_SERVER_ADDRS": "192.0.2.1"],
                readFile: { ConfigurationTests.files[$0] }
            )
            keys = []
        } catch {
            keys = error.problems.map(\.key)
        }
        #expect(keys == ["allowed_peers"])
    }

    @Test(arguments: [
        "tcp:127.0.0.1:9000", "tcp:127.0.0.53:9000", "tcp:[::1]:9000", "tcp:localhost:9000", "unix:/run/c.sock", "fd:0",
    ])
    func loopbackAndUnixSocketsNeedNoList(listen: String) throws {
        let configuration = try parse("listen: \(listen)\n")
        #expect(configuration.fastCGIPeers.allowedPeers.isEmpty)
    }

    @Test func listedPeersAreKept() throws {
        let configuration = try parse("listen: tcp:0.0.0.0:9000\nallowed_peers: [192.0.2.10, \"2001:db8::5\"]\n")
        #expect(configuration.fastCGIPeers.allowedPeers == ["192.0.2.10", "2001:db8::5"])
    }

    @Test(arguments: ["web1.bank.example", "192.0.2.0/24", "192.0.2", ""])
    func peersMustBeNumericAddresses(peer: String) {
        #expect(problemKeys("listen: tcp:0.0.0.0:9000\nallowed_peers: [\"\(peer)\"]\n") == ["allowed_peers[0]"])
    }

    @Test func requestTimeoutHasADefaultAndARange() throws {
        #expect(try parse("").fastCGIPeers.requestTimeoutSeconds == 10)
        #expect(try parse("request_timeout_seconds: 3\n").fastCGIPeers.requestTimeoutSeconds == 3)
        #expect(problemKeys("request_timeout_seconds: 0\n") == ["request_timeout_seconds"])
        #expect(problemKeys("request_timeout_seconds: 301\n") == ["request_timeout_seconds"])
    }
}
