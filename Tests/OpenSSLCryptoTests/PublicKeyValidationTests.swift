import Foundation
import Testing

@testable import OpenSSLCrypto

/// Public keys that parse but let anyone sign for them: each must be refused on every import
/// path (components as a JWK carries them, DER SubjectPublicKeyInfo, PEM; a certificate's key
/// and an `x5c` leaf go through the DER path).
@Suite struct PublicKeyValidationTests {
    // MARK: RSA

    /// Made by `Fixtures/keys/make-degenerate-keys.sh`: 2048 bits or more, so the size policy
    /// alone lets each through, and each one's private exponent follows from public data.
    static let degenerateRSAFiles = [
        "rsa-prime-modulus-public.pem", "rsa-prime-square-public.pem", "rsa-small-factor-public.pem",
        "rsa-exponent-one-public.pem",
    ]

    static func der(fromPEM pem: String) throws -> [UInt8] {
        let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body) else { throw Fixtures.FixtureError.missing("PEM body") }
        return [UInt8](data)
    }

    static func modulus(_ name: String) throws -> [UInt8] {
        for line in try Fixtures.string("keys/rsa-moduli.txt").split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.count == 2, fields[0] == name { return [UInt8](hex: String(fields[1])) }
        }
        throw Fixtures.FixtureError.missing("modulus \(name)")
    }

    @Test(arguments: degenerateRSAFiles)
    func degenerateRSAKeyIsRefusedFromPEMAndDER(_ file: String) throws {
        let pem = try Fixtures.string("keys/\(file)")
        let fromPEM = #expect(throws: CryptoError.self) { try PublicKey(pem: pem) }
        #expect(fromPEM?.code == .invalidKey)
        let der = try Self.der(fromPEM: pem)
        let fromDER = #expect(throws: CryptoError.self) { try PublicKey(subjectPublicKeyInfoDER: der) }
        #expect(fromDER?.code == .invalidKey)
        #expect(OpenSSLErrorQueue.isEmpty)
    }

    @Test(arguments: ["prime", "prime-square", "small-factor"])
    func degenerateRSAModulusIsRefusedFromComponents(_ name: String) throws {
        let modulus = try Self.modulus(name)
        #expect(modulus.count * 8 >= RSAKeyPolicy.minimumBits)
        let error = #expect(throws: CryptoError.self) {
            try PublicKey(rsaModulus: modulus, exponent: [0x01, 0x00, 0x01])
        }
        #expect(error?.code == .invalidKey)
    }

    @Test func evenRSAModulusIsRefused() throws {
        guard case .rsa(var modulus, let exponent) = try PrivateKey.generate(.rsa(bits: 2048)).publicKey.components
        else {
            Issue.record("not RSA")
            return
        }
        modulus[modulus.count - 1] &= 0xFE
        let error = #expect(throws: CryptoError.self) { try PublicKey(rsaModulus: modulus, exponent: exponent) }
        #expect(error?.code == .invalidKey)
    }

    /// Controls: real keys of every accepted size and the exponent 3 still import by every path.
    @Test(arguments: [2048, 3072, 4096])
    func realRSAKeysStillImport(_ bits: Int) throws {
        let key = try PrivateKey.generate(.rsa(bits: bits)).publicKey
        guard case .rsa(let modulus, let exponent) = key.components else {
            Issue.record("not RSA")
            return
        }
        let der = try key.subjectPublicKeyInfoDER()
        #expect(try PublicKey(subjectPublicKeyInfoDER: der).kind == .rsa(bits: bits))
        #expect(try PublicKey(pem: key.pem()).kind == .rsa(bits: bits))
        #expect(try PublicKey(rsaModulus: modulus, exponent: exponent).kind == .rsa(bits: bits))
        #expect(try PublicKey(rsaModulus: modulus, exponent: [0x03]).kind == .rsa(bits: bits))
    }

    // MARK: Ed25519

    /// The eight points of order 1, 2, 4 and 8 on edwards25519, canonically encoded: the
    /// y-coordinates of libsodium's `ge25519_has_small_order` list (ed25519_ref10.c) and of
    /// "Taming the many EdDSAs" (Chalkias et al., 2020, §3), with both signs of x where x ≠ 0;
    /// recomputed for this test as the 8-torsion subgroup (L·P for points P of the curve).
    static let smallOrderPoints = [
        "0100000000000000000000000000000000000000000000000000000000000000",  // identity, order 1
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  // (0, -1), order 2
        "0000000000000000000000000000000000000000000000000000000000000000",  // (±√-1, 0), order 4
        "0000000000000000000000000000000000000000000000000000000000000080",
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",  // order 8
        "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
        "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    ]

    /// SubjectPublicKeyInfo of an Ed25519 key (RFC 8410 §4).
    static func ed25519SPKI(_ x: [UInt8]) -> [UInt8] {
        [UInt8](hex: "302a300506032b6570032100") + x
    }

    static func expectEd25519Refused(_ x: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let raw = #expect(throws: CryptoError.self, sourceLocation: sourceLocation) { try PublicKey(ed25519: x) }
        #expect(raw?.code == .invalidKey, "raw \(x.hex)", sourceLocation: sourceLocation)
        let spki = #expect(throws: CryptoError.self, sourceLocation: sourceLocation) {
            try PublicKey(subjectPublicKeyInfoDER: ed25519SPKI(x))
        }
        #expect(spki?.code == .invalidKey, "SPKI \(x.hex)", sourceLocation: sourceLocation)
    }

    @Test(arguments: smallOrderPoints)
    func smallOrderEd25519KeyIsRefused(_ hex: String) {
        let x = [UInt8](hex: hex)
        Self.expectEd25519Refused(x)
        // The same y with the other sign bit: for x = 0 (identity, order 2) a non-canonical
        // "negative zero" that lenient decoders accept.
        var flipped = x
        flipped[31] ^= 0x80
        Self.expectEd25519Refused(flipped)
    }

    /// RFC 8032 §5.1.3 step 1: a y-coordinate of p or more is not a canonical encoding, even
    /// when y − p is a curve point (p = 2^255 − 19: the encodings of 0…18 plus p).
    @Test func nonCanonicalEd25519EncodingIsRefused() {
        for offset in 0..<19 {
            var x = [UInt8](repeating: 0xFF, count: 32)
            x[0] = 0xED + UInt8(offset)
            x[31] = 0x7F
            Self.expectEd25519Refused(x)
            x[31] = 0xFF
            Self.expectEd25519Refused(x)
        }
    }

    /// RFC 8032 §5.1.3 step 3: y = 2 gives an x² that is not a square, so no point.
    @Test func ed25519EncodingOffTheCurveIsRefused() {
        Self.expectEd25519Refused([0x02] + [UInt8](repeating: 0, count: 31))
    }

    /// The probe of the issue: with OpenSSL 3.0, the identity key verifies R = identity, s = 0
    /// for any message. The key must not exist.
    @Test func identityEd25519KeyCannotBeBuiltToVerifyTheUniversalSignature() {
        let identity = [UInt8](hex: Self.smallOrderPoints[0])
        #expect(throws: CryptoError.self) { try PublicKey(ed25519: identity) }
        #expect(throws: CryptoError.self) { try PublicKey(subjectPublicKeyInfoDER: Self.ed25519SPKI(identity)) }
    }

    /// Controls: RFC 8032 §7.1 TEST 1's key, y = 3 (a canonical point) and fresh keys import.
    @Test func realEd25519KeysStillImport() throws {
        let rfc8032 = [UInt8](hex: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(try PublicKey(ed25519: rfc8032).kind == .ed25519)
        #expect(try PublicKey(ed25519: [0x03] + [UInt8](repeating: 0, count: 31)).kind == .ed25519)
        for _ in 0..<32 {
            let key = try PrivateKey.generate(.ed25519).publicKey
            guard case .ed25519(let x) = key.components else {
                Issue.record("not Ed25519")
                return
            }
            #expect(try PublicKey(ed25519: x).kind == .ed25519)
            #expect(try PublicKey(subjectPublicKeyInfoDER: Self.ed25519SPKI(x)).kind == .ed25519)
        }
    }

    // MARK: EC

    /// The DER path checks the point as the JWK path does.
    @Test(arguments: [EllipticCurve.p256, .p384, .p521])
    func ecPointOffTheCurveIsRefusedFromDER(_ curve: EllipticCurve) throws {
        var der = try PrivateKey.generate(.ec(curve)).publicKey.subjectPublicKeyInfoDER()
        der[der.count - 1] ^= 0x01  // the last byte of y
        let error = #expect(throws: CryptoError.self) { try PublicKey(subjectPublicKeyInfoDER: der) }
        #expect(error?.code == .invalidKey)
    }
}
