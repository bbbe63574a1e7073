import Foundation
import Testing

@testable import OpenSSLCrypto

@Suite("X.509 certificate parsing")
struct X509CertificateTests {
    @Test func pemAndDERGiveTheSameCertificate() throws {
        let fromPEM = try X509Fixtures.certificate("leaf-client")
        let der = try X509Fixtures.bytes("leaf-client.der")
        let fromDER = try Certificate(derEncoded: der)
        #expect(fromPEM == fromDER)
        #expect(fromPEM.derEncoded == der)
        #expect(Set([fromPEM, fromDER]).count == 1)
    }

    @Test func thumbprintEqualsOpenSSLDigestOfTheDER() throws {
        // make-fixtures.sh: openssl x509 -outform DER | openssl dgst -sha256 -binary
        let expected = try X509Fixtures.line("leaf-client.sha256.hex")
        let leaf = try X509Fixtures.certificate("leaf-client")
        #expect(leaf.sha256Thumbprint.count == 32)
        #expect(X509Fixtures.hex(leaf.sha256Thumbprint) == expected)
    }

    @Test func fieldsMatchWhatOpenSSLPrints() throws {
        let leaf = try X509Fixtures.certificate("leaf-client")
        #expect(leaf.serialNumber == (try X509Fixtures.line("leaf-client.serial.txt")))
        #expect(leaf.subject.rfc4514String == (try X509Fixtures.line("leaf-client.subject-rfc2253.txt")))
        #expect(leaf.issuer.rfc4514String == (try X509Fixtures.line("leaf-client.issuer-rfc2253.txt")))
        #expect(leaf.notValidBefore == Date(timeIntervalSince1970: 1_577_836_800))  // 2020-01-01
        #expect(leaf.notValidAfter == Date(timeIntervalSince1970: 2_208_988_800))  // 2040-01-01
        #expect(leaf.subjectPublicKeyInfoDER == (try X509Fixtures.bytes("leaf-client.spki.der")))
        let selfSigned = try X509Fixtures.certificate("self-signed-leaf")
        #expect(selfSigned.subjectPublicKeyInfoDER == (try X509Fixtures.bytes("self-signed-leaf.spki.der")))
    }

    @Test func expiredAndFutureValidityPeriods() throws {
        let expired = try X509Fixtures.certificate("expired-leaf")
        #expect(expired.notValidAfter == Date(timeIntervalSince1970: 1_609_459_200))  // 2021-01-01
        let future = try X509Fixtures.certificate("not-yet-valid-leaf")
        #expect(future.notValidBefore == Date(timeIntervalSince1970: 2_051_222_400))  // 2035-01-01
    }

    @Test func subjectAlternativeNamesOfEveryKind() throws {
        let leaf = try X509Fixtures.certificate("leaf-client")
        #expect(
            leaf.subjectAlternativeNames == [
                .dnsName("client.tpp.example.com"),
                .dnsName("*.api.tpp.example.com"),
                .uniformResourceIdentifier("https://tpp.example.com/software/42"),
                .ipAddress("192.0.2.10"),
                .ipAddress("2001:db8::1:0:0:1"),  // RFC 5952 §4.2.3: first of equal runs
                .ipAddress("2001:db8::1"),
                .emailAddress("ops@tpp.example.com"),
                .other,  // otherName (UPN)
                .other,  // registeredID
            ]
        )
        #expect(try X509Fixtures.certificate("root-ca").subjectAlternativeNames.isEmpty)
    }

    @Test(arguments: [
        ("root-ca", true, true),
        ("intermediate-ca", true, false),
        ("sub-intermediate-ca", true, false),
        ("non-ca-intermediate", false, false),
        ("leaf-client", false, false),
        ("self-signed-leaf", false, true),
        ("untrusted-root-ca", true, true),
    ])
    func basicConstraintsAndSelfIssued(name: String, isCA: Bool, isSelfIssued: Bool) throws {
        let certificate = try X509Fixtures.certificate(name)
        #expect(certificate.isCA == isCA)
        #expect(certificate.isSelfIssued == isSelfIssued)
    }

    @Test func bundleKeepsOrderAndIgnoresComments() throws {
        let root = try X509Fixtures.text("root-ca.pem")
        let intermediate = try X509Fixtures.text("intermediate-ca.pem")
        let bundle = "# Credence test bundle\nsubject=CN=Root\n" + root + "\n# next\r\n" + intermediate
        let certificates = try Certificate.parsePEMBundle(bundle)
        #expect(certificates == [try Certificate(pemEncoded: root), try Certificate(pemEncoded: intermediate)])
    }

    @Test func bundleRefusesKeysAndEmptiness() throws {
        let root = try X509Fixtures.text("root-ca.pem")
        let key = try X509Fixtures.text("leaf-client.key")
        #expect(X509Fixtures.code { _ = try Certificate.parsePEMBundle(root + key) } == .unexpectedPEMLabel)
        #expect(X509Fixtures.code { _ = try Certificate.parsePEMBundle("# nothing here\n") } == .noCertificates)
        #expect(X509Fixtures.code { _ = try Certificate.parsePEMBundle("") } == .noCertificates)
    }

    @Test func singlePEMIsStrict() throws {
        let root = try X509Fixtures.text("root-ca.pem")
        let intermediate = try X509Fixtures.text("intermediate-ca.pem")
        #expect(X509Fixtures.code { _ = try Certificate(pemEncoded: root + intermediate) } == .multipleCertificates)
        #expect(X509Fixtures.code { _ = try Certificate(pemEncoded: "comment\n" + root) } == .notPEM)
        #expect(X509Fixtures.code { _ = try Certificate(pemEncoded: "") } == .empty)
        #expect(X509Fixtures.code { _ = try Certificate(pemEncoded: "\n\n" + root + "\n\n") } == nil)
    }

    /// DER that is not exactly one canonical certificate.
    enum BrokenDER: String, CaseIterable, Sendable {
        case empty, trailingByte, truncated, garbage, nonMinimalLength, wrongOuterTag, tooLarge

        func bytes(from der: [UInt8]) -> [UInt8] {
            switch self {
            case .empty: return []
            case .trailingByte: return der + [0x00]
            case .truncated: return Array(der.dropLast(10))
            case .garbage: return Array("not a certificate at all".utf8)
            case .nonMinimalLength:
                // 30 82 LL LL -> 30 83 00 LL LL: valid BER, not DER.
                guard der.count > 4, der[0] == 0x30, der[1] == 0x82 else { return [] }
                return [0x30, 0x83, 0x00] + der[2...]
            case .wrongOuterTag: return [0x31] + der.dropFirst()
            case .tooLarge: return der + [UInt8](repeating: 0, count: Certificate.maximumDERLength)
            }
        }

        var expected: CertificateError.Code {
            switch self {
            case .empty: return .empty
            case .tooLarge: return .tooLarge
            default: return .malformedDER
            }
        }
    }

    @Test(arguments: BrokenDER.allCases)
    func brokenDERIsRefused(_ broken: BrokenDER) throws {
        let der = try X509Fixtures.bytes("leaf-client.der")
        #expect(X509Fixtures.code { _ = try Certificate(derEncoded: broken.bytes(from: der)) } == broken.expected)
        #expect(OpenSSLErrorQueue.isEmpty)
    }

    @Test(arguments: [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("2001:0db8::0001", "2001:db8::1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),  // §4.2.2: one zero group stays
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),  // §4.2.3: the longest run
        ("::", "::"),
        ("::1", "::1"),
        ("1::", "1::"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),  // §5
    ])
    func ipAddressesAreCanonical(input: String, canonical: String) {
        #expect(GeneralName.canonicalIPAddress(input) == canonical)
    }

    @Test(arguments: ["", "abc", "1.2.3", "2001:db8::1::2", " 192.0.2.1", "192.0.2.1 ", "1:2:3:4:5:6:7:8:9"])
    func notIPAddresses(input: String) {
        #expect(GeneralName.canonicalIPAddress(input) == nil)
        #expect(OpenSSLErrorQueue.isEmpty)
    }

    @Test(
        arguments: [
            ("TWFu", [0x4D, 0x61, 0x6E]), ("TWE=", [0x4D, 0x61]), ("TQ==", [0x4D]),
        ] as [(String, [UInt8])]
    )
    func base64Decodes(text: String, bytes: [UInt8]) {
        #expect(X509PEM.Base64.decode(Array(text.utf8)) == bytes)
    }

    @Test(arguments: ["", "TWF", "TW=u", "T===", "TR==", "TWF=TWFu", "TW-u", "TW u"])
    func base64IsStrict(text: String) {
        // "TR==": non-zero pad bits; "TWF=TWFu": padding before the end.
        #expect(X509PEM.Base64.decode(Array(text.utf8)) == nil)
    }
}
