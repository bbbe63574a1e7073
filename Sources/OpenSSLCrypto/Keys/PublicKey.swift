internal import COpenSSL

/// A public key that verifies signatures: RSA (2048–8192 bits), EC on P-256/P-384/P-521, or
/// Ed25519. Opaque: built from JWK-style components or SubjectPublicKeyInfo, never from a C type.
///
/// Every initializer applies the same policy (``RSAKeyPolicy``, the JOSE curves only) and the
/// same validation (no RSA modulus that is prime or a prime power, no EC point off its curve, no
/// small-order or non-canonical Ed25519 key: keys anyone could sign for), so a key that exists
/// is a key the project accepts.
public struct PublicKey: Sendable {
    let handle: EVPKey
    /// What the key is: RSA with its size, EC with its curve, or Ed25519.
    public let kind: KeyKind
    // The two component byte strings (n and e, x and y, x and nothing), kept as plain fields
    // rather than in the enum: an enum payload holds its tag in pointer spare bits, which
    // LeakSanitizer cannot follow when fuzzing.
    private let first: [UInt8]
    private let second: [UInt8]

    /// The public components, for JWK export and thumbprints (RFC 7518 §6).
    public var components: PublicKeyComponents {
        switch kind {
        case .rsa: .rsa(modulus: first, exponent: second)
        case .ec(let curve): .ec(curve: curve, x: first, y: second)
        case .ed25519: .ed25519(x: first)
        }
    }

    init(handle: EVPKey) throws(CryptoError) {
        self.handle = handle
        self.kind = try handle.acceptedKind()
        try handle.validatePublicKey(kind)
        switch kind {
        case .rsa:
            first = try handle.bigNumberParameter("n")
            second = try handle.bigNumberParameter("e")
        case .ec(let curve):
            first = try handle.bigNumberParameter("qx", width: curve.coordinateByteCount)
            second = try handle.bigNumberParameter("qy", width: curve.coordinateByteCount)
        case .ed25519:
            first = try handle.rawPublicKey()
            second = []
        }
    }

    /// Parses a DER `SubjectPublicKeyInfo` (RFC 5280 §4.1.2.7), as an X.509 certificate carries it.
    ///
    /// Trailing bytes after the structure are refused.
    public init(subjectPublicKeyInfoDER der: [UInt8]) throws(CryptoError) {
        let parsed: (OpaquePointer?, Int) = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let key = d2i_PUBKEY(nil, &cursor, buffer.count)
            let consumed = (cursor.map { $0 - (buffer.baseAddress ?? $0) }) ?? 0
            return (key, consumed)
        }
        guard let pointer = parsed.0 else { throw .invalidKey("not a DER SubjectPublicKeyInfo") }
        let handle = EVPKey(taking: pointer)
        guard parsed.1 == der.count else { throw .invalidKey("trailing bytes after the SubjectPublicKeyInfo") }
        try self.init(handle: handle)
    }

    /// Parses a PEM `PUBLIC KEY` block (RFC 7468 §13).
    public init(pem: String) throws(CryptoError) {
        let bytes = Array(pem.utf8)
        let pointer: OpaquePointer? = withNonNullBytes(bytes) { base, count in
            guard let bio = BIO_new_mem_buf(base, Int32(count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let pointer else { throw .invalidKey("not a PEM PUBLIC KEY") }
        try self.init(handle: EVPKey(taking: pointer))
    }

    /// Builds an RSA public key from its modulus and exponent as unsigned big-endian bytes
    /// (RFC 7518 §6.3.1: JWK `n`, `e`). The modulus must not be prime, a prime power or have a
    /// small factor; the exponent must be odd, at least 3 and at most 64 bits.
    public init(rsaModulus modulus: [UInt8], exponent: [UInt8]) throws(CryptoError) {
        guard let first = modulus.first, first != 0 else {
            throw .invalidKey("RSA modulus empty or with a leading zero byte")
        }
        guard modulus.count * 8 <= RSAKeyPolicy.maximumBits else {
            throw .unsupportedKey("RSA modulus longer than \(RSAKeyPolicy.maximumBits) bits")
        }
        guard let last = exponent.last, let lead = exponent.first, lead != 0, exponent.count <= 8 else {
            throw .invalidKey("RSA exponent empty, with a leading zero byte, or longer than 64 bits")
        }
        guard last & 1 == 1, exponent != [1] else { throw .invalidKey("RSA exponent must be odd and greater than 1") }
        try self.init(
            handle: try KeyBuilder.publicKey(type: "RSA") { (builder: inout KeyBuilder) throws(CryptoError) in
                try builder.pushBigNumber("n", modulus)
                try builder.pushBigNumber("e", exponent)
            }
        )
    }

    /// Builds an EC public key from its affine coordinates, each exactly the curve's coordinate
    /// length (RFC 7518 §6.2.1.2, §6.2.1.3: JWK `x`, `y`); the point must be on the curve.
    public init(curve: EllipticCurve, x: [UInt8], y: [UInt8]) throws(CryptoError) {
        let width = curve.coordinateByteCount
        guard x.count == width, y.count == width else {
            throw .invalidKey("EC coordinates must be exactly \(width) bytes for \(curve.groupName)")
        }
        let point = [0x04] + x + y
        try self.init(
            handle: try KeyBuilder.publicKey(type: "EC") {
                (builder: inout KeyBuilder) throws(CryptoError) in
                try builder.pushString("group", curve.groupName)
                try builder.pushOctets("pub", point)
            }
        )
    }

    /// Builds an Ed25519 public key from its 32-byte encoding (RFC 8037 §2: JWK `x`): a
    /// canonical encoding (RFC 8032 §5.1.3) of a curve point that is not of small order.
    public init(ed25519 x: [UInt8]) throws(CryptoError) {
        guard x.count == 32 else { throw .invalidKey("an Ed25519 public key is 32 bytes") }
        let pointer = x.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32)
        }
        guard let pointer else { throw .invalidKey("not an Ed25519 public key") }
        try self.init(handle: EVPKey(taking: pointer))
    }

    /// The DER `SubjectPublicKeyInfo`, to compare with a certificate's key or to export as PEM.
    public func subjectPublicKeyInfoDER() throws(CryptoError) -> [UInt8] {
        try handle.subjectPublicKeyInfoDER()
    }

    /// The PEM `PUBLIC KEY` text (RFC 7468 §13), for operators and configuration files.
    public func pem() throws(CryptoError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw .internalFailure("out of memory") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PUBKEY(bio, handle.pointer) == 1 else { throw .internalFailure("could not write PEM") }
        var data: UnsafeMutablePointer<CChar>? = nil
        let length = COpenSSL_BIO_get_mem_data(bio, &data)
        guard length > 0, let data else { throw .internalFailure("could not read PEM") }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: Int(length)), as: UTF8.self)
    }

    /// Verifies `signature` over `message` with `scheme`.
    ///
    /// Returns `false`, never throws, for anything that is not a valid signature: a scheme that
    /// does not fit the key, a signature of the wrong length, a malformed or forged signature.
    public func verify(signature: [UInt8], message: [UInt8], scheme: SignatureScheme) -> Bool {
        guard scheme.fits(kind) else { return false }
        let signatureBytes: [UInt8]
        switch (scheme, kind) {
        case (.ecdsa, .ec(let curve)):
            guard let der = ECDSASignature.der(fromRaw: signature, curve: curve) else { return false }
            signatureBytes = der
        case (.rsaPKCS1v15, .rsa(let bits)), (.rsaPSS, .rsa(let bits)):
            // RFC 8017 §8.1.2 and §8.2.2, step 1: the signature is exactly k bytes long.
            guard signature.count == (bits + 7) / 8 else { return false }
            signatureBytes = signature
        case (.ed25519, _):
            guard signature.count == 64 else { return false }
            signatureBytes = signature
        default:
            return false
        }
        return SignatureOperation.verify(
            key: handle,
            scheme: scheme,
            signature: signatureBytes,
            message: message
        )
    }
}

/// The public parts of a key, in the unsigned big-endian form JWK members carry (RFC 7518 §6,
/// RFC 8037 §2).
public enum PublicKeyComponents: Sendable, Hashable {
    /// RSA modulus `n` and exponent `e`, without leading zero bytes.
    case rsa(modulus: [UInt8], exponent: [UInt8])
    /// EC curve and coordinates, each exactly the curve's coordinate length.
    case ec(curve: EllipticCurve, x: [UInt8], y: [UInt8])
    /// The 32-byte Ed25519 public key.
    case ed25519(x: [UInt8])
}
