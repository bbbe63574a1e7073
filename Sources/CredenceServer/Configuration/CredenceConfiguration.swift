import Foundation
import Logging
import OpenSSLCrypto
import Yams

/// Everything `credence` needs to run, read from one YAML file with secrets
/// overridable from the environment. Loading is strict: an unknown key, a
/// wrong type or a missing issuer is a problem named by its key path, and the
/// server refuses to start until the file is right.
public struct CredenceConfiguration: Sendable {
    /// The issuer identifier; the root of every published URL.
    public var issuer: IssuerURL
    /// The path prefix under which the web server forwards requests; defaults to the issuer's path.
    public var basePath: String
    /// The default `workers`: four per online processor, at least 8 and at most 64 (the
    /// FastCGI server's own default; each worker also holds one PostgreSQL connection).
    public static let defaultWorkers = defaultWorkers(processors: ProcessInfo.processInfo.activeProcessorCount)

    /// Four workers per processor, within 8...64.
    public static func defaultWorkers(processors: Int) -> Int { min(max(4 * processors, 8), 64) }

    /// Where FastCGI connections are accepted.
    public var listen: ListenAddress
    /// Permissions of the unix socket (e.g. `0o660`).
    public var socketMode: UInt16
    /// Number of worker threads, each serving one request at a time (idle kept-alive
    /// web-server connections hold none).
    public var workers: Int
    /// Largest accepted request body; larger gets 413.
    public var maxBodyBytes: Int
    /// Largest total size of the FastCGI parameters (request headers and CGI variables); larger gets 431.
    public var maxHeaderBytes: Int
    /// How long in-flight requests may run on during shutdown.
    public var shutdownGraceSeconds: Int
    /// Lowest log level written.
    public var logLevel: Logger.Level
    /// PostgreSQL settings.
    public var database: DatabaseSettings
    /// Signing-key settings.
    public var keys: KeySettings
    /// Access-token settings.
    public var tokens: TokenSettings
    /// Mutual-TLS settings.
    public var mtls: MTLSSettings
    /// Tolerance for clock differences when checking `exp`, `nbf` and `iat`.
    public var clockSkewSeconds: Int
    /// Who may connect to the FastCGI socket over TCP, and the request deadline.
    public var fastCGIPeers: FastCGIPeerSettings
    /// Fetching remote JWK Sets (`jwks_uri`): allowlist, limits, cache.
    public var jwksFetch: JWKSFetchSettings = .defaults
    /// Dynamic client registration: trusted software-statement issuers and the policy.
    public var registration: RegistrationSettings = .defaults

    /// PostgreSQL connection settings.
    public struct DatabaseSettings: Sendable {
        /// libpq conninfo string or URI (may hold a password, hence secret).
        public var url: Secret<String>
        /// Seconds to wait for a connection before answering 503.
        public var connectTimeoutSeconds: Int
        /// Why `sslmode=require` (encryption without server authentication) is acceptable for
        /// this deployment; without it such a connection string draws a warning.
        public var sslmodeRequireReason: String?
    }

    /// Server signing-key settings.
    public struct KeySettings: Sendable {
        /// The 32-byte AES-256-GCM key that seals private signing keys at rest, held in one
        /// buffer of secret memory (shared by every copy, wiped at exit).
        public var encryptionKey: KeyEncryptionKey
        /// Where the key-encryption key came from and in which form, for messages (never the key).
        public var encryptionKeySource: String
        /// How the key-encryption key was written (base64 or raw bytes).
        public var encryptionKeyEncoding: KeyEncryptionKeyEncoding
        /// How often each responder re-reads the key set (bounds rotation pickup).
        public var refreshIntervalSeconds: Int
        /// Algorithm of keys made by `keys generate` without `--alg`.
        public var defaultAlgorithm: String
    }

    /// Access-token and token-endpoint settings.
    public struct TokenSettings: Sendable {
        /// Lifetime of issued access tokens; also how long a retired key stays published.
        public var accessTokenLifetimeSeconds: Int
        /// The `aud` of issued access tokens (default: the issuer).
        public var audience: [String]
        /// Bind every access token to the client certificate (RFC 8705 §3), whatever the client registered.
        public var forceCertificateBinding: Bool
        /// How far ahead a `private_key_jwt` assertion's `exp` may lie.
        public var assertionMaxLifetimeSeconds: Int
        /// Algorithms a `private_key_jwt` assertion may be signed with.
        public var assertionSigningAlgorithms: [String]
        /// `scopes_supported` in the metadata.
        public var scopesSupported: [String]
        /// Client ids that may introspect any client's tokens (RFC 7662 §4: resource servers).
        public var resourceServers: [String]
    }

    /// Mutual-TLS settings (RFC 8705).
    public struct MTLSSettings: Sendable {
        /// Base URL of the mTLS alias host (RFC 8705 §5), if the bank runs one.
        public var aliasBaseURL: IssuerURL?
        /// PEM bundle of CAs trusted for `tls_client_auth` client certificates.
        public var trustedCAFile: String?
    }

    /// Environment variable that overrides `database.url`.
    public static let databaseURLVariable = "CREDENCE_DATABASE_URL"
    /// Environment variable carrying the key-encryption key (base64 of 32 bytes).
    public static let keyEncryptionKeyVariable = "CREDENCE_KEY_ENCRYPTION_KEY"
    /// The longest lifetime any access token of this server can have (the server's, a
    /// client's own, or a minted token's): how long a retired signing key stays published.
    public static let maximumTokenLifetimeSeconds = 86_400
    /// Algorithms `tokens.assertion_signing_algorithms` may name (public-key algorithms only).
    public static let assertionSigningAlgorithmsAllowed = [
        "PS256", "ES256", "PS384", "ES384", "PS512", "ES512", "RS256", "EdDSA",
    ]
    /// Signing algorithms the server can use for its own keys.
    public static let signingAlgorithms = ["ES256", "PS256"]

    /// Reads and validates a configuration file. Without `environment`, the process's
    /// environment is read and `CREDENCE_KEY_ENCRYPTION_KEY` is then overwritten and removed
    /// from it, whatever the outcome, so that the key does not linger there (nor in
    /// `/proc/PID/environ`) or reach a child process.
    public static func load(
        path: String,
        environment: [String: String]? = nil
    ) throws(ConfigurationError) -> CredenceConfiguration {
        let usesProcessEnvironment = environment == nil
        defer { if usesProcessEnvironment { clearKeyEncryptionKeyFromProcessEnvironment() } }
        let environment = environment ?? ProcessInfo.processInfo.environment
        let contents: ConfigurationFileContents
        switch ConfigurationFiles.read(path) {
        case .success(let read): contents = read
        case .failure(let error):
            throw ConfigurationError(problems: [.init(key: "(file)", message: "cannot read \(path): \(error.reason)")])
        }
        guard let text = String(bytes: contents.bytes, encoding: .utf8) else {
            throw ConfigurationError(problems: [.init(key: "(file)", message: "\(path) is not UTF-8 text")])
        }
        return try parse(yaml: text, environment: environment, files: { ConfigurationFiles.read($0) })
    }

    /// Overwrites the value of `CREDENCE_KEY_ENCRYPTION_KEY` in the process's environment with
    /// zeros and removes the variable.
    public static func clearKeyEncryptionKeyFromProcessEnvironment() {
        if let value = getenv(keyEncryptionKeyVariable) { memset(value, 0, strlen(value)) }
        unsetenv(keyEncryptionKeyVariable)
    }

    /// Parses and validates configuration text; `readFile` reads referenced files (key-encryption
    /// key, CA bundle), `nil` meaning unreadable. No permission rule is checked.
    public static func parse(
        yaml text: String,
        environment: [String: String],
        readFile: (String) -> [UInt8]?
    ) throws(ConfigurationError) -> CredenceConfiguration {
        try parse(
            yaml: text,
            environment: environment,
            files: { path in
                readFile(path).map { .success(ConfigurationFileContents(bytes: $0)) }
                    ?? .failure(ConfigurationFileError(reason: "unreadable"))
            }
        )
    }

    /// Parses and validates configuration text; `files` reads referenced files with their
    /// permission bits, or says why it cannot.
    public static func parse(
        yaml text: String,
        environment: [String: String],
        files: (String) -> Result<ConfigurationFileContents, ConfigurationFileError>
    ) throws(ConfigurationError) -> CredenceConfiguration {
        var problems: [ConfigurationProblem] = []
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            // Only the first line of the parser's message: the rest quotes the file, which may
            // hold a secret (an unterminated database.url with a password).
            let firstLine = "\(error)".split(separator: "\n", maxSplits: 1).first.map(String.init) ?? "syntax error"
            throw ConfigurationError(problems: [.init(key: "(file)", message: "not valid YAML: \(firstLine)")])
        }
        guard let root else {
            throw ConfigurationError(problems: [.init(key: "issuer", message: "required (the file is empty)")])
        }
        var top = YAMLSection(node: root, path: "", problems: &problems)

        let issuer = top.issuerURL("issuer", problems: &problems)
        if issuer == nil && !problems.contains(where: { $0.key == "issuer" }) {
            problems.append(.init(key: "issuer", message: "required: the https URL clients know this server by"))
        }

        var basePath = issuer?.path ?? ""
        if let text = top.string("base_path", problems: &problems) {
            if text.isEmpty
                || (text.hasPrefix("/") && !text.hasSuffix("/") && !text.contains("?") && !text.contains("//"))
            {
                basePath = text
            } else {
                problems.append(
                    top.problem("base_path", "must be empty or a path like /oauth (leading slash, no trailing slash)")
                )
            }
        }

        var listen = ListenAddress.unixSocket(path: "/run/credence/credence.sock")
        if let text = top.string("listen", problems: &problems) {
            if let parsed = ListenAddress(parsing: text) {
                listen = parsed
            } else {
                problems.append(top.problem("listen", "must be unix:/absolute/path, tcp:HOST:PORT or fd:0"))
            }
        }

        var socketMode: UInt16 = 0o660
        if let text = top.string("socket_mode", problems: &problems) {
            if text.hasPrefix("0"), text.count == 4, let mode = UInt16(text, radix: 8), mode <= 0o777 {
                socketMode = mode
            } else {
                problems.append(top.problem("socket_mode", "must be an octal mode in quotes, like \"0660\""))
            }
        }

        let workers = top.integer("workers", in: 1...1024, problems: &problems) ?? Self.defaultWorkers
        let maxBodyBytes = top.integer("max_body_bytes", in: 1024...16_777_216, problems: &problems) ?? 65_536
        let maxHeaderBytes = top.integer("max_header_bytes", in: 4096...1_048_576, problems: &problems) ?? 32_768
        let shutdownGrace = top.integer("shutdown_grace_seconds", in: 0...300, problems: &problems) ?? 10
        let clockSkew = top.integer("clock_skew_seconds", in: 0...600, problems: &problems) ?? 60

        var logLevel = Logger.Level.info
        if let text = top.string("log_level", problems: &problems) {
            if let level = Logger.Level(rawValue: text) {
                logLevel = level
            } else {
                problems.append(
                    top.problem(
                        "log_level",
                        "must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                )
            }
        }

        // database
        var databaseSection = top.section("database", problems: &problems)
        var databaseURL = databaseSection.string("url", problems: &problems)
        if let fromEnvironment = environment[databaseURLVariable], !fromEnvironment.isEmpty {
            databaseURL = fromEnvironment
        }
        if databaseURL == nil || databaseURL?.isEmpty == true {
            problems.append(
                .init(
                    key: "database.url",
                    message: "required (a libpq conninfo or postgresql:// URI), or set \(databaseURLVariable)"
                )
            )
        }
        let connectTimeout = databaseSection.integer("connect_timeout_seconds", in: 1...60, problems: &problems) ?? 3
        // database.sslmode_require_reason: accepting sslmode=require without a warning.
        let sslmodeRequireReason = databaseSection.string("sslmode_require_reason", problems: &problems)
        if sslmodeRequireReason?.trimmingCharacters(in: .whitespaces).isEmpty == true {
            problems.append(databaseSection.problem("sslmode_require_reason", "must say why, or be left out"))
        }
        databaseSection.reportUnknownKeys(problems: &problems)

        // keys
        var keysSection = top.section("keys", problems: &problems)
        var encryptionKey: (key: KeyEncryptionKey, encoding: KeyEncryptionKeyEncoding)?
        var encryptionKeySource = "none"
        let keyFile = keysSection.string("encryption_key_file", problems: &problems)
        if let fromEnvironment = environment[keyEncryptionKeyVariable], !fromEnvironment.isEmpty {
            var material = Array(fromEnvironment.utf8)
            do {
                encryptionKey = try KeyEncryptionKey.decode(material: &material)
                encryptionKeySource = "environment variable \(keyEncryptionKeyVariable)"
            } catch {
                problems.append(
                    .init(key: "keys.encryption_key_file", message: "\(keyEncryptionKeyVariable): \(error)")
                )
            }
        } else if let keyFile {
            encryptionKeySource = "file \(keyFile)"
            switch files(keyFile) {
            case .failure(let error):
                problems.append(keysSection.problem("encryption_key_file", "cannot read \(keyFile): \(error.reason)"))
            case .success(var contents):
                do {
                    encryptionKey = try KeyEncryptionKey.decode(material: &contents.bytes)
                } catch {
                    problems.append(keysSection.problem("encryption_key_file", "\(keyFile): \(error)"))
                }
                // As ssh does for private keys: "others" may neither read nor write the key
                // (root:www-data 0640, the README's recipe, is accepted).
                if let mode = contents.permissions, mode & 0o007 != 0 {
                    encryptionKey = nil
                    problems.append(
                        keysSection.problem(
                            "encryption_key_file",
                            "\(keyFile) is accessible to others (mode 0\(String(mode, radix: 8))): chmod o-rwx \(keyFile) (e.g. owner root, group www-data, mode 0640)"
                        )
                    )
                }
            }
        } else {
            problems.append(
                .init(
                    key: "keys.encryption_key_file",
                    message:
                        "required (a file with 32 random bytes in base64: openssl rand -base64 32), or set \(keyEncryptionKeyVariable)"
                )
            )
        }
        if let encryptionKey {
            encryptionKeySource += encryptionKey.encoding == .base64 ? " (base64 of 32 bytes)" : " (32 raw bytes)"
        }
        let refreshInterval = keysSection.integer("refresh_interval_seconds", in: 1...3600, problems: &problems) ?? 30
        var defaultAlgorithm = "ES256"
        if let text = keysSection.string("algorithm", problems: &problems) {
            if signingAlgorithms.contains(text) {
                defaultAlgorithm = text
            } else {
                problems.append(
                    keysSection.problem("algorithm", "must be one of \(signingAlgorithms.joined(separator: ", "))")
                )
            }
        }
        keysSection.reportUnknownKeys(problems: &problems)

        // tokens
        var tokensSection = top.section("tokens", problems: &problems)
        let lifetime =
            tokensSection.integer("access_token_lifetime_seconds", in: 30...86_400, problems: &problems) ?? 300
        let audience = tokensSection.stringList("audience", problems: &problems)
        if audience?.isEmpty == true || audience?.contains(where: \.isEmpty) == true {
            problems.append(tokensSection.problem("audience", "must list at least one non-empty audience"))
        }
        let forceBinding = tokensSection.boolean("force_certificate_binding", problems: &problems) ?? false
        let assertionLifetime =
            tokensSection.integer("assertion_max_lifetime_seconds", in: 10...3600, problems: &problems) ?? 600
        let assertionAlgorithms =
            tokensSection.stringList("assertion_signing_algorithms", problems: &problems) ?? ["PS256", "ES256"]
        for name in assertionAlgorithms where !assertionSigningAlgorithmsAllowed.contains(name) {
            problems.append(
                tokensSection.problem(
                    "assertion_signing_algorithms",
                    "\(name) is not allowed; use \(assertionSigningAlgorithmsAllowed.joined(separator: ", ")) (never none or HMAC)"
                )
            )
        }
        if assertionAlgorithms.isEmpty {
            problems.append(tokensSection.problem("assertion_signing_algorithms", "must list at least one algorithm"))
        }
        let scopesSupported = tokensSection.stringList("scopes_supported", problems: &problems) ?? []
        let resourceServers = tokensSection.stringList("resource_servers", problems: &problems) ?? []
        tokensSection.reportUnknownKeys(problems: &problems)

        // mtls
        var mtlsSection = top.section("mtls", problems: &problems)
        let aliasBaseURL = mtlsSection.issuerURL("alias_base_url", problems: &problems)
        let trustedCAFile = mtlsSection.string("trusted_ca_file", problems: &problems)
        if let trustedCAFile {
            switch files(trustedCAFile) {
            case .success(let contents):
                do {
                    _ = try CertificateTrustStore(pemBundle: String(decoding: contents.bytes, as: UTF8.self))
                } catch {
                    problems.append(
                        mtlsSection.problem(
                            "trusted_ca_file",
                            "\(trustedCAFile) is not a usable PEM bundle of CA certificates: \(error)"
                        )
                    )
                }
            case .failure(let error):
                problems.append(
                    mtlsSection.problem("trusted_ca_file", "cannot read \(trustedCAFile): \(error.reason)")
                )
            }
        }
        mtlsSection.reportUnknownKeys(problems: &problems)

        // FastCGI peers and request deadline
        let fastCGIPeers = FastCGIPeerSettings.parse(&top, listen: listen, problems: &problems)
        var jwksFetchSection = top.section("jwks_fetch", problems: &problems)
        let jwksFetch = parseJWKSFetch(&jwksFetchSection, readFile: { try? files($0).get().bytes }, problems: &problems)
        var registrationSection = top.section("registration", problems: &problems)
        let registration = parseRegistration(
            &registrationSection,
            jwksFetch: jwksFetch,
            files: files,
            problems: &problems
        )

        top.reportUnknownKeys(problems: &problems)

        guard problems.isEmpty, let issuer, let databaseURL, let encryptionKey else {
            throw ConfigurationError(
                problems: problems.sorted { ($0.line ?? Int.max, $0.key) < ($1.line ?? Int.max, $1.key) }
            )
        }
        return CredenceConfiguration(
            issuer: issuer,
            basePath: basePath,
            listen: listen,
            socketMode: socketMode,
            workers: workers,
            maxBodyBytes: maxBodyBytes,
            maxHeaderBytes: maxHeaderBytes,
            shutdownGraceSeconds: shutdownGrace,
            logLevel: logLevel,
            database: DatabaseSettings(
                url: Secret(databaseURL),
                connectTimeoutSeconds: connectTimeout,
                sslmodeRequireReason: sslmodeRequireReason
            ),
            keys: KeySettings(
                encryptionKey: encryptionKey.key,
                encryptionKeySource: encryptionKeySource,
                encryptionKeyEncoding: encryptionKey.encoding,
                refreshIntervalSeconds: refreshInterval,
                defaultAlgorithm: defaultAlgorithm
            ),
            tokens: TokenSettings(
                accessTokenLifetimeSeconds: lifetime,
                audience: audience ?? [issuer.value],
                forceCertificateBinding: forceBinding,
                assertionMaxLifetimeSeconds: assertionLifetime,
                assertionSigningAlgorithms: assertionAlgorithms,
                scopesSupported: scopesSupported,
                resourceServers: resourceServers
            ),
            mtls: MTLSSettings(aliasBaseURL: aliasBaseURL, trustedCAFile: trustedCAFile),
            clockSkewSeconds: clockSkew,
            fastCGIPeers: fastCGIPeers,
            jwksFetch: jwksFetch,
            registration: registration
        )
    }
}
