internal import COpenSSL

extension EVPKey {
    /// Refuses a public key that decodes but that anyone could sign for, whatever path it came
    /// by (JWK components, SubjectPublicKeyInfo, PEM, a certificate, an `x5c` leaf): every
    /// ``PublicKey`` initializer ends here.
    ///
    /// - RSA: see ``validateRSAPublicKey()``.
    /// - EC: OpenSSL's full public key check (the point is on the curve, not at infinity, of
    ///   the group's order; SP 800-56A §5.6.2.3.3).
    /// - Ed25519: see ``Ed25519PublicKeyValidation``; OpenSSL checks nothing here, and with
    ///   OpenSSL 3.0 the identity key verifies the signature R = identity, s = 0 for any message.
    func validatePublicKey(_ kind: KeyKind) throws(CryptoError) {
        switch kind {
        case .rsa: try validateRSAPublicKey()
        case .ec: try openSSLPublicCheck()
        case .ed25519: try Ed25519PublicKeyValidation.validate(rawPublicKey())
        }
    }

    /// RSA: the modulus odd; the exponent odd, at least 3 and at most 64 bits (a JWK's bound, on
    /// every path); the modulus neither a prime, nor a prime power, nor a number with a factor
    /// below 752. For those, φ(n), hence the private exponent, follows from n alone, and forged
    /// RS256/PS256 signatures verify.
    ///
    /// A Fermat test to base 2 comes first: 2^(n−1) ≡ 1 (mod n) for every prime n, so a prime
    /// modulus is refused after one modular exponentiation; and gcd(2^(n−1) − 1, n) is a factor
    /// of any prime power (p − 1 divides pᵏ − 1), so prime powers fall there too. Then OpenSSL's
    /// SP 800-56B §6.4.2.1 partial public key validation (`EVP_PKEY_public_check`: odd n and e,
    /// no small factor, composite and not a prime power by Miller–Rabin), which alone would
    /// spend up to 128 Miller–Rabin rounds on a hostile 8192-bit prime (seconds of CPU); after
    /// the Fermat test a legitimate key costs it one round. A real key costs two modular
    /// exponentiations modulo n in all: measured on a 2-core build machine, about 6 ms at 2048
    /// bits, 45 ms at 4096 and 0.6 s at 8192, so whoever reads keys from an untrusted document
    /// (a client's JWKS) must bound how many it reads.
    private func validateRSAPublicKey() throws(CryptoError) {
        var modulus: OpaquePointer? = nil
        var exponent: OpaquePointer? = nil
        defer {
            BN_free(modulus)
            BN_free(exponent)
        }
        guard EVP_PKEY_get_bn_param(pointer, "n", &modulus) == 1, let n = modulus,
            EVP_PKEY_get_bn_param(pointer, "e", &exponent) == 1, let e = exponent
        else { throw .internalFailure("could not read the RSA key's components") }
        guard BN_is_odd(n) == 1 else { throw .invalidKey("the RSA modulus is even") }
        guard BN_is_odd(e) == 1, BN_num_bits(e) >= 2, BN_num_bits(e) <= 64 else {
            throw .invalidKey("the RSA exponent must be odd, at least 3 and at most 64 bits")
        }
        guard let context = BN_CTX_new() else { throw .internalFailure("out of memory") }
        defer { BN_CTX_free(context) }
        BN_CTX_start(context)
        defer { BN_CTX_end(context) }
        guard let nMinusOne = BN_CTX_get(context), let power = BN_CTX_get(context),
            let two = BN_CTX_get(context), let divisor = BN_CTX_get(context),
            BN_copy(nMinusOne, n) != nil, BN_sub_word(nMinusOne, 1) == 1, BN_set_word(two, 2) == 1,
            BN_mod_exp(power, two, nMinusOne, n, context) == 1
        else { throw .internalFailure("RSA modulus arithmetic failed") }
        guard BN_is_one(power) == 0 else {
            throw .invalidKey("the RSA modulus is prime, so its private exponent is public")
        }
        // power is in [2, n − 1] here (n is odd, so 2^(n−1) mod n is never 0).
        guard BN_sub_word(power, 1) == 1, BN_gcd(divisor, power, n, context) == 1 else {
            throw .internalFailure("RSA modulus arithmetic failed")
        }
        guard BN_is_one(divisor) == 1 else {
            throw .invalidKey("the RSA modulus has a factor found from public data (a prime power?)")
        }
        try openSSLPublicCheck()
    }

    /// `EVP_PKEY_public_check`: the provider's public key validation for the key's type.
    private func openSSLPublicCheck() throws(CryptoError) {
        guard let checker = EVP_PKEY_CTX_new_from_pkey(nil, pointer, nil) else {
            throw .internalFailure("out of memory")
        }
        defer { EVP_PKEY_CTX_free(checker) }
        guard EVP_PKEY_public_check(checker) == 1 else {
            throw .invalidKey("the public key failed OpenSSL's public key validation")
        }
    }
}

/// The Ed25519 public key checks OpenSSL does not make (it stores the 32 bytes as given):
/// a canonical encoding of a curve point (RFC 8032 §5.1.3) that is not of small order.
///
/// A small-order key A (8·A = identity) lets anyone forge: with R = identity and s = 0 the
/// verification equation [8][s]B = [8]R + [8][k]A holds for every message, and OpenSSL 3.0's
/// cofactorless check [s]B = R + [k]A holds whenever [k]A is the identity (always, for the
/// identity key). Keys of mixed order (a small-order component added to a key of prime order)
/// are not refused: only their holder can sign for them, and detecting them costs a scalar
/// multiplication this wrapper has no primitive for.
enum Ed25519PublicKeyValidation {
    /// The y-coordinates (little-endian, as encoded; the sign bit of x is ignored) of the eight
    /// points of small order on edwards25519, and the non-canonical encodings p and p + 1 of
    /// y = 0 and y = 1. This is libsodium's list (`ge25519_has_small_order`,
    /// src/libsodium/crypto_core/ed25519/ref10/ed25519_ref10.c) and the one of "Taming the many
    /// EdDSAs" (Chalkias, Garillot, Nikolaenko, SSR 2020, §3); each was checked to satisfy
    /// 8·P = identity. Ignoring the sign bit also covers the non-canonical "−0" encodings of
    /// the two points with x = 0.
    static let smallOrderYCoordinates: [[UInt8]] = [
        // y = 0: the two points (±√−1, 0), of order 4.
        [UInt8](repeating: 0x00, count: 32),
        // y = 1: the identity (0, 1), of order 1.
        [0x01] + [UInt8](repeating: 0x00, count: 31),
        // The two y-coordinates of the four points of order 8.
        [
            0x26, 0xE8, 0x95, 0x8F, 0xC2, 0xB2, 0x27, 0xB0, 0x45, 0xC3, 0xF4, 0x89, 0xF2, 0xEF, 0x98, 0xF0,
            0xD5, 0xDF, 0xAC, 0x05, 0xD3, 0xC6, 0x33, 0x39, 0xB1, 0x38, 0x02, 0x88, 0x6D, 0x53, 0xFC, 0x05,
        ],
        [
            0xC7, 0x17, 0x6A, 0x70, 0x3D, 0x4D, 0xD8, 0x4F, 0xBA, 0x3C, 0x0B, 0x76, 0x0D, 0x10, 0x67, 0x0F,
            0x2A, 0x20, 0x53, 0xFA, 0x2C, 0x39, 0xCC, 0xC6, 0x4E, 0xC7, 0xFD, 0x77, 0x92, 0xAC, 0x03, 0x7A,
        ],
        // y = p − 1: the point (0, −1), of order 2.
        [0xEC] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
        // y = p and y = p + 1: non-canonical encodings of y = 0 and y = 1.
        [0xED] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
        [0xEE] + [UInt8](repeating: 0xFF, count: 30) + [0x7F],
    ]

    /// Throws ``CryptoError/Code/invalidKey`` unless `encoding` is a canonical encoding of a
    /// point of edwards25519 that is not of small order.
    static func validate(_ encoding: [UInt8]) throws(CryptoError) {
        guard encoding.count == 32 else { throw .invalidKey("an Ed25519 public key is 32 bytes") }
        var y = encoding
        y[31] &= 0x7F  // the sign of x
        guard !smallOrderYCoordinates.contains(y) else {
            throw .invalidKey("the Ed25519 public key is a point of small order")
        }
        // RFC 8032 §5.1.3 step 1: y < p = 2^255 − 19 (little-endian: ED FF … FF 7F).
        if y[31] == 0x7F, y[1..<31].allSatisfy({ $0 == 0xFF }), y[0] >= 0xED {
            throw .invalidKey("the Ed25519 public key is not canonically encoded")
        }
        // Steps 2–4: x² = (y² − 1) / (d·y² + 1) must be a square modulo p. (x = 0, the only
        // case where the sign bit can be wrong, means y = ±1: refused above.)
        guard try xSquaredIsSquare(y) else {
            throw .invalidKey("the Ed25519 public key is not a point of the curve")
        }
    }

    /// Whether (y² − 1) / (d·y² + 1) is a square modulo p, with d = −121665/121666 (RFC 8032
    /// §5.1), by its Kronecker symbol.
    private static func xSquaredIsSquare(_ y: [UInt8]) throws(CryptoError) -> Bool {
        guard let context = BN_CTX_new() else { throw .internalFailure("out of memory") }
        defer { BN_CTX_free(context) }
        BN_CTX_start(context)
        defer { BN_CTX_end(context) }
        guard let p = BN_CTX_get(context), let d = BN_CTX_get(context), let t = BN_CTX_get(context),
            let yy = BN_CTX_get(context), let u = BN_CTX_get(context), let v = BN_CTX_get(context),
            let x2 = BN_CTX_get(context), let one = BN_value_one()
        else { throw .internalFailure("out of memory") }
        // p = 2^255 − 19 (BN_CTX_get hands out zeroes).
        guard BN_set_bit(p, 255) == 1, BN_sub_word(p, 19) == 1,
            // d = −121665 · 121666⁻¹ mod p
            BN_set_word(t, 121_666) == 1, BN_mod_inverse(d, t, p, context) != nil,
            BN_mul_word(d, 121_665) == 1, BN_nnmod(d, d, p, context) == 1, BN_sub(d, p, d) == 1,
            // y², then u = y² − 1 and v = d·y² + 1 (never 0: −1/d is not a square)
            y.withUnsafeBufferPointer({ BN_lebin2bn($0.baseAddress, 32, yy) }) != nil,
            BN_mod_sqr(yy, yy, p, context) == 1, BN_mod_sub(u, yy, one, p, context) == 1,
            BN_mod_mul(v, d, yy, p, context) == 1, BN_mod_add(v, v, one, p, context) == 1,
            // x² = u · v⁻¹
            BN_mod_inverse(t, v, p, context) != nil, BN_mod_mul(x2, u, t, p, context) == 1
        else { throw .internalFailure("Ed25519 point arithmetic failed") }
        let symbol = BN_kronecker(x2, p, context)
        guard symbol != -2 else { throw .internalFailure("Ed25519 point arithmetic failed") }
        return symbol >= 0
    }
}
