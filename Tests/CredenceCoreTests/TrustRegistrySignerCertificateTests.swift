import CredenceCore
import CredenceJOSE
import CredenceJSON
import CredenceTesting
import Foundation
import OpenSSLCrypto
import Testing

/// An issuer trusted by its signing certificate itself (`signer_certificates`), as the seed's
/// operator holds it: statements name the certificate's key by `kid`, and the certificate must
/// be valid and allow digitalSignature when each statement is verified, not only at load.
@Suite struct TrustRegistrySignerCertificateTests {
    /// The fixture signer (RSA 2048, digitalSignature, valid 2020-01-01 .. 2040-01-01).
    static func signer(kid: String? = nil) throws -> TrustedIssuer.SignerCertificate {
        try TrustedIssuer.SignerCertificate(certificate: DirectoryPKI.certificate("ssa-signer"), keyID: kid)
    }

    static func registry(_ signers: [TrustedIssuer.SignerCertificate]) throws -> TrustRegistry {
        try Directory.registry([
            TrustedIssuer(
                issuer: Directory.issuer,
                signerCertificates: signers,
                softwareJWKSHosts: JWKSHostAllowlist([Directory.keystoreHost])!
            )
        ])
    }

    /// A statement signed by the fixture signer's key at `now`, naming `kid`.
    static func statement(at now: Date, kid: String?, key: PrivateKey? = nil) throws -> String {
        let seconds = Int64(now.timeIntervalSince1970)
        return try Directory.sign(
            Directory.claims(["iat": JSONValue(seconds - 60), "exp": JSONValue(seconds + 600)]),
            key: key ?? DirectoryPKI.key("ssa-signer"),
            kid: kid
        )
    }

    @Test func theKidIsTheThumbprintOfTheCertificatesKeyUnlessGiven() throws {
        let key = try DirectoryPKI.key("ssa-signer")
        let thumbprint = JWK(publicKey: key.publicKey, keyID: nil).thumbprintBase64URL()
        #expect(try Self.signer().keyID == thumbprint)
        #expect(try Self.signer(kid: "dir-signer-1").keyID == "dir-signer-1")
        #expect(try Self.signer().key.publicKey.subjectPublicKeyInfoDER() == key.publicKey.subjectPublicKeyInfoDER())
    }

    @Test func aStatementNamingTheCertificatesKeyIsAccepted() throws {
        let signer = try Self.signer()
        let registry = try Self.registry([signer])
        let verified = try registry.verify(
            Self.statement(at: Directory.now, kid: signer.keyID),
            now: Directory.now
        )
        #expect(verified.softwareID == "software-42")
        // With a configured kid, the statement names that one; the thumbprint then names nothing.
        let named = try Self.registry([Self.signer(kid: "dir-signer-1")])
        #expect(
            try named.verify(Self.statement(at: Directory.now, kid: "dir-signer-1"), now: Directory.now).softwareID
                == "software-42"
        )
        expectRefusal("invalid_software_statement", .statementKey) {
            _ = try named.verify(Self.statement(at: Directory.now, kid: signer.keyID), now: Directory.now)
        }
    }

    /// The certificate was valid when the configuration was loaded; a statement verified after
    /// it expired is refused, however well signed.
    @Test func aStatementVerifiedAfterTheCertificateExpiredIsRefused() throws {
        let signer = try Self.signer()
        let registry = try Self.registry([signer])
        let afterExpiry = signer.certificate.notValidAfter.addingTimeInterval(1)
        expectRefusal("invalid_software_statement", .signerCertificate) {
            _ = try registry.verify(Self.statement(at: afterExpiry, kid: signer.keyID), now: afterExpiry)
        }
        // The last second of the validity period is still inside it (RFC 5280 §4.1.2.5).
        let lastSecond = signer.certificate.notValidAfter
        #expect(
            try registry.verify(Self.statement(at: lastSecond, kid: signer.keyID), now: lastSecond).softwareID
                == "software-42"
        )
    }

    @Test func aStatementVerifiedBeforeTheCertificateIsValidIsRefused() throws {
        let signer = try Self.signer()
        let registry = try Self.registry([signer])
        let before = signer.certificate.notValidBefore.addingTimeInterval(-1)
        expectRefusal("invalid_software_statement", .signerCertificate) {
            _ = try registry.verify(Self.statement(at: before, kid: signer.keyID), now: before)
        }
    }

    /// A certificate whose keyUsage lacks digitalSignature (here a CA's: keyCertSign, cRLSign)
    /// never vouches for a statement, whatever key signed it.
    @Test func aCertificateWithoutDigitalSignatureIsRefused() throws {
        let ca = try TrustedIssuer.SignerCertificate(certificate: DirectoryPKI.certificate("directory-ca"), keyID: "ca")
        #expect(!ca.certificate.allowsDigitalSignature)
        #expect(ca.problem(at: Directory.now) != nil)
        let registry = try Self.registry([ca])
        expectRefusal("invalid_software_statement", .signerCertificate) {
            _ = try registry.verify(Self.statement(at: Directory.now, kid: "ca"), now: Directory.now)
        }
    }

    @Test func anotherKeyUnderTheCertificatesKidDoesNotVerify() throws {
        let signer = try Self.signer()
        let registry = try Self.registry([signer])
        let statement = try Self.statement(at: Directory.now, kid: signer.keyID, key: DirectoryPKI.key("other-signer"))
        expectRefusal("invalid_software_statement", .statementSignature) {
            _ = try registry.verify(statement, now: Directory.now)
        }
    }

    /// Certificates and a JWK Set together: each statement's kid picks its key from either.
    @Test func signerCertificatesAndAJWKSetTogether() throws {
        let signer = try Self.signer()
        let registry = try Directory.registry([
            TrustedIssuer(
                issuer: Directory.issuer,
                keys: Directory.keySet(),
                signerCertificates: [signer],
                softwareJWKSHosts: JWKSHostAllowlist([Directory.keystoreHost])!
            )
        ])
        #expect(
            try registry.verify(Self.statement(at: Directory.now, kid: signer.keyID), now: Directory.now).softwareID
                == "software-42"
        )
        #expect(try registry.verify(Directory.statement(), now: Directory.now).softwareID == "software-42")
    }
}
