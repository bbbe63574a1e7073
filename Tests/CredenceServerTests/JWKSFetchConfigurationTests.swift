import CredenceCore
import CredenceServer
import Foundation
import Testing

/// The `jwks_fetch` section: defaults, every key, and each refusal named by its key.
@Suite struct JWKSFetchConfigurationTests {
    func parse(_ section: String) throws(ConfigurationError) -> CredenceConfiguration {
        try CredenceConfiguration.parse(
            yaml: ConfigurationTests.minimal + "\n" + section,
            environment: [:],
            readFile: { ConfigurationTests.files[$0] }
        )
    }

    func problemKeys(_ section: String) -> [String] {
        do {
            _ = try parse(section)
            return []
        } catch {
            return error.problems.map(\.key)
        }
    }

    @Test func absentSectionRefusesEveryHost() throws {
        let settings = try parse("").jwksFetch
        #expect(settings.allowedHosts.isEmpty)
        #expect(settings.connectTimeoutSeconds == 3)
        #expect(settings.timeoutSeconds == 5)
        #expect(settings.maxBytes == 65_536)
        #expect(settings.cacheSeconds == 300)
        #expect(settings.maxStaleSeconds == 3600)
        #expect(settings.caFile == nil)
        #expect(settings.proxy == nil)
        #expect(throws: RemoteJWKSError(.hostNotAllowed, "")) {
            try RemoteJWKSCache(policy: settings.policy, fetcher: InertFetcher()).validate("https://keys.example/j")
        }
    }

    @Test func everyKeyIsRead() throws {
        let settings = try parse(
            """
            jwks_fetch:
              allowed_hosts: [keystore.directory.example, "localhost:8443"]
              connect_timeout_seconds: 2
              timeout_seconds: 4
              max_bytes: 2048
              cache_seconds: 120
              max_stale_seconds: 600
              ca_file: /etc/credence/ca.pem
              proxy: http://proxy.bank.example:3128
            """
        ).jwksFetch
        #expect(settings.allowedHosts.description == "keystore.directory.example, localhost:8443")
        #expect(settings.connectTimeoutSeconds == 2)
        #expect(settings.timeoutSeconds == 4)
        #expect(settings.maxBytes == 2048)
        #expect(settings.cacheSeconds == 120)
        #expect(settings.maxStaleSeconds == 600)
        #expect(settings.caFile == "/etc/credence/ca.pem")
        #expect(settings.proxy == "http://proxy.bank.example:3128")
        let policy = settings.policy
        #expect(policy.cacheDuration == 120)
        #expect(policy.maximumStaleness == 600)
        #expect(policy.maximumDocumentBytes == 2048)
        let cache = RemoteJWKSCache(policy: policy, fetcher: InertFetcher())
        #expect(try cache.validate("https://keystore.directory.example/org/jwks.json").port == 443)
        #expect(try cache.validate("https://localhost:8443/jwks.json").host == "localhost")
        #expect(throws: RemoteJWKSError(.hostNotAllowed, "")) { try cache.validate("https://localhost/jwks.json") }
    }

    @Test(arguments: [
        ("jwks_fetch: {allowed_hosts: [\"https://keys.example\"]}", "jwks_fetch.allowed_hosts"),
        ("jwks_fetch: {allowed_hosts: [\"*.keys.example\"]}", "jwks_fetch.allowed_hosts"),
        ("jwks_fetch: {allowed_hosts: [\"keys.example/jwks\"]}", "jwks_fetch.allowed_hosts"),
        ("jwks_fetch: {allowed_hosts: [\"keys.example:0\"]}", "jwks_fetch.allowed_hosts"),
        ("jwks_fetch: {allowed_hosts: keys.example}", "jwks_fetch.allowed_hosts"),
        ("jwks_fetch: {timeout_seconds: 0}", "jwks_fetch.timeout_seconds"),
        ("jwks_fetch: {timeout_seconds: 600}", "jwks_fetch.timeout_seconds"),
        ("jwks_fetch: {connect_timeout_seconds: 10, timeout_seconds: 5}", "jwks_fetch.connect_timeout_seconds"),
        ("jwks_fetch: {max_bytes: 10}", "jwks_fetch.max_bytes"),
        ("jwks_fetch: {cache_seconds: 1}", "jwks_fetch.cache_seconds"),
        ("jwks_fetch: {max_stale_seconds: -1}", "jwks_fetch.max_stale_seconds"),
        ("jwks_fetch: {ca_file: /nope.pem}", "jwks_fetch.ca_file"),
        ("jwks_fetch: {ca_file: /etc/credence/not-a-ca.pem}", "jwks_fetch.ca_file"),
        ("jwks_fetch: {proxy: \"socks5://proxy:1080\"}", "jwks_fetch.proxy"),
        ("jwks_fetch: {proxy: \"http://user:secret@proxy:3128\"}", "jwks_fetch.proxy"),
        ("jwks_fetch: {ttl: 5}", "jwks_fetch.ttl"),
        ("jwks_fetch: [a]", "jwks_fetch"),
    ])
    func problemIsNamedByKey(section: String, key: String) {
        let keys = problemKeys(section)
        #expect(keys.contains(key), "expected a problem at \(key), got \(keys)")
    }

    /// The example file documents the defaults.
    @Test func exampleFileStatesTheDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../config/credence.example.yaml").standardized.path
        let configuration = try CredenceConfiguration.parse(
            yaml: try String(contentsOfFile: path, encoding: .utf8),
            environment: [:],
            readFile: { $0.hasSuffix(".pem") ? ConfigurationTests.rootCA : Array(repeating: 5, count: 32) }
        )
        let settings = configuration.jwksFetch
        let defaults = CredenceConfiguration.JWKSFetchSettings.defaults
        #expect(settings.allowedHosts == defaults.allowedHosts)
        #expect(settings.connectTimeoutSeconds == defaults.connectTimeoutSeconds)
        #expect(settings.timeoutSeconds == defaults.timeoutSeconds)
        #expect(settings.maxBytes == defaults.maxBytes)
        #expect(settings.cacheSeconds == defaults.cacheSeconds)
        #expect(settings.maxStaleSeconds == defaults.maxStaleSeconds)
    }
}

/// A fetcher for tests that must never fetch.
private struct InertFetcher: JWKSetFetcher {
    func fetchJWKSetDocument(from url: RemoteJWKSURL) throws(RemoteJWKSError) -> FetchedJWKSetDocument {
        Issue.record("unexpected fetch of \(url)")
        throw RemoteJWKSError(.fetchFailed, "inert")
    }
}
