internal import COpenSSL

/// One-shot `EVP_DigestSign`/`EVP_DigestVerify` with every parameter of a ``SignatureScheme``
/// set explicitly (never OpenSSL's defaults, never "auto" PSS salt lengths).
enum SignatureOperation {
    private static func digest(of scheme: SignatureScheme) -> Digest? {
        switch scheme {
        case .rsaPKCS1v15(let digest), .rsaPSS(let digest), .ecdsa(let digest): digest
        case .ed25519: nil
        }
    }

    /// Sets padding, salt length and MGF1 digest for RSA schemes on an initialised context.
    private static func configure(_ keyContext: OpaquePointer?, scheme: SignatureScheme) -> Bool {
        switch scheme {
        case .rsaPKCS1v15:
            return EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PADDING) == 1
        case .rsaPSS(let digest):
            return EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PSS_PADDING) == 1
                && EVP_PKEY_CTX_set_rsa_pss_saltlen(keyContext, Int32(digest.byteCount)) == 1
                && EVP_PKEY_CTX_set_rsa_mgf1_md(keyContext, digest.evpMD) == 1
        case .ecdsa, .ed25519:
            return true
        }
    }

    /// `true` only for a signature that verifies; every failure clears OpenSSL's queue.
    static func verify(key: EVPKey, scheme: SignatureScheme, signature: [UInt8], message: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else {
            OpenSSLErrorQueue.clear()
            return false
        }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer? = nil
        guard EVP_DigestVerifyInit(context, &keyContext, digest(of: scheme)?.evpMD, nil, key.pointer) == 1,
            configure(keyContext, scheme: scheme)
        else {
            OpenSSLErrorQueue.clear()
            return false
        }
        let result = withNonNullBytes(signature) { sig, sigCount in
            withNonNullBytes(message) { msg, msgCount in
                EVP_DigestVerify(context, sig, sigCount, msg, msgCount)
            }
        }
        if result != 1 { OpenSSLErrorQueue.clear() }
        return result == 1
    }

    /// The signature as OpenSSL produces it (DER for ECDSA).
    static func sign(key: EVPKey, scheme: SignatureScheme, message: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw .signingFailed("out of memory") }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer? = nil
        guard EVP_DigestSignInit(context, &keyContext, digest(of: scheme)?.evpMD, nil, key.pointer) == 1,
            configure(keyContext, scheme: scheme)
        else { throw .signingFailed("could not set up the signature") }
        var length = 0
        let sized = withNonNullBytes(message) { msg, count in EVP_DigestSign(context, nil, &length, msg, count) }
        guard sized == 1, length > 0 else { throw .signingFailed("could not size the signature") }
        var out = [UInt8](repeating: 0, count: length)
        let signed = out.withUnsafeMutableBufferPointer { buffer in
            withNonNullBytes(message) { msg, count in EVP_DigestSign(context, buffer.baseAddress, &length, msg, count) }
        }
        guard signed == 1, length <= out.count else { throw .signingFailed("OpenSSL could not sign") }
        out.removeLast(out.count - length)
        return out
    }
}
