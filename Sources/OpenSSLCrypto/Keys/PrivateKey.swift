internal import COpenSSL

/// A private signing key (RSA, EC on a JOSE curve, or Ed25519) that signs but never shows its
/// private members: the only way out is ``KeyEncryptionKey/seal(_:associatedData:)``.
public struct PrivateKey: Sendable {
    let handle: EVPKey
    /// The matching public key, for JWKS publication and self-checks.
    public let publicKey: PublicKey

    /// What the key is.
    public var kind: KeyKind { publicKey.kind }

    init(handle: EVPKey) throws(CryptoError) {
        // Derive the public key through SPKI so it is an independent, public-only EVP_PKEY.
        self.handle = handle
        self.publicKey = try PublicKey(subjectPublicKeyInfoDER: handle.subjectPublicKeyInfoDER())
    }

    /// Generates a fresh key: `.ec(.p256)`, `.rsa(bits: 2048)` or `3072`, `.ed25519`, ...
    ///
    /// RSA sizes outside ``RSAKeyPolicy`` are refused.
    public static func generate(_ kind: KeyKind) throws(CryptoError) -> PrivateKey {
        let typeName: String
        switch kind {
        case .rsa(let bits):
            guard bits >= RSAKeyPolicy.minimumBits, bits <= RSAKeyPolicy.maximumBits else {
                throw CryptoError(.unsupportedKey, "RSA key size \(bits) outside 2048...8192 bits")
            }
            typeName = "RSA"
        case .ec: typeName = "EC"
        case .ed25519: typeName = "ED25519"
        }
        guard let context = EVP_PKEY_CTX_new_from_name(nil, typeName, nil) else {
            throw .internalFailure("no OpenSSL key management for \(typeName)")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw .internalFailure("key generation set-up failed") }
        switch kind {
        case .rsa(let bits):
            guard EVP_PKEY_CTX_set_rsa_keygen_bits(context, Int32(bits)) == 1 else {
                throw .internalFailure("could not set the RSA key size")
            }
        case .ec(let curve):
            guard EVP_PKEY_CTX_set_group_name(context, curve.groupName) == 1 else {
                throw .internalFailure("could not set the curve")
            }
        case .ed25519: break
        }
        var key: OpaquePointer? = nil
        guard EVP_PKEY_generate(context, &key) == 1, let key else { throw .internalFailure("key generation failed") }
        return try PrivateKey(handle: EVPKey(taking: key))
    }

    /// Reads a PEM private key: PKCS#8 `PRIVATE KEY` (RFC 5958), or the traditional
    /// `RSA PRIVATE KEY` / `EC PRIVATE KEY` forms, for fixtures and operator-provided keys.
    ///
    /// Encrypted PEM is refused with ``CryptoError/Code/encryptedKey`` (no passphrase prompt is
    /// ever shown); the key must pass the same policy as public keys.
    public init(pkcs8PEM pem: String) throws(CryptoError) {
        // RFC 7468 §11 (PKCS#8 EncryptedPrivateKeyInfo) and RFC 1421 §4.6.1.1 (legacy PEM).
        if pem.contains("-----BEGIN ENCRYPTED PRIVATE KEY-----") || pem.contains("Proc-Type: 4,ENCRYPTED") {
            throw CryptoError(.encryptedKey, "the PEM private key is encrypted (passphrase-protected)")
        }
        let bytes = Array(pem.utf8)
        let pointer: OpaquePointer? = withNonNullBytes(bytes) { base, count in
            guard let bio = BIO_new_mem_buf(base, Int32(count)) else { return nil }
            defer { BIO_free(bio) }
            // A callback that refuses to give a passphrase: OpenSSL's default would read the tty.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil)
        }
        guard let pointer else { throw .invalidKey("not an unencrypted PEM private key") }
        try self.init(handle: EVPKey(taking: pointer))
    }

    /// Signs `message` with `scheme`; ECDSA signatures come out as raw `R || S` (RFC 7518 §3.4).
    public func sign(message: [UInt8], scheme: SignatureScheme) throws(CryptoError) -> [UInt8] {
        guard scheme.fits(kind) else {
            throw .keySchemeMismatch("a \(kind) key cannot sign with \(scheme)")
        }
        let signature = try SignatureOperation.sign(key: handle, scheme: scheme, message: message)
        guard case .ec(let curve) = kind else { return signature }
        guard let raw = ECDSASignature.raw(fromDER: signature, curve: curve) else {
            throw .signingFailed("could not convert the ECDSA signature")
        }
        return raw
    }

    /// PKCS#8 DER of the private key: internal, for sealing only.
    func pkcs8DER() throws(CryptoError) -> SecretBytes {
        guard let info = EVP_PKEY2PKCS8(handle.pointer) else { throw .internalFailure("could not encode the key") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PKCS8_PRIV_KEY_INFO(info, &out)
        guard length > 0, let out else { throw .internalFailure("could not encode the key") }
        defer {
            OPENSSL_cleanse(out, Int(length))
            COpenSSL_OPENSSL_free(out)
        }
        return SecretBytes(copying: UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// Reads PKCS#8 DER produced by ``pkcs8DER()``.
    init(pkcs8DER der: SecretBytes) throws(CryptoError) {
        let pointer: OpaquePointer? = der.withBytes { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, buffer.count) else { return nil }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            guard cursor == buffer.baseAddress.map({ $0 + buffer.count }) else { return nil }
            return EVP_PKCS82PKEY(info)
        }
        guard let pointer else { throw .invalidKey("sealed data does not hold a PKCS#8 private key") }
        try self.init(handle: EVPKey(taking: pointer))
    }
}

extension PrivateKey: CustomStringConvertible {
    /// Names the kind only: a private key never prints its material.
    public var description: String { "PrivateKey(\(kind))" }
}
