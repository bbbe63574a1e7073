import OpenSSLCrypto
import Testing

/// Every case of each Wycheproof file through `PublicKey.verify`: all `valid` accepted, all
/// `invalid` refused.
///
/// `acceptable` is decided explicitly: refused. The only such case in these files is RS256
/// tcId 8, a PKCS#1 v1.5 DigestInfo without the NULL parameter; JOSE signers always encode the
/// NULL, and a strict verifier has no reason to allow the other form.
@Suite struct WycheproofTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let file: String
        let scheme: SignatureScheme
        var testDescription: String { file }
    }

    static let files: [Case] = [
        Case(file: "ecdsa_secp256r1_sha256_p1363_test.json", scheme: .ecdsa(.sha256)),
        Case(file: "ecdsa_secp384r1_sha384_p1363_test.json", scheme: .ecdsa(.sha384)),
        Case(file: "ecdsa_secp521r1_sha512_p1363_test.json", scheme: .ecdsa(.sha512)),
        Case(file: "rsa_pss_2048_sha256_mgf1_32_test.json", scheme: .rsaPSS(.sha256)),
        Case(file: "rsa_signature_2048_sha256_test.json", scheme: .rsaPKCS1v15(.sha256)),
        Case(file: "ed25519_test.json", scheme: .ed25519),
    ]

    @Test(arguments: files)
    func everyCase(_ testCase: Case) throws {
        let file = try WycheproofFile.load(testCase.file)
        var ran = 0
        for group in file.testGroups {
            let key = try PublicKey(subjectPublicKeyInfoDER: [UInt8](hex: group.publicKeyDer))
            for test in group.tests {
                ran += 1
                let verified = key.verify(
                    signature: [UInt8](hex: test.sig),
                    message: [UInt8](hex: test.msg),
                    scheme: testCase.scheme
                )
                switch test.result {
                case .valid:
                    #expect(verified, "valid case refused: \(test)")
                case .invalid, .acceptable:
                    #expect(!verified, "\(test.result) case accepted: \(test)")
                }
            }
        }
        #expect(ran == file.numberOfTests)
        #expect(ran > 100)
    }

    /// The same ECDSA keys built from their JWK coordinates instead of DER verify the same way.
    @Test(arguments: [
        ("ecdsa_secp256r1_sha256_p1363_test.json", EllipticCurve.p256),
        ("ecdsa_secp384r1_sha384_p1363_test.json", .p384),
        ("ecdsa_secp521r1_sha512_p1363_test.json", .p521),
    ])
    func componentsMatchDER(file name: String, curve: EllipticCurve) throws {
        let file = try WycheproofFile.load(name)
        for group in file.testGroups {
            let fromDER = try PublicKey(subjectPublicKeyInfoDER: [UInt8](hex: group.publicKeyDer))
            guard case .ec(let parsedCurve, let x, let y) = fromDER.components else {
                Issue.record("not an EC key")
                return
            }
            #expect(parsedCurve == curve)
            let rebuilt = try PublicKey(curve: curve, x: x, y: y)
            #expect(try rebuilt.subjectPublicKeyInfoDER() == fromDER.subjectPublicKeyInfoDER())
        }
    }
}
