import CredenceCore
import Foundation
import OpenSSLCrypto
import Testing

/// Issue 6 item 2: a presented certificate offers its subject only after a chain check, and
/// an empty DN never identifies anyone.
@Suite struct PresentedClientCertificateTests {
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    @Test func theSubjectIsReachableOnlyThroughAVerifiedChain() throws {
        let presented = try TestPKI.presented("leaf-client")
        let verified = try presented.verified(by: TestPKI.trustStore(), at: now).get()
        let registered = try DistinguishedName(rfc4514: TestPKI.leafClientSubjectDN())
        #expect(verified.matches(subjectDN: registered))
        // The same certificate against a trust store without its CA: no subject to match.
        let unrelated = try CertificateTrustStore(trustAnchors: [TestPKI.certificate("untrusted-root-ca")])
        #expect(throws: CertificateVerificationError.self) { try presented.verified(by: unrelated, at: now).get() }
    }

    @Test func anEmptyRegisteredDNNeverMatches() throws {
        let verified = try TestPKI.presented("leaf-client").verified(by: TestPKI.trustStore(), at: now).get()
        #expect(!verified.matches(subjectDN: DistinguishedName([])))
    }

    @Test func anExpiredChainIsNotVerified() throws {
        let presented = try TestPKI.presented("leaf-client")
        let farFuture = Date(timeIntervalSince1970: 4_000_000_000)
        #expect(throws: CertificateVerificationError.self) {
            try presented.verified(by: TestPKI.trustStore(), at: farFuture).get()
        }
    }
}
