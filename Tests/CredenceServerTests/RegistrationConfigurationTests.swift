import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceServer
import CredenceTesting
import Foundation
import OpenSSLCrypto
import Testing

/// The `registration` section: the global policy, the trusted issuers, every file they name
/// read and checked, and each problem keyed by its entry and naming the entry's issuer.
@Suite struct RegistrationConfigurationTests {
    static let directoryKey = try! PrivateKey.generate(.ec(.p256))

    static let directoryCA: [UInt8] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../CredenceCoreTests/Fixtures/directory/directory-ca.pem").standardized
        return (try? [UInt8](Data(contentsOf: url))) ?? []
    }()

    static let files: [String: [UInt8]] = ConfigurationTests.files.merging(
        [
            "/etc/credence/directory.jwks": Array(
                JSONValue.object(JWKSet(keys: [JWK(publicKey: directoryKey.publicKey, keyID: "dir-1")]).jsonObject)
                    .serializedString().utf8
            ),
            "/etc/credence/no-kid.jwks": Array(
                JSONValue.object(JWKSet(keys: [JWK(publicKey: directoryKey.publicKey, keyID: nil)]).jsonObject)
                    .serializedString().utf8
            ),
            "/etc/credence/private.jwks": Array(
                #"{"keys":[{"kty":"oct","kid":"s","k":"c2VjcmV0"}]}"#.utf8
            ),
            "/etc/credence/empty.jwks": Array(#"{"keys":[]}"#.utf8),
            "/etc/credence/directory-ca.pem": directoryCA,
        ],
        uniquingKeysWith: { $1 }
    )

    func parse(_ section: String) throws(ConfigurationError) -> CredenceConfiguration {
        try CredenceConfiguration.parse(
            yaml: ConfigurationTests.minimal + "\n" + section,
            environment: [:],
            readFile: { Self.files[$0] }
        )
    }

    func problems(_ section: String) -> [ConfigurationProblem] {
        do {
            _ = try parse(section)
            return []
        } catch {
            return error.problems
        }
    }

    @Test func absentSectionTrustsNoIssuerWithTheDefaultPolicy() throws {
        let registration = try parse("").registration
        #expect(registration.trustedIssuers.isEmpty)
        #expect(registration.policy == .default)
    }

    static let fullPolicy = """
        registration:
          policy:
            initial_access_token: optional
            initial_access_token_scope: Register
            allowed_grant_types: [client_credentials]
            allowed_authentication_methods: [private_key_jwt, tls_client_auth]
            scopes_by_role:
              AISP: [accounts]
              PISP: [payments, fundsconfirmations]
            default_scopes: [openid]
            force_certificate_bound_tokens: true
            uniqueness: per_statement
            redirect_uri_mismatch: replace
            unsupported_values: replace
            require_request_audience: false
            allow_without_statement: true
            management_by_registration_access_token: false
            management_by_access_token: true
            rotate_registration_access_token: true
            certificate_subject_binding:
              CN: "{software_id}"
              OU: "{org_id}"
        """

    @Test func everyPolicyKeyIsRead() throws {
        let policy = try parse(Self.fullPolicy).registration.policy
        #expect(policy.initialAccessToken == .optional)
        #expect(policy.initialAccessTokenScope == "Register")
        #expect(policy.allowedGrantTypes == ["client_credentials"])
        #expect(policy.allowedAuthenticationMethods == ["private_key_jwt", "tls_client_auth"])
        #expect(policy.scopesByRole == ["AISP": ["accounts"], "PISP": ["payments", "fundsconfirmations"]])
        #expect(policy.defaultScopes == ["openid"])
        #expect(policy.forceCertificateBoundTokens)
        #expect(policy.uniqueness == .perStatement)
        #expect(policy.redirectURIMismatch == .replace)
        #expect(policy.unsupportedValues == .replace)
        #expect(!policy.requireRequestAudience)
        #expect(policy.allowWithoutStatement)
        #expect(!policy.managementByRegistrationAccessToken)
        #expect(policy.managementByAccessToken)
        #expect(policy.rotateRegistrationAccessToken)
        #expect(policy.certificateSubjectBinding == ["CN": "{software_id}", "OU": "{org_id}"])
    }

    static let twoIssuers = """
        jwks_fetch:
          allowed_hosts: [keys.directory.example]
        registration:
          policy:
            uniqueness: many
          trusted_issuers:
            - issuer: OpenBanking Ltd
              jwks_file: /etc/credence/directory.jwks
              jwks_uri: https://keys.directory.example/ssa.jwks
              revoked_keys_uri: https://keystore.directory.example/revoked.jwks
              software_jwks_hosts: [keystore.directory.example]
              algorithms: [PS256, ES256, RS256]
              required_claims: [software_id, org_id]
              max_age_seconds: 600
              policy:
                initial_access_token: none
            - issuer: https://sandbox.directory.example
              ca_file: /etc/credence/directory-ca.pem
              statement_signers:
                - CN=SSA Signer,OU=Software Statements,O=Credence Test Directory,C=GB
                - "sha256:5f4f18dd6967bf9644e4521b90572df09064f24879d9d6dc10515cabed3e18a1"
        """

    @Test func twoTrustedIssuersWithTheirOwnSettingsAndPolicies() throws {
        let configuration = try parse(Self.twoIssuers)
        let issuers = configuration.registration.trustedIssuers
        try #require(issuers.count == 2)
        let production = issuers[0].entry
        #expect(production.issuer == "OpenBanking Ltd")
        #expect(production.keys?.keys.first?.keyID == "dir-1")
        #expect(issuers[0].jwksFile == "/etc/credence/directory.jwks")
        #expect(production.jwksURI == "https://keys.directory.example/ssa.jwks")
        #expect(production.revokedKeysURI == "https://keystore.directory.example/revoked.jwks")
        #expect(production.softwareJWKSHosts.description == "keystore.directory.example")
        #expect(production.issuerKeyHosts.description == "keys.directory.example, keystore.directory.example")
        #expect(production.algorithms == [.ps256, .es256, .rs256])
        #expect(production.requiredClaims == ["software_id", "org_id"])
        #expect(production.maximumAgeSeconds == 600)
        #expect(production.policy.initialAccessToken == .none)
        #expect(production.policy.uniqueness == .many)  // from the global policy

        let sandbox = issuers[1].entry
        #expect(sandbox.algorithms == TrustedIssuer.defaultAlgorithms)
        #expect(sandbox.requiredClaims == TrustedIssuer.defaultRequiredClaims)
        #expect(sandbox.maximumAgeSeconds == TrustedIssuer.defaultMaximumAgeSeconds)
        #expect(sandbox.certificateAuthorities != nil)
        #expect(sandbox.statementSigners.count == 2)
        #expect(sandbox.policy.initialAccessToken == .required)
        #expect(sandbox.policy.uniqueness == .many)
        #expect(sandbox.softwareJWKSHosts.isEmpty)
        #expect(issuers[0].summary.hasPrefix("OpenBanking Ltd; keys: jwks_file /etc/credence/directory.jwks (1 key)"))
    }

    /// The registry built from the configuration verifies a statement signed with the file's key.
    @Test func theRegistryIsBuiltFromTheConfiguration() throws {
        let configuration = try parse(
            """
            registration:
              trusted_issuers:
                - issuer: https://directory.example
                  jwks_file: /etc/credence/directory.jwks
            """
        )
        let registry = try TrustRegistry(configuration: configuration, remoteKeys: nil)
        #expect(registry.clockSkewSeconds == 60)
        let now = Date(timeIntervalSince1970: 1_893_456_000)
        let claims = try JWTClaims(
            issuer: "https://directory.example",
            issuedAt: 1_893_455_990,
            jwtID: "ssa-1",
            other: ["software_id": "software-42"]
        )
        let statement = try JWSSigner(key: Self.directoryKey, algorithm: .es256, keyID: "dir-1").sign(claims: claims)
        #expect(try registry.verify(statement, now: now).softwareID == "software-42")
    }

    @Test(arguments: [
        // (section, expected problem key)
        ("registration: {policy: {uniqueness: one}}", "registration.policy.uniqueness"),
        ("registration: {policy: {initial_access_token: maybe}}", "registration.policy.initial_access_token"),
        (
            "registration: {policy: {initial_access_token_scope: \"two scopes\"}}",
            "registration.policy.initial_access_token_scope"
        ),
        (
            "registration: {policy: {allowed_grant_types: [authorization_code]}}",
            "registration.policy.allowed_grant_types"
        ),
        (
            "registration: {policy: {allowed_authentication_methods: [none]}}",
            "registration.policy.allowed_authentication_methods"
        ),
        ("registration: {policy: {scopes_by_role: {AISP: accounts}}}", "registration.policy.scopes_by_role.AISP"),
        (
            "registration: {policy: {certificate_subject_binding: {XYZ: \"{software_id}\"}}}",
            "registration.policy.certificate_subject_binding.XYZ"
        ),
        (
            "registration: {policy: {certificate_subject_binding: {CN: \"{software_id\"}}}",
            "registration.policy.certificate_subject_binding.CN"
        ),
        (
            "registration: {policy: {force_certificate_bound_tokens: yes}}",
            "registration.policy.force_certificate_bound_tokens"
        ),
        ("registration: {policy: {colour: blue}}", "registration.policy.colour"),
        ("registration: {trusted: []}", "registration.trusted"),
        ("registration: {trusted_issuers: {issuer: x}}", "registration.trusted_issuers"),
    ])
    func aBadPolicyOrSectionIsNamedByItsKey(_ section: String, _ key: String) {
        #expect(problems(section).map(\.key).contains(key), "\(problems(section))")
    }

    static func entry(_ lines: String, issuer: String = "https://directory.example") -> String {
        """
        registration:
          trusted_issuers:
            - issuer: https://first.example
              jwks_file: /etc/credence/directory.jwks
            - issuer: \(issuer)
        \(lines.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n"))
        """
    }

    @Test(arguments: [
        ("jwks_file: /etc/credence/missing.jwks", "jwks_file"),
        ("jwks_file: /etc/credence/private.jwks", "jwks_file"),
        ("jwks_file: /etc/credence/empty.jwks", "jwks_file"),
        ("jwks_file: /etc/credence/no-kid.jwks", "jwks_file"),
        ("jwks_uri: http://keys.directory.example/k.jwks", "jwks_uri"),
        ("jwks_uri: https://keys.directory.example/k.jwks", "jwks_uri"),
        (
            "jwks_file: /etc/credence/directory.jwks\nrevoked_keys_uri: https://elsewhere.example/r.jwks",
            "revoked_keys_uri"
        ),
        ("ca_file: /etc/credence/not-a-ca.pem\nstatement_signers: [CN=x]", "ca_file"),
        ("ca_file: /etc/credence/directory-ca.pem", "ca_file"),
        ("jwks_file: /etc/credence/directory.jwks\nstatement_signers: [CN=x]", "statement_signers"),
        ("ca_file: /etc/credence/directory-ca.pem\nstatement_signers: [\"sha256:abcd\"]", "statement_signers[0]"),
        ("ca_file: /etc/credence/directory-ca.pem\nstatement_signers: [\"NotADN\"]", "statement_signers[0]"),
        ("ca_file: /etc/credence/directory-ca.pem\nstatement_signers: [\"\"]", "statement_signers[0]"),
        ("jwks_file: /etc/credence/directory.jwks\nalgorithms: [HS256]", "algorithms"),
        ("jwks_file: /etc/credence/directory.jwks\nalgorithms: [none]", "algorithms"),
        ("jwks_file: /etc/credence/directory.jwks\nalgorithms: []", "algorithms"),
        ("jwks_file: /etc/credence/directory.jwks\nmax_age_seconds: 0", "max_age_seconds"),
        (
            "jwks_file: /etc/credence/directory.jwks\nsoftware_jwks_hosts: [\"https://keys.example\"]",
            "software_jwks_hosts"
        ),
        ("jwks_file: /etc/credence/directory.jwks\npolicy: {uniqueness: one}", "policy.uniqueness"),
        ("jwks_file: /etc/credence/directory.jwks\njwks_files: /etc/credence/directory.jwks", "jwks_files"),
        (
            "jwks_file: /etc/credence/directory.jwks\npolicy: {certificate_subject_binding: {CN: \"{software_id}\"}}",
            "transport_ca_file"
        ),
        ("jwks_file: /etc/credence/directory.jwks\ntransport_ca_file: /etc/credence/missing.pem", "transport_ca_file"),
        ("jwks_file: /etc/credence/directory.jwks\ntransport_ca_file: /etc/credence/empty.jwks", "transport_ca_file"),
    ])
    func anEntrysProblemIsKeyedByItsIndexAndNamesItsIssuer(_ lines: String, _ key: String) {
        let found = problems(Self.entry(lines))
        let problem = found.first { $0.key == "registration.trusted_issuers[1].\(key)" }
        #expect(problem != nil, "\(found)")
        #expect(problem?.message.hasPrefix("[issuer https://directory.example] ") == true, "\(found)")
        #expect(!found.contains { $0.key.hasPrefix("registration.trusted_issuers[0]") })
    }

    @Test func anEntryWithoutAKeySourceOrIssuerIsAProblem() {
        #expect(problems(Self.entry("algorithms: [PS256]")).map(\.key).contains("registration.trusted_issuers[1]"))
        let withoutIssuer = """
            registration:
              trusted_issuers:
                - jwks_file: /etc/credence/directory.jwks
            """
        #expect(problems(withoutIssuer).map(\.key) == ["registration.trusted_issuers[0].issuer"])
    }

    @Test func anIssuerListedTwiceIsAProblem() {
        let found = problems(Self.entry("jwks_file: /etc/credence/directory.jwks", issuer: "https://first.example"))
        #expect(found.map(\.key) == ["registration.trusted_issuers[1].issuer"])
    }

    /// The certificate binding's CAs: `transport_ca_file`, else `ca_file`; a binding (here
    /// inherited from the global policy) with neither is refused for that issuer alone.
    @Test func aCertificateBindingNeedsTheIssuersTransportCAs() throws {
        let section = """
            registration:
              policy:
                certificate_subject_binding: {CN: "{software_id}", OU: "{org_id}"}
              trusted_issuers:
                - issuer: https://own-transport.example
                  jwks_file: /etc/credence/directory.jwks
                  transport_ca_file: /etc/credence/directory-ca.pem
                - issuer: https://by-ca-file.example
                  ca_file: /etc/credence/directory-ca.pem
                  statement_signers: [CN=SSA Signer]
                - issuer: https://no-transport.example
                  jwks_file: /etc/credence/directory.jwks
            """
        let found = problems(section)
        #expect(found.map(\.key) == ["registration.trusted_issuers[2].transport_ca_file"], "\(found)")
        #expect(found.first?.message.hasPrefix("[issuer https://no-transport.example] required:") == true)

        let configuration = try parse(section.components(separatedBy: "    - issuer: https://no-transport")[0])
        let issuers = configuration.registration.trustedIssuers
        try #require(issuers.count == 2)
        let ownAnchors = try #require(issuers[0].entry.transportCertificateAuthorities).trustAnchors
        #expect(
            ownAnchors.map(\.subject)
                == (try CertificateTrustStore(pemBundle: String(decoding: Self.directoryCA, as: UTF8.self)))
                .trustAnchors.map(\.subject)
        )
        #expect(issuers[0].entry.certificateAuthorities == nil)
        #expect(issuers[0].transportCAFile == "/etc/credence/directory-ca.pem")
        #expect(issuers[1].entry.transportCertificateAuthorities != nil)
        #expect(issuers[1].transportCAFile == nil)
        #expect(
            issuers[0].summary.contains(
                "client certificates bound to statements, chained to /etc/credence/directory-ca.pem"
            )
        )
        // Without a binding, no transport CA is needed.
        #expect(problems(Self.entry("jwks_file: /etc/credence/directory.jwks")).isEmpty)
    }

    /// An issuer's own URLs may sit on jwks_fetch.allowed_hosts or on its software_jwks_hosts.
    @Test func anIssuersJWKSURIHostMayBeOnEitherAllowlist() throws {
        let viaEntry = try parse(
            Self.entry("jwks_uri: https://keys.directory.example/k.jwks\nsoftware_jwks_hosts: [keys.directory.example]")
        )
        #expect(viaEntry.registration.trustedIssuers[1].entry.jwksURI == "https://keys.directory.example/k.jwks")
        let viaFetch = try parse(
            "jwks_fetch: {allowed_hosts: [keys.directory.example]}\n"
                + Self.entry("jwks_uri: https://keys.directory.example/k.jwks")
        )
        #expect(viaFetch.registration.trustedIssuers[1].entry.softwareJWKSHosts.isEmpty)
    }

    static func exampleFile() throws -> String {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../config/credence.example.yaml").standardized.path
        return try String(contentsOfFile: path, encoding: .utf8)
    }

    /// The fixture statement signer (digitalSignature, valid 2020–2040).
    static let ssaSigner: [UInt8] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../CredenceCoreTests/Fixtures/directory/ssa-signer.pem").standardized
        return (try? [UInt8](Data(contentsOf: url))) ?? []
    }()

    static func exampleFiles(_ path: String) -> [UInt8] {
        if path.hasSuffix("ssa-signer.pem") { return ssaSigner }
        if path.hasSuffix(".pem") { return directoryCA }
        if path.hasSuffix(".jwks") { return files["/etc/credence/directory.jwks"]! }
        return Array(repeating: 5, count: 32)
    }

    /// The example file states the defaults, and its commented example entry is valid.
    @Test func exampleFileStatesTheDefaultsAndItsExampleIssuerIsValid() throws {
        let text = try Self.exampleFile()
        let plain = try CredenceConfiguration.parse(yaml: text, environment: [:], readFile: Self.exampleFiles)
        #expect(plain.registration.policy == .default)
        #expect(plain.registration.trustedIssuers.isEmpty)

        // Uncomment the block between the markers, under trusted_issuers.
        var inside = false
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.contains("# >>> example trusted issuer") {
                inside = true
                continue
            }
            if line.contains("# <<< example trusted issuer") {
                inside = false
                continue
            }
            if inside, let range = line.range(of: "# ") {
                lines.append(line.replacingCharacters(in: range, with: ""))
            } else {
                lines.append(line == "  trusted_issuers: []" ? "  trusted_issuers:" : line)
            }
        }
        let uncommented = try CredenceConfiguration.parse(
            yaml: lines.joined(separator: "\n"),
            environment: [:],
            readFile: Self.exampleFiles
        )
        let issuers = uncommented.registration.trustedIssuers
        try #require(issuers.count == 1)
        let entry = issuers[0].entry
        #expect(entry.issuer == "OpenBanking Ltd")
        #expect(entry.jwksURI == "https://keystore.openbanking.org.uk/keystore/openbanking.jwks")
        #expect(entry.statementSigners.count == 1)
        #expect(entry.signerCertificates.map(\.keyID) == ["ob-ssa-1"])
        #expect(entry.requiredClaims.contains("org_id"))
        #expect(entry.algorithms == TrustedIssuer.defaultAlgorithms)
        #expect(entry.maximumAgeSeconds == TrustedIssuer.defaultMaximumAgeSeconds)
        #expect(entry.policy.initialAccessToken == .none)
        #expect(entry.policy.certificateSubjectBinding == ["CN": "{software_id}", "OU": "{org_id}"])
        #expect(entry.policy.uniqueness == .perSoftwareID)
    }
}
