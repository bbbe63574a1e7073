import OpenSSLCrypto
import Testing

@Suite struct SignatureTests {
    struct Pair: Sendable, CustomTestStringConvertible {
        let kind: KeyKind
        let scheme: SignatureScheme
        let signatureLength: Int?
        var testDescription: String { "\(kind) \(scheme)" }
    }

    static let pairs: [Pair] = [
        Pair(kind: .rsa(bits: 2048), scheme: .rsaPKCS1v15(.sha256), signatureLength: 256),
        Pair(kind: .rsa(bits: 2048), scheme: .rsaPKCS1v15(.sha384), signatureLength: 256),
        Pair(kind: .rsa(bits: 2048), scheme: .rsaPKCS1v15(.sha512), signatureLength: 256),
        Pair(kind: .rsa(bits: 3072), scheme: .rsaPSS(.sha256), signatureLength: 384),
        Pair(kind: .rsa(bits: 2048), scheme: .rsaPSS(.sha384), signatureLength: 256),
        Pair(kind: .rsa(bits: 2048), scheme: .rsaPSS(.sha512), signatureLength: 256),
        Pair(kind: .ec(.p256), scheme: .ecdsa(.sha256), signatureLength: 64),
        Pair(kind: .ec(.p384), scheme: .ecdsa(.sha384), signatureLength: 96),
        Pair(kind: .ec(.p521), scheme: .ecdsa(.sha512), signatureLength: 132),
        Pair(kind: .ed25519, scheme: .ed25519, signatureLength: 64),
    ]

    @Test(arguments: pairs)
    func signThenVerify(_ pair: Pair) throws {
        let key = try PrivateKey.generate(pair.kind)
        let message = Array("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0".utf8)
        let signature = try key.sign(message: message, scheme: pair.scheme)
        #expect(signature.count == pair.signatureLength)
        #expect(key.publicKey.verify(signature: signature, message: message, scheme: pair.scheme))
        #expect(!key.publicKey.verify(signature: signature, message: message + [0x2e], scheme: pair.scheme))
        var flipped = signature
        flipped[flipped.count / 2] ^= 0x01
        #expect(!key.publicKey.verify(signature: flipped, message: message, scheme: pair.scheme))
        #expect(!key.publicKey.verify(signature: Array(signature.dropLast()), message: message, scheme: pair.scheme))
        #expect(!key.publicKey.verify(signature: signature + [0], message: message, scheme: pair.scheme))
        #expect(!key.publicKey.verify(signature: [], message: message, scheme: pair.scheme))
        let other = try PrivateKey.generate(pair.kind)
        #expect(!other.publicKey.verify(signature: signature, message: message, scheme: pair.scheme))
    }

    @Test func emptyMessageSignsAndVerifies() throws {
        for kind in [KeyKind.ec(.p256), .ed25519] {
            let key = try PrivateKey.generate(kind)
            let scheme: SignatureScheme = kind == .ed25519 ? .ed25519 : .ecdsa(.sha256)
            let signature = try key.sign(message: [], scheme: scheme)
            #expect(key.publicKey.verify(signature: signature, message: [], scheme: scheme))
        }
    }

    /// A key never verifies or signs with a scheme of another family, nor ECDSA with another
    /// curve's digest (P-256 is for ES256 only).
    @Test(arguments: [
        (KeyKind.rsa(bits: 2048), SignatureScheme.ecdsa(.sha256)),
        (.rsa(bits: 2048), .ed25519),
        (.ec(.p256), .rsaPKCS1v15(.sha256)),
        (.ec(.p256), .ecdsa(.sha384)),
        (.ec(.p384), .ecdsa(.sha256)),
        (.ec(.p521), .ecdsa(.sha256)),
        (.ed25519, .ecdsa(.sha256)),
        (.ed25519, .rsaPSS(.sha256)),
    ])
    func keySchemeMismatch(kind: KeyKind, scheme: SignatureScheme) throws {
        let key = try PrivateKey.generate(kind)
        let error = #expect(throws: CryptoError.self) { try key.sign(message: [1, 2, 3], scheme: scheme) }
        #expect(error?.code == .keySchemeMismatch)
        // A signature made correctly for the key does not verify under the wrong scheme.
        let right: SignatureScheme =
            switch kind {
            case .rsa: .rsaPKCS1v15(.sha256)
            case .ec(let curve): .ecdsa(curve.digest)
            case .ed25519: .ed25519
            }
        let signature = try key.sign(message: [1, 2, 3], scheme: right)
        #expect(!key.publicKey.verify(signature: signature, message: [1, 2, 3], scheme: scheme))
    }

    /// PS256 and RS256 over the same key are different schemes: neither verifies as the other.
    @Test func pssAndPKCS1DoNotCrossVerify() throws {
        let key = try PrivateKey.generate(.rsa(bits: 2048))
        let message: [UInt8] = Array("payload".utf8)
        let pss = try key.sign(message: message, scheme: .rsaPSS(.sha256))
        let pkcs1 = try key.sign(message: message, scheme: .rsaPKCS1v15(.sha256))
        #expect(!key.publicKey.verify(signature: pss, message: message, scheme: .rsaPKCS1v15(.sha256)))
        #expect(!key.publicKey.verify(signature: pkcs1, message: message, scheme: .rsaPSS(.sha256)))
        #expect(!key.publicKey.verify(signature: pss, message: message, scheme: .rsaPSS(.sha384)))
    }

    @Test func rsaPKCS1IsDeterministicAndPSSIsNot() throws {
        let key = try PrivateKey.generate(.rsa(bits: 2048))
        let message: [UInt8] = Array("payload".utf8)
        #expect(
            try key.sign(message: message, scheme: .rsaPKCS1v15(.sha256))
                == key.sign(message: message, scheme: .rsaPKCS1v15(.sha256))
        )
        #expect(
            try key.sign(message: message, scheme: .rsaPSS(.sha256))
                != key.sign(message: message, scheme: .rsaPSS(.sha256))
        )
    }
}

/// ECDSA signatures that must never verify, whatever OpenSSL would do with them.
@Suite struct ECDSAHostileSignatureTests {
    /// Group orders n of the three curves (SEC 2 §2.4.2, §2.5.1, §2.6.1).
    static let orders: [EllipticCurve: String] = [
        .p256: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
        .p384: "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
        .p521:
            "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
    ]

    /// CVE-2022-21449 ("psychic signatures"): r = s = 0 verifies any message in a broken verifier.
    @Test(arguments: EllipticCurve.allCases)
    func zeroSignatureIsRefused(_ curve: EllipticCurve) throws {
        let key = try PrivateKey.generate(.ec(curve)).publicKey
        let zero = [UInt8](repeating: 0, count: 2 * curve.coordinateByteCount)
        #expect(!key.verify(signature: zero, message: [], scheme: .ecdsa(curve.digest)))
        #expect(!key.verify(signature: zero, message: Array("hello".utf8), scheme: .ecdsa(curve.digest)))
    }

    /// r or s equal to n, or n added to a valid value (a different integer with the same residue),
    /// is outside [1, n-1] and refused.
    @Test(arguments: EllipticCurve.allCases)
    func componentsAtOrAboveTheOrderAreRefused(_ curve: EllipticCurve) throws {
        let width = curve.coordinateByteCount
        let n = [UInt8](hex: Self.orders[curve] ?? "")
        let order = [UInt8](repeating: 0, count: width - n.count) + n
        #expect(order.count == width)
        let key = try PrivateKey.generate(.ec(curve))
        let message: [UInt8] = Array("message".utf8)
        let signature = try key.sign(message: message, scheme: .ecdsa(curve.digest))
        let r = Array(signature.prefix(width))
        let s = Array(signature.suffix(width))
        #expect(key.publicKey.verify(signature: r + s, message: message, scheme: .ecdsa(curve.digest)))
        #expect(!key.publicKey.verify(signature: order + s, message: message, scheme: .ecdsa(curve.digest)))
        #expect(!key.publicKey.verify(signature: r + order, message: message, scheme: .ecdsa(curve.digest)))
        #expect(!key.publicKey.verify(signature: order + order, message: message, scheme: .ecdsa(curve.digest)))
        // s + n, when it still fits the width, is the same residue: a lax verifier reduces it.
        if let sPlusN = add(s, order), sPlusN.count == width {
            #expect(!key.publicKey.verify(signature: r + sPlusN, message: message, scheme: .ecdsa(curve.digest)))
        }
        // All-ones halves exceed n on every curve.
        let all = [UInt8](repeating: 0xff, count: width)
        #expect(!key.publicKey.verify(signature: all + all, message: message, scheme: .ecdsa(curve.digest)))
    }

    /// The DER form (what OpenSSL itself produces) is not a JOSE signature.
    @Test func derEncodedSignatureIsRefused() throws {
        let key = try PrivateKey.generate(.ec(.p256))
        let message: [UInt8] = Array("message".utf8)
        let raw = try key.sign(message: message, scheme: .ecdsa(.sha256))
        // Hand-made DER: SEQUENCE { INTEGER r, INTEGER s } with positive-padding.
        func integer(_ bytes: [UInt8]) -> [UInt8] {
            let trimmed = Array(bytes.drop { $0 == 0 })
            let body = (trimmed.first ?? 0) >= 0x80 ? [0] + trimmed : trimmed
            return [0x02, UInt8(body.count)] + body
        }
        let content = integer(Array(raw.prefix(32))) + integer(Array(raw.suffix(32)))
        let der = [0x30, UInt8(content.count)] + content
        #expect(!key.publicKey.verify(signature: der, message: message, scheme: .ecdsa(.sha256)))
    }

    private func add(_ a: [UInt8], _ b: [UInt8]) -> [UInt8]? {
        guard a.count == b.count else { return nil }
        var result = [UInt8](repeating: 0, count: a.count)
        var carry = 0
        for index in stride(from: a.count - 1, through: 0, by: -1) {
            let sum = Int(a[index]) + Int(b[index]) + carry
            result[index] = UInt8(sum & 0xff)
            carry = sum >> 8
        }
        return carry == 0 ? result : nil
    }
}

/// Worker threads share one key (the server's signing key, a client's JWKS): concurrent use of
/// one `PublicKey`/`PrivateKey` must give the same answers as serial use.
@Suite struct ConcurrentUseTests {
    @Test func oneKeyManyThreads() async throws {
        let key = try PrivateKey.generate(.ec(.p256))
        let message: [UInt8] = Array("shared".utf8)
        let signature = try key.sign(message: message, scheme: .ecdsa(.sha256))
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<16 {
                group.addTask {
                    var ok = true
                    for _ in 0..<50 {
                        ok = ok && key.publicKey.verify(signature: signature, message: message, scheme: .ecdsa(.sha256))
                        ok =
                            ok
                            && !key.publicKey.verify(
                                signature: signature,
                                message: message + [UInt8(index)],
                                scheme: .ecdsa(.sha256)
                            )
                        let own = try key.sign(message: [UInt8(index)], scheme: .ecdsa(.sha256))
                        ok =
                            ok && key.publicKey.verify(signature: own, message: [UInt8(index)], scheme: .ecdsa(.sha256))
                    }
                    return ok
                }
            }
            var all: [Bool] = []
            for try await result in group { all.append(result) }
            return all
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0 })
    }
}
