import CredenceCore
import CredenceJOSE
import CredenceServer
import Foundation
import OpenSSLCrypto
import OpenSSLToolSupport
import Testing

/// Signing certificates made by `openssl ca` at test time (nothing committed), with the
/// validity periods a test needs: valid now, expired, not yet valid; without digitalSignature;
/// with an RSA 1024 key.
final class SignerCertificateFiles: Sendable {
    let directory: String

    static let shared: SignerCertificateFiles? = try? SignerCertificateFiles()

    private init() throws {
        directory = "/tmp/credence-signer-certs-\(getpid())"
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: "\(directory)/new", withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(atPath: "/tmp/credence-signer-certs-\(getpid())") }
        try "".write(toFile: "\(directory)/index.txt", atomically: true, encoding: .utf8)
        try "01\n".write(toFile: "\(directory)/serial", atomically: true, encoding: .utf8)
        try """
        [ ca ]
        default_ca = signer_ca
        [ signer_ca ]
        dir = \(directory)
        database = \(directory)/index.txt
        new_certs_dir = \(directory)/new
        serial = \(directory)/serial
        default_md = sha256
        policy = anything
        unique_subject = no
        [ anything ]
        commonName = optional
        [ signing ]
        keyUsage = critical, digitalSignature
        [ encipherment ]
        keyUsage = critical, keyEncipherment
        """.write(toFile: "\(directory)/ca.cnf", atomically: true, encoding: .utf8)
        try openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path("signer.key"))
        try openssl("genrsa", "-out", path("weak.key"), "1024")
        let year = Calendar(identifier: .gregorian).component(.year, from: Date()) % 100
        try certificate("valid", start: "\(year - 1)0101000000Z", end: "\(year + 2)0101000000Z")
        try certificate("expired", start: "200101000000Z", end: "210101000000Z")
        try certificate("future", start: "\(year + 5)0101000000Z", end: "\(year + 6)0101000000Z")
        try certificate(
            "encipherment",
            start: "\(year - 1)0101000000Z",
            end: "\(year + 2)0101000000Z",
            extensions: "encipherment"
        )
        try certificate("weak", start: "\(year - 1)0101000000Z", end: "\(year + 2)0101000000Z", key: "weak.key")
        try openssl("x509", "-in", path("valid.pem"), "-outform", "DER", "-out", path("valid.der"))
    }

    func path(_ name: String) -> String { "\(directory)/\(name)" }

    func bytes(_ name: String) -> [UInt8]? { try? Array(Data(contentsOf: URL(fileURLWithPath: path(name)))) }

    /// A self-signed certificate NAME.pem from `openssl ca -selfsign` with the given UTCTime dates.
    private func certificate(
        _ name: String,
        start: String,
        end: String,
        extensions: String = "signing",
        key: String = "signer.key"
    ) throws {
        try openssl("req", "-new", "-key", path(key), "-subj", "/CN=Signer \(name)", "-out", path("\(name).csr"))
        try openssl(
            "ca",
            "-batch",
            "-selfsign",
            "-config",
            path("ca.cnf"),
            "-keyfile",
            path(key),
            "-in",
            path("\(name).csr"),
            "-startdate",
            start,
            "-enddate",
            end,
            "-extensions",
            extensions,
            "-notext",
            "-out",
            path("\(name).pem")
        )
    }

    private func openssl(_ arguments: String...) throws {
        try OpenSSLTool.run(arguments)
    }
}

/// `signer_certificates` of a trusted issuer: the key comes from the certificate, an unsuitable
/// certificate is a configuration problem that names the issuer, the file and the reason, and
/// one outside its validity period is a warning naming the same (its statements are refused).
@Suite struct SignerCertificateConfigurationTests {
    static func certificates() throws -> SignerCertificateFiles {
        try #require(SignerCertificateFiles.shared, "openssl could not make the certificates")
    }

    func parse(_ entry: String) throws -> CredenceConfiguration {
        let files = try Self.certificates()
        let yaml =
            ConfigurationTests.minimal + "\n"
                + """
                registration:
                  trusted_issuers:
                    - issuer: Seed Directory
                """ + "\n" + entry.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n")
        return try CredenceConfiguration.parse(
            yaml: yaml,
            environment: [:],
            readFile: { path in
                path.hasPrefix("/certs/")
                    ? files.bytes(String(path.dropFirst(7))) : RegistrationConfigurationTests.files[path]
            }
        )
    }

    func problems(_ entry: String) throws -> [ConfigurationProblem] {
        do {
            _ = try parse(entry)
            return []
        } catch let error as ConfigurationError {
            return error.problems
        }
    }

    @Test func theKeyIsTakenFromTheCertificateWithTheThumbprintAsKid() throws {
        let issuers = try parse("signer_certificates: [/certs/valid.pem, {file: /certs/valid.der, kid: seed-1}]")
            .registration.trustedIssuers
        let entry = try #require(issuers.first)
        #expect(entry.signerCertificateFiles == ["/certs/valid.pem", "/certs/valid.der"])
        let signers = entry.entry.signerCertificates
        try #require(signers.count == 2)
        let key = try KeyFile(Self.certificates().bytes("signer.key")!, password: { nil })
        #expect(signers[0].keyID == JWK(publicKey: key.publicKey, keyID: nil).thumbprintBase64URL())
        #expect(signers[1].keyID == "seed-1")
        #expect(try signers[0].key.publicKey.subjectPublicKeyInfoDER() == key.publicKey.subjectPublicKeyInfoDER())
        #expect(entry.summary.contains("signer certificate /certs/valid.pem (kid \(signers[0].keyID)"))
        // The registry built from it verifies a statement signed with the certificate's key.
        let registry = try TrustRegistry(
            configuration: parse("signer_certificates: [/certs/valid.pem]"),
            remoteKeys: nil
        )
        let claims = try JWTClaims(
            issuer: "Seed Directory",
            issuedAt: Int64(Date().timeIntervalSince1970),
            jwtID: "ssa-1",
            other: ["software_id": "software-1"]
        )
        let statement = try JWSSigner(key: #require(key.privateKey), algorithm: .ps256, keyID: signers[0].keyID)
            .sign(claims: claims)
        #expect(try registry.verify(statement, now: Date()).softwareID == "software-1")
    }

    @Test(arguments: [
        ("signer_certificates: [/certs/encipherment.pem]", "digitalSignature"),
        ("signer_certificates: [/certs/weak.pem]", "RSA key of 1024 bits"),
        ("signer_certificates: [/certs/signer.key]", "not a certificate"),
        ("signer_certificates: [/certs/missing.pem]", "cannot read"),
    ])
    func anUnusableCertificateIsAProblemNamingTheIssuerAndTheFile(entry: String, reason: String) throws {
        let found = try problems(entry)
        try #require(found.count == 1, "\(found)")
        #expect(found[0].key == "registration.trusted_issuers[0].signer_certificates[0]")
        #expect(found[0].message.hasPrefix("[issuer Seed Directory] "))
        #expect(found[0].message.contains("/certs/"))
        #expect(found[0].message.contains(reason), "\(found[0].message)")
    }

    /// A directory's signer that expired must not keep the server (and its token endpoint) from
    /// starting: the certificate loads, `serve` warns, statements are refused (`check-config`
    /// refuses an expired one and warns of one not yet valid).
    @Test(arguments: [
        (
            "signer_certificates: [/certs/valid.pem, {file: /certs/expired.pem, kid: old}]", "/certs/expired.pem",
            "expired at", true
        ),
        (
            "signer_certificates: [/certs/valid.pem, {file: /certs/future.pem, kid: next}]", "/certs/future.pem",
            "not valid before", false
        ),
    ])
    func aCertificateOutsideItsValidityIsANotice(entry: String, file: String, reason: String, expired: Bool) throws {
        #expect(try problems(entry).isEmpty)
        let configuration = try parse(entry)
        #expect(configuration.registration.trustedIssuers.first?.entry.signerCertificates.count == 2)
        let notices = configuration.signerCertificateNotices(at: Date())
        try #require(notices.count == 1, "\(notices)")
        #expect(
            notices[0].message.hasPrefix(
                "registration.trusted_issuers[0].signer_certificates[1]: [issuer Seed Directory] "
            )
        )
        #expect(notices[0].message.contains(file))
        #expect(notices[0].message.contains(reason), "\(notices[0].message)")
        #expect(notices[0].hasExpired == expired)
        #expect(try parse("signer_certificates: [/certs/valid.pem]").signerCertificateNotices(at: Date()).isEmpty)
    }

    @Test(arguments: [
        ("signer_certificates: []", "registration.trusted_issuers[0].signer_certificates"),
        ("signer_certificates: [{kid: x}]", "registration.trusted_issuers[0].signer_certificates[0].file"),
        (
            "signer_certificates: [{file: /certs/valid.pem, kid: \"\"}]",
            "registration.trusted_issuers[0].signer_certificates[0].kid"
        ),
        (
            "signer_certificates: [{file: /certs/valid.pem, colour: red}]",
            "registration.trusted_issuers[0].signer_certificates[0].colour"
        ),
        (
            "signer_certificates: [{file: /certs/valid.pem, kid: a}, {file: /certs/valid.der, kid: a}]",
            "registration.trusted_issuers[0].signer_certificates[1]"
        ),
        (
            "signer_certificates: [{file: /certs/valid.pem, kid: dir-1}]\njwks_file: /etc/credence/directory.jwks",
            "registration.trusted_issuers[0].signer_certificates"
        ),
    ])
    func malformedEntriesAreProblemsAtTheirKey(entry: String, key: String) throws {
        _ = try Self.certificates()
        let found = try problems(entry)
        #expect(found.map(\.key).contains(key), "\(found)")
    }
}
