import Foundation
import Synchronization
import Testing

@testable import OpenSSLCrypto

@Suite("X.509 chain verification")
struct X509TrustStoreTests {
    /// One verification against the test root, and what it must give.
    enum Case: String, CaseIterable, Sendable {
        case clientLeaf, clientLeafForSigning, ssaSigning, ssaSigningAsClient, serverOnlyForAny,
            expired, notYetValid, leafUnderNonCA, beyondPathLength, missingIntermediate,
            untrustedRootNotSupplied, untrustedRootSupplied, selfSignedLeaf, serverOnlyAsClient,
            keyAgreementOnlyAsClient, keyAgreementOnlyForAny, weakKey, badSignature, rootAsLeaf,
            intermediateAsClient, revokedWithoutCRLs

        var leaf: String {
            switch self {
            case .clientLeaf, .clientLeafForSigning, .missingIntermediate, .badSignature: return "leaf-client"
            case .ssaSigning, .ssaSigningAsClient: return "ssa-signing"
            case .serverOnlyForAny, .serverOnlyAsClient: return "server-only-leaf"
            case .expired: return "expired-leaf"
            case .notYetValid: return "not-yet-valid-leaf"
            case .leafUnderNonCA: return "leaf-under-non-ca"
            case .beyondPathLength: return "leaf-too-deep"
            case .untrustedRootNotSupplied, .untrustedRootSupplied: return "untrusted-leaf"
            case .selfSignedLeaf: return "self-signed-leaf"
            case .keyAgreementOnlyAsClient, .keyAgreementOnlyForAny: return "key-agreement-leaf"
            case .weakKey: return "weak-key-leaf"
            case .rootAsLeaf: return "root-ca"
            case .intermediateAsClient: return "intermediate-ca"
            case .revokedWithoutCRLs: return "revoked-leaf"
            }
        }

        var intermediates: [String] {
            switch self {
            case .missingIntermediate, .untrustedRootNotSupplied, .selfSignedLeaf, .rootAsLeaf,
                .intermediateAsClient:
                return []
            case .leafUnderNonCA: return ["intermediate-ca", "non-ca-intermediate"]
            case .beyondPathLength: return ["too-deep-ca", "sub-intermediate-ca", "intermediate-ca"]
            case .untrustedRootSupplied: return ["untrusted-root-ca"]
            default: return ["intermediate-ca"]
            }
        }

        var purpose: CertificatePurpose {
            switch self {
            case .clientLeafForSigning, .ssaSigning: return .signing
            case .serverOnlyForAny, .keyAgreementOnlyForAny: return .any
            default: return .tlsClient
            }
        }

        /// nil: must verify.
        var expected: CertificateVerificationError.Code? {
            switch self {
            case .clientLeaf, .clientLeafForSigning, .ssaSigning, .ssaSigningAsClient, .serverOnlyForAny,
                .keyAgreementOnlyForAny, .revokedWithoutCRLs:
                return nil
            case .expired: return .expired
            case .notYetValid: return .notYetValid
            case .leafUnderNonCA: return .invalidCA
            case .beyondPathLength: return .chainTooLong
            case .missingIntermediate, .untrustedRootNotSupplied: return .unableToGetIssuer
            case .untrustedRootSupplied: return .untrustedRoot
            case .selfSignedLeaf: return .selfSignedLeafNotTrusted
            case .serverOnlyAsClient, .keyAgreementOnlyAsClient, .intermediateAsClient: return .purposeMismatch
            case .weakKey: return .weakKeyOrAlgorithm
            case .badSignature: return .signatureFailure
            case .rootAsLeaf: return .leafIsTrustAnchor
            }
        }

        func leafCertificate() throws -> Certificate {
            let certificate = try X509Fixtures.certificate(leaf)
            guard self == .badSignature else { return certificate }
            // Flip the last byte of the ECDSA signature: the DER stays valid.
            var der = certificate.derEncoded
            der[der.count - 1] ^= 0x01
            return try Certificate(derEncoded: der)
        }

        func intermediateCertificates() throws -> [Certificate] {
            try intermediates.map(X509Fixtures.certificate)
        }
    }

    @Test(arguments: Case.allCases)
    func verification(_ testCase: Case) throws {
        let store = try X509Fixtures.trustStore()
        let result = store.verify(
            leaf: try testCase.leafCertificate(),
            intermediates: try testCase.intermediateCertificates(),
            at: X509Fixtures.validationTime,
            purpose: testCase.purpose
        )
        switch result {
        case .success(let chain):
            #expect(testCase.expected == nil, "verified, expected \(String(describing: testCase.expected))")
            #expect(chain.first == (try testCase.leafCertificate()))
            #expect(chain.last == (try X509Fixtures.certificate("root-ca")))
        case .failure(let error):
            #expect(error.code == testCase.expected, "\(error.debugDescription)")
        }
        #expect(OpenSSLErrorQueue.isEmpty)
    }

    /// `X509_V_FLAG_X509_STRICT`: a CA whose basicConstraints is not critical (RFC 5280
    /// §4.2.1.9) does not issue; OpenSSL's default verification accepts it (the fixture script
    /// checks both with `openssl verify`). From `Fixtures/x509/hardening/`.
    @Test func strictModeRefusesANonConformingCA() throws {
        let store = try CertificateTrustStore(pemBundle: X509Fixtures.text("hardening/root-ca.pem"))
        for purpose in [CertificatePurpose.tlsClient, .signing, .any] {
            let lax = store.verify(
                leaf: try X509Fixtures.certificate("hardening/leaf-under-lax"),
                intermediates: [try X509Fixtures.certificate("hardening/lax-intermediate-ca")],
                at: X509Fixtures.validationTime,
                purpose: purpose
            )
            guard case .failure(let error) = lax else {
                Issue.record("a chain through a CA with non-critical basicConstraints verified")
                continue
            }
            #expect(error.code == .nonConformingCertificate, "\(error.debugDescription)")
            // The control: the same shape with a conforming CA verifies.
            let control = store.verify(
                leaf: try X509Fixtures.certificate("hardening/control-leaf"),
                intermediates: [try X509Fixtures.certificate("hardening/intermediate-ca")],
                at: X509Fixtures.validationTime,
                purpose: purpose
            )
            #expect(throws: Never.self) { try control.get() }
        }
        #expect(OpenSSLErrorQueue.isEmpty)
    }

    @Test func verifiedChainRunsLeafToRoot() throws {
        let chain = try X509Fixtures.trustStore().verify(
            leaf: X509Fixtures.certificate("leaf-client"),
            intermediates: [X509Fixtures.certificate("intermediate-ca")],
            at: X509Fixtures.validationTime,
            purpose: .tlsClient
        ).get()
        #expect(
            chain == [
                try X509Fixtures.certificate("leaf-client"), try X509Fixtures.certificate("intermediate-ca"),
                try X509Fixtures.certificate("root-ca"),
            ]
        )
    }

    @Test func failuresCarryOpenSSLCodeAndDepth() throws {
        let store = try X509Fixtures.trustStore()
        let expired = store.verify(
            leaf: try X509Fixtures.certificate("expired-leaf"),
            intermediates: [try X509Fixtures.certificate("intermediate-ca")],
            at: X509Fixtures.validationTime,
            purpose: .tlsClient
        )
        guard case .failure(let error) = expired else {
            Issue.record("expired leaf verified")
            return
        }
        #expect(error.openSSLCode == 10)  // X509_V_ERR_CERT_HAS_EXPIRED
        #expect(error.depth == 0)
        let nonCA = store.verify(
            leaf: try X509Fixtures.certificate("leaf-under-non-ca"),
            intermediates: [
                try X509Fixtures.certificate("non-ca-intermediate"), try X509Fixtures.certificate("intermediate-ca"),
            ],
            at: X509Fixtures.validationTime,
            purpose: .any
        )
        guard case .failure(let nonCAError) = nonCA else {
            Issue.record("leaf under a non-CA verified")
            return
        }
        #expect(nonCAError.depth == 1)
    }

    @Test(arguments: [
        (1_560_000_000.0, CertificateVerificationError.Code?.some(.notYetValid)),  // 2019-06-08
        (1_577_836_800.0, nil),  // 2020-01-01, the first second
        (2_208_988_799.0, nil),  // the last second before notAfter
        (2_208_988_800.0, .some(.expired)),  // notAfter itself: OpenSSL counts it as expired
        (Double.infinity, .some(.other)),
        (Double.nan, .some(.other)),
    ])
    func validationTimeIsPinned(seconds: Double, expected: CertificateVerificationError.Code?) throws {
        let result = try X509Fixtures.trustStore().verify(
            leaf: X509Fixtures.certificate("leaf-client"),
            intermediates: [X509Fixtures.certificate("intermediate-ca")],
            at: Date(timeIntervalSince1970: seconds),
            purpose: .tlsClient
        )
        switch result {
        case .success: #expect(expected == nil)
        case .failure(let error): #expect(error.code == expected, "\(error.debugDescription)")
        }
    }

    @Test func revokedLeafIsRefusedWithCRLs() throws {
        let store = try X509Fixtures.trustStore(crls: true)
        #expect(store.checksRevocation)
        let intermediate = try X509Fixtures.certificate("intermediate-ca")
        let revoked = store.verify(
            leaf: try X509Fixtures.certificate("revoked-leaf"),
            intermediates: [intermediate],
            at: X509Fixtures.validationTime,
            purpose: .tlsClient
        )
        #expect(revoked.failureCode == .revoked)
        let good = store.verify(
            leaf: try X509Fixtures.certificate("leaf-client"),
            intermediates: [intermediate],
            at: X509Fixtures.validationTime,
            purpose: .tlsClient
        )
        #expect(good.failureCode == nil)
        // Before the CRL was issued (2025-01-01) there is no usable CRL: fail closed.
        let early = store.verify(
            leaf: try X509Fixtures.certificate("leaf-client"),
            intermediates: [intermediate],
            at: Date(timeIntervalSince1970: 1_700_000_000),
            purpose: .tlsClient
        )
        #expect(early.failureCode == .revocationStatusUnknown)
        #expect(OpenSSLErrorQueue.isEmpty)
    }

    @Test func missingCRLForTheIssuerFailsClosed() throws {
        // Only the root's CRL: nothing says whether the intermediate revoked the leaf.
        let crls = try X509Fixtures.text("crls.pem")
        let rootCRL = try #require(crls.range(of: "-----BEGIN X509 CRL-----", options: .backwards))
        let store = try CertificateTrustStore(
            pemBundle: X509Fixtures.text("trusted-roots.pem"),
            crlPEM: String(crls[rootCRL.lowerBound...])
        )
        let result = store.verify(
            leaf: try X509Fixtures.certificate("leaf-client"),
            intermediates: [try X509Fixtures.certificate("intermediate-ca")],
            at: X509Fixtures.validationTime,
            purpose: .tlsClient
        )
        #expect(result.failureCode == .revocationStatusUnknown)
    }

    @Test func selfSignedLeafInTheStoreIsStillRefused() throws {
        let selfSigned = try X509Fixtures.certificate("self-signed-leaf")
        let store = try CertificateTrustStore(trustAnchors: [X509Fixtures.certificate("root-ca"), selfSigned])
        for purpose in [CertificatePurpose.tlsClient, .signing, .any] {
            let result = store.verify(leaf: selfSigned, at: X509Fixtures.validationTime, purpose: purpose)
            #expect(result.failureCode == .leafIsTrustAnchor)
        }
    }

    @Test func intermediateAnchorAsLeafIsRefused() throws {
        // An intermediate placed in the store is an anchor too, even though its chain goes on.
        let intermediate = try X509Fixtures.certificate("intermediate-ca")
        let store = try CertificateTrustStore(trustAnchors: [X509Fixtures.certificate("root-ca"), intermediate])
        let result = store.verify(leaf: intermediate, at: X509Fixtures.validationTime, purpose: .any)
        #expect(result.failureCode == .leafIsTrustAnchor)
    }

    @Test func tooManyIntermediatesAreNotTried() throws {
        let intermediate = try X509Fixtures.certificate("intermediate-ca")
        let result = try X509Fixtures.trustStore().verify(
            leaf: X509Fixtures.certificate("leaf-client"),
            intermediates: Array(repeating: intermediate, count: CertificateTrustStore.maximumIntermediates + 1),
            at: X509Fixtures.validationTime,
            purpose: .tlsClient
        )
        #expect(result.failureCode == .chainTooLong)
    }

    @Test func storeFromFiles() throws {
        let store = try CertificateTrustStore(
            contentsOfFile: X509Fixtures.url("trusted-roots.pem").path,
            crlFile: X509Fixtures.url("crls.pem").path
        )
        #expect(store.trustAnchors == [try X509Fixtures.certificate("root-ca")])
        #expect(store.checksRevocation)
        let plain = try CertificateTrustStore(contentsOfFile: X509Fixtures.url("trusted-roots.pem").path)
        #expect(!plain.checksRevocation)
    }

    @Test func badStoreInputs() throws {
        let roots = try X509Fixtures.text("trusted-roots.pem")
        #expect(
            X509Fixtures.code { _ = try CertificateTrustStore(contentsOfFile: "/nonexistent/ca.pem") }
                == .fileUnreadable
        )
        #expect(X509Fixtures.code { _ = try CertificateTrustStore(trustAnchors: []) } == .noCertificates)
        #expect(X509Fixtures.code { _ = try CertificateTrustStore(pemBundle: "") } == .noCertificates)
        #expect(
            X509Fixtures.code { _ = try CertificateTrustStore(pemBundle: roots, crlPEM: "no CRL here") }
                == .malformedCRL
        )
        #expect(
            X509Fixtures.code { _ = try CertificateTrustStore(pemBundle: roots, crlPEM: roots) } == .unexpectedPEMLabel
        )
        let garbageCRL = "-----BEGIN X509 CRL-----\nAAAAAAAA\n-----END X509 CRL-----\n"
        #expect(
            X509Fixtures.code { _ = try CertificateTrustStore(pemBundle: roots, crlPEM: garbageCRL) } == .malformedCRL
        )
        #expect(OpenSSLErrorQueue.isEmpty)
    }

    /// Many threads verify with one shared store and shared certificates at once; every
    /// result must be the one the same case gives alone.
    @Test func concurrentVerificationWithOneStore() throws {
        let store = try X509Fixtures.trustStore(crls: true)
        let cases = Case.allCases.filter { $0 != .revokedWithoutCRLs }
        let inputs = try cases.map { ($0, try $0.leafCertificate(), try $0.intermediateCertificates()) }
        let revoked = try X509Fixtures.certificate("revoked-leaf")
        let intermediate = try X509Fixtures.certificate("intermediate-ca")
        let threads = 16
        let rounds = 20
        let tally = Tally()
        let done = DispatchGroup()
        for thread in 0..<threads {
            done.enter()
            Thread.detachNewThread {
                for round in 0..<rounds {
                    let (testCase, leaf, intermediates) = inputs[(thread + round) % inputs.count]
                    let code = store.verify(
                        leaf: leaf,
                        intermediates: intermediates,
                        at: X509Fixtures.validationTime,
                        purpose: testCase.purpose
                    ).failureCode
                    let revokedCode = store.verify(
                        leaf: revoked,
                        intermediates: [intermediate],
                        at: X509Fixtures.validationTime,
                        purpose: .tlsClient
                    ).failureCode
                    tally.record(ok: code == testCase.expected && revokedCode == .revoked && OpenSSLErrorQueue.isEmpty)
                }
                done.leave()
            }
        }
        done.wait()
        let (ok, wrong) = tally.counts
        #expect(ok == threads * rounds)
        #expect(wrong == 0)
    }
}

/// Counts results from many threads.
private final class Tally: Sendable {
    private let state = Mutex<(ok: Int, wrong: Int)>((0, 0))

    func record(ok: Bool) {
        state.withLock { ok ? ($0.ok += 1) : ($0.wrong += 1) }
    }

    var counts: (ok: Int, wrong: Int) { state.withLock { $0 } }
}

extension Result where Failure == CertificateVerificationError {
    /// The failure's code, nil on success.
    var failureCode: CertificateVerificationError.Code? {
        if case .failure(let error) = self { return error.code }
        return nil
    }
}
