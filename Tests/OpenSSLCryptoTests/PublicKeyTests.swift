import OpenSSLCrypto
import Testing

@Suite struct PublicKeyTests {
    @Test func rsa1024IsRefusedFromPEM() throws {
        let pem = try Fixtures.string("keys/rsa1024-public.pem")
        let error = #expect(throws: CryptoError.self) { try PublicKey(pem: pem) }
        #expect(error?.code == .unsupportedKey)
    }

    @Test func rsa1024IsRefusedFromComponents() throws {
        let key = try PrivateKey.generate(.rsa(bits: 2048))
        guard case .rsa(let modulus, let exponent) = key.publicKey.components else {
            Issue.record("not RSA")
            return
        }
        // A 1024-bit modulus: the top half of a real one is still a 1024-bit odd-or-even number;
        // the policy check on size comes before any arithmetic.
        let short = Array(modulus.prefix(128))
        let error = #expect(throws: CryptoError.self) { try PublicKey(rsaModulus: short, exponent: exponent) }
        #expect(error?.code == .unsupportedKey)
    }

    @Test(arguments: ["secp256k1-public.pem", "ed448-public.pem", "rsa-pss-only-public.pem"])
    func otherKeyTypesAreRefused(_ file: String) throws {
        let pem = try Fixtures.string("keys/\(file)")
        let error = #expect(throws: CryptoError.self) { try PublicKey(pem: pem) }
        #expect(error?.code == .unsupportedKey)
    }

    @Test(arguments: [
        EllipticCurve.p256, .p384, .p521,
    ])
    func ecComponentsRoundTrip(_ curve: EllipticCurve) throws {
        let key = try PrivateKey.generate(.ec(curve)).publicKey
        #expect(key.kind == .ec(curve))
        guard case .ec(let parsedCurve, let x, let y) = key.components else {
            Issue.record("not EC")
            return
        }
        #expect(parsedCurve == curve)
        #expect(x.count == curve.coordinateByteCount && y.count == curve.coordinateByteCount)
        let rebuilt = try PublicKey(curve: curve, x: x, y: y)
        #expect(try rebuilt.subjectPublicKeyInfoDER() == key.subjectPublicKeyInfoDER())
    }

    @Test func ecPointOffTheCurveIsRefused() throws {
        let key = try PrivateKey.generate(.ec(.p256)).publicKey
        guard case .ec(_, let x, var y) = key.components else {
            Issue.record("not EC")
            return
        }
        y[31] ^= 0x01
        let error = #expect(throws: CryptoError.self) { try PublicKey(curve: .p256, x: x, y: y) }
        #expect(error?.code == .invalidKey)
    }

    @Test(arguments: [31, 33, 0, 64])
    func ecCoordinateOfWrongLengthIsRefused(_ length: Int) throws {
        let key = try PrivateKey.generate(.ec(.p256)).publicKey
        guard case .ec(_, let x, let y) = key.components else {
            Issue.record("not EC")
            return
        }
        let resized = length <= 32 ? Array(x.suffix(length)) : [UInt8](repeating: 0, count: length - 32) + x
        let error = #expect(throws: CryptoError.self) { try PublicKey(curve: .p256, x: resized, y: y) }
        #expect(error?.code == .invalidKey)
    }

    @Test func ecCurveMismatchIsRefused() throws {
        // A P-256 point's coordinates presented as P-384 have the wrong length.
        let key = try PrivateKey.generate(.ec(.p256)).publicKey
        guard case .ec(_, let x, let y) = key.components else {
            Issue.record("not EC")
            return
        }
        #expect(throws: CryptoError.self) { try PublicKey(curve: .p384, x: x + [0] * 16, y: y + [0] * 16) }
    }

    @Test func rsaComponentsRoundTrip() throws {
        let key = try PrivateKey.generate(.rsa(bits: 2048)).publicKey
        #expect(key.kind == .rsa(bits: 2048))
        guard case .rsa(let modulus, let exponent) = key.components else {
            Issue.record("not RSA")
            return
        }
        #expect(modulus.count == 256)
        #expect(exponent == [0x01, 0x00, 0x01])
        let rebuilt = try PublicKey(rsaModulus: modulus, exponent: exponent)
        #expect(try rebuilt.subjectPublicKeyInfoDER() == key.subjectPublicKeyInfoDER())
    }

    @Test(arguments: [
        [UInt8](), [0x00, 0x01, 0x00, 0x01], [0x01, 0x00, 0x00], [0x01], [UInt8](repeating: 0xff, count: 9),
    ])
    func badRSAExponentIsRefused(_ exponent: [UInt8]) throws {
        let key = try PrivateKey.generate(.rsa(bits: 2048)).publicKey
        guard case .rsa(let modulus, _) = key.components else {
            Issue.record("not RSA")
            return
        }
        let error = #expect(throws: CryptoError.self) { try PublicKey(rsaModulus: modulus, exponent: exponent) }
        #expect(error?.code == .invalidKey)
    }

    @Test func rsaModulusWithLeadingZeroIsRefused() throws {
        let key = try PrivateKey.generate(.rsa(bits: 2048)).publicKey
        guard case .rsa(let modulus, let exponent) = key.components else {
            Issue.record("not RSA")
            return
        }
        let error = #expect(throws: CryptoError.self) { try PublicKey(rsaModulus: [0] + modulus, exponent: exponent) }
        #expect(error?.code == .invalidKey)
    }

    @Test func ed25519RoundTrip() throws {
        let key = try PrivateKey.generate(.ed25519).publicKey
        guard case .ed25519(let x) = key.components else {
            Issue.record("not Ed25519")
            return
        }
        #expect(x.count == 32)
        let rebuilt = try PublicKey(ed25519: x)
        #expect(try rebuilt.subjectPublicKeyInfoDER() == key.subjectPublicKeyInfoDER())
    }

    @Test(arguments: [0, 31, 33])
    func ed25519OfWrongLengthIsRefused(_ length: Int) {
        let error = #expect(throws: CryptoError.self) {
            try PublicKey(ed25519: [UInt8](repeating: 7, count: length))
        }
        #expect(error?.code == .invalidKey)
    }

    @Test func spkiWithTrailingBytesIsRefused() throws {
        let der = try PrivateKey.generate(.ec(.p256)).publicKey.subjectPublicKeyInfoDER()
        let error = #expect(throws: CryptoError.self) { try PublicKey(subjectPublicKeyInfoDER: der + [0]) }
        #expect(error?.code == .invalidKey)
    }

    @Test(arguments: [[UInt8](), [0x30], [0x30, 0x82, 0xff, 0xff], [UInt8](repeating: 0x41, count: 100)])
    func garbageSPKIIsRefused(_ der: [UInt8]) {
        let error = #expect(throws: CryptoError.self) { try PublicKey(subjectPublicKeyInfoDER: der) }
        #expect(error?.code == .invalidKey)
    }

    @Test(arguments: [KeyKind.rsa(bits: 2048), .ec(.p384), .ed25519])
    func pemRoundTrips(_ kind: KeyKind) throws {
        let key = try PrivateKey.generate(kind).publicKey
        let pem = try key.pem()
        #expect(pem.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
        #expect(try PublicKey(pem: pem).subjectPublicKeyInfoDER() == key.subjectPublicKeyInfoDER())
    }

    @Test func garbagePEMIsRefused() {
        let error = #expect(throws: CryptoError.self) {
            try PublicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        }
        #expect(error?.code == .invalidKey)
    }
}

private func * (lhs: [UInt8], rhs: Int) -> [UInt8] { Array(repeating: lhs.first ?? 0, count: rhs) }
