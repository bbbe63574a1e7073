import CredenceJOSE
import CredenceJSON
import Foundation
import OpenSSLCrypto
import Testing

/// JWS verified through its own `x5c` chain against a trust store (RFC 7515 §4.1.6), with the
/// PKI fixtures of the X.509 tests (`Tests/OpenSSLCryptoTests/Fixtures/x509`, made by its
/// `make-fixtures.sh`, valid 2020–2040; every check pins the time).
@Suite struct X5CVerificationTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../OpenSSLCryptoTests/Fixtures/x509").standardized
    static let validationTime = Date(timeIntervalSince1970: 1_893_456_000)  // 2030-01-01

    static func pem(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    static func certificate(_ name: String) throws -> Certificate {
        try Certificate(pemEncoded: pem(name))
    }

    let signer: JWSSigner
    let leaf: Certificate
    let intermediate: Certificate
    let trustStore: CertificateTrustStore

    init() throws {
        signer = try JWSSigner(key: PrivateKey(pkcs8PEM: Self.pem("leaf-client.key")), algorithm: .es256, keyID: nil)
        leaf = try Self.certificate("leaf-client.pem")
        intermediate = try Self.certificate("intermediate-ca.pem")
        trustStore = try CertificateTrustStore(pemBundle: Self.pem("root-ca.pem"))
    }

    func token(chain: [Certificate], extra: JSONObject = [:]) throws -> UnverifiedJWS {
        var header = extra
        header["x5c"] = .array(chain.map { .string(Data($0.derEncoded).base64EncodedString()) })
        let compact = try signer.sign(
            payload: Array(#"{"iss":"directory","software_id":"abc"}"#.utf8),
            extraHeader: header
        )
        return try UnverifiedJWS(compact: compact)
    }

    @Test func aChainToATrustedRootVerifies() throws {
        let jws = try token(chain: [leaf, intermediate])
        let result = try jws.verify(
            usingCertificateChainTrustedBy: trustStore,
            at: Self.validationTime,
            allowedAlgorithms: [.es256]
        )
        #expect(result.chain.count == 3)
        #expect(result.chain.first == leaf)
        #expect(try result.jws.claims().issuer == "directory")
    }

    @Test func aMatchingThumbprintHeaderIsAccepted() throws {
        let jws = try token(
            chain: [leaf, intermediate],
            extra: ["x5t#S256": .string(Base64URL.encode(leaf.sha256Thumbprint))]
        )
        _ = try jws.verify(
            usingCertificateChainTrustedBy: trustStore,
            at: Self.validationTime,
            allowedAlgorithms: [.es256]
        )
    }

    @Test func aChainThatIncludesItsRootVerifies() throws {
        let root = try Self.certificate("root-ca.pem")
        let jws = try token(chain: [leaf, intermediate, root])
        let result = try jws.verify(
            usingCertificateChainTrustedBy: trustStore,
            at: Self.validationTime,
            allowedAlgorithms: [.es256]
        )
        #expect(result.chain.count == 3)
    }

    @Test func aMatchingSHA1ThumbprintHeaderIsAcceptedAndAWrongOneRefused() throws {
        let good = try token(
            chain: [leaf, intermediate],
            extra: ["x5t": .string(Base64URL.encode(try #require(leaf.sha1ThumbprintForComparison)))]
        )
        _ = try good.verify(
            usingCertificateChainTrustedBy: trustStore,
            at: Self.validationTime,
            allowedAlgorithms: [.es256]
        )
        let bad = try token(
            chain: [leaf, intermediate],
            extra: ["x5t": .string(Base64URL.encode(try #require(intermediate.sha1ThumbprintForComparison)))]
        )
        expectJOSEError(.untrustedCertificateChain) {
            _ = try bad.verify(
                usingCertificateChainTrustedBy: trustStore,
                at: Self.validationTime,
                allowedAlgorithms: [.es256]
            )
        }
    }

    /// An empty or truncated thumbprint names no certificate: before, a SHA-1 failure gave an
    /// empty digest that the empty header value equalled.
    @Test(arguments: ["x5t", "x5t#S256"], [0, 1, 19, 20, 31])
    func anEmptyOrTruncatedThumbprintHeaderIsRefused(_ name: String, _ length: Int) throws {
        let full = try name == "x5t" ? #require(leaf.sha1ThumbprintForComparison) : leaf.sha256Thumbprint
        guard length < full.count else { return }
        let jws = try token(chain: [leaf, intermediate], extra: [name: .string(Base64URL.encode(full.prefix(length)))])
        expectJOSEError(.untrustedCertificateChain) {
            _ = try jws.verify(
                usingCertificateChainTrustedBy: trustStore,
                at: Self.validationTime,
                allowedAlgorithms: [.es256]
            )
        }
    }

    /// A CA that certifies whatever key it is given: a chain that verifies does not make a
    /// degenerate leaf key usable. The identity-point Ed25519 leaf comes with the universal
    /// signature (R = identity, s = 0), which OpenSSL 3.0 verifies for that key; the leaf with a
    /// prime RSA modulus with a junk signature (its forgeries are in DegenerateKeyForgeryTests).
    @Test(arguments: [("identity-ed25519-leaf", JWSAlgorithm.edDSA), ("prime-rsa-leaf", .ps256)])
    func aTrustedChainToADegenerateKeyIsRefused(_ leafName: String, _ algorithm: JWSAlgorithm) throws {
        let hardening = "hardening/"
        let degenerate = try Self.certificate(hardening + leafName + ".pem")
        let issuing = try Self.certificate(hardening + "intermediate-ca.pem")
        let store = try CertificateTrustStore(pemBundle: Self.pem(hardening + "root-ca.pem"))
        let x5c = JSONValue.array([degenerate, issuing].map { .string(Data($0.derEncoded).base64EncodedString()) })
        let header = JSONValue.object(["alg": .string(algorithm.rawValue), "x5c": x5c]).serializedString()
        let signature =
            algorithm == .edDSA
            ? [1] + [UInt8](repeating: 0, count: 63) : [UInt8](repeating: 0x5A, count: 256)
        let jws = try UnverifiedJWS(compact: Forge.token(header: header, payload: claimsJSON, signature: signature))
        expectJOSEError(.invalidKey) {
            _ = try jws.verify(
                usingCertificateChainTrustedBy: store,
                at: Self.validationTime,
                allowedAlgorithms: [algorithm]
            )
        }
        // The control: the conforming leaf of the same PKI, signing for real.
        let signer = try JWSSigner(
            key: PrivateKey(pkcs8PEM: Self.pem(hardening + "control-leaf.key")),
            algorithm: .es256,
            keyID: nil
        )
        let control = try Self.certificate(hardening + "control-leaf.pem")
        let controlChain = JSONValue.array(
            [control, issuing].map { .string(Data($0.derEncoded).base64EncodedString()) }
        )
        let good = try UnverifiedJWS(
            compact: signer.sign(payload: Array(claimsJSON.utf8), extraHeader: ["x5c": controlChain])
        )
        let verified = try good.verify(
            usingCertificateChainTrustedBy: store,
            at: Self.validationTime,
            allowedAlgorithms: [.es256]
        )
        #expect(verified.chain.count == 3)
    }

    @Test func aWrongThumbprintHeaderIsRefused() throws {
        let jws = try token(
            chain: [leaf, intermediate],
            extra: ["x5t#S256": .string(Base64URL.encode(intermediate.sha256Thumbprint))]
        )
        expectJOSEError(.untrustedCertificateChain) {
            _ = try jws.verify(
                usingCertificateChainTrustedBy: trustStore,
                at: Self.validationTime,
                allowedAlgorithms: [.es256]
            )
        }
    }

    @Test func aChainFromAnUntrustedRootIsRefused() throws {
        let jws = try token(chain: [leaf, intermediate])
        let otherStore = try CertificateTrustStore(pemBundle: Self.pem("untrusted-root-ca.pem"))
        expectChainRefused([.unableToGetIssuer, .untrustedRoot]) {
            _ = try jws.verify(
                usingCertificateChainTrustedBy: otherStore,
                at: Self.validationTime,
                allowedAlgorithms: [.es256]
            )
        }
    }

    @Test func aMissingIntermediateIsRefused() throws {
        let jws = try token(chain: [leaf])
        expectChainRefused([.unableToGetIssuer]) {
            _ = try jws.verify(
                usingCertificateChainTrustedBy: trustStore,
                at: Self.validationTime,
                allowedAlgorithms: [.es256]
            )
        }
    }

    @Test func anExpiredLeafIsRefused() throws {
        let jws = try token(chain: [leaf, intermediate])
        let after2040 = Date(timeIntervalSince1970: 2_240_611_200)  // 2041-01-01
        expectChainRefused([.expired]) {
            _ = try jws.verify(usingCertificateChainTrustedBy: trustStore, at: after2040, allowedAlgorithms: [.es256])
        }
    }

    @Test func anIntermediateThatIsNotACAIsRefused() throws {
        let jws = try token(chain: [
            Self.certificate("leaf-under-non-ca.pem"), Self.certificate("non-ca-intermediate.pem"), intermediate,
        ])
        expectChainRefused([.invalidCA]) {
            _ = try jws.verify(
                usingCertificateChainTrustedBy: trustStore,
                at: Self.validationTime,
                allowedAlgorithms: [.es256]
            )
        }
    }

    @Test func aSelfSignedLeafPresentedAsChainIsRefused() throws {
        let jws = try token(chain: [Self.certificate("self-signed-leaf.pem")])
        expectChainRefused([.selfSignedLeafNotTrusted, .untrustedRoot, .unableToGetIssuer]) {
            _ = try jws.verify(
                usingCertificateChainTrustedBy: trustStore,
                at: Self.validationTime,
                allowedAlgorithms: [.es256]
            )
        }
    }

    @Test func aTrustedChainDoesNotMakeAnotherKeysSignatureValid() throws {
        // The chain is good but the token was signed by a different key.
        let other = try JWSSigner(key: PrivateKey.generate(.ec(.p256)), algorithm: .es256, keyID: nil)
        let header: JSONObject = [
            "x5c": .array([leaf, intermediate].map { .string(Data($0.derEncoded).base64EncodedString()) })
        ]
        let jws = try UnverifiedJWS(compact: other.sign(payload: Array("{}".utf8), extraHeader: header))
        expectJOSEError(.invalidSignature) {
            _ = try jws.verify(
                usingCertificateChainTrustedBy: trustStore,
                at: Self.validationTime,
                allowedAlgorithms: [.es256]
            )
        }
    }

    @Test func theAllowlistStillApplies() throws {
        let jws = try token(chain: [leaf, intermediate])
        expectJOSEError(.algorithmNotAllowed) {
            _ = try jws.verify(
                usingCertificateChainTrustedBy: trustStore,
                at: Self.validationTime,
                allowedAlgorithms: [.ps256]
            )
        }
    }

    @discardableResult
    func expectJOSEError(
        _ code: JOSEError.Code,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) -> JOSEError? {
        let error = #expect(throws: JOSEError.self, sourceLocation: sourceLocation) { try body() }
        #expect(error?.code == code, sourceLocation: sourceLocation)
        return error
    }

    /// Refused as an untrusted chain, for the given chain-verification reason(s).
    func expectChainRefused(
        _ reasons: [CertificateVerificationError.Code],
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () throws -> Void
    ) {
        let error = expectJOSEError(.untrustedCertificateChain, sourceLocation: sourceLocation, body)
        let reason = error?.certificateVerificationError?.code
        #expect(
            reason.map(reasons.contains) == true,
            "reason \(String(describing: reason))",
            sourceLocation: sourceLocation
        )
    }

    @Test(arguments: [#"[]"#, #""MIIB""#, #"["not base64!"]"#, #"["AAAA"]"#, #"[1]"#])
    func malformedChainsAreRefused(x5c: String) throws {
        let header = try JSONObject.parse(#"{"x5c":\#(x5c)}"#)
        let jws = try UnverifiedJWS(compact: signer.sign(payload: Array("{}".utf8), extraHeader: header))
        #expect(throws: JOSEError.self) {
            _ = try jws.verify(
                usingCertificateChainTrustedBy: trustStore,
                at: Self.validationTime,
                allowedAlgorithms: [.es256]
            )
        }
    }

    @Test func noChainAtAllIsRefused() throws {
        let jws = try UnverifiedJWS(compact: signer.sign(payload: Array("{}".utf8)))
        expectJOSEError(.untrustedCertificateChain) {
            _ = try jws.verify(
                usingCertificateChainTrustedBy: trustStore,
                at: Self.validationTime,
                allowedAlgorithms: [.es256]
            )
        }
    }
}
