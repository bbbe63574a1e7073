internal import COpenSSL

/// AES-256-GCM (NIST SP 800-38D) with a 96-bit nonce and a 128-bit tag, through OpenSSL's EVP.
enum AESGCM {
    static let keyByteCount = 32
    static let nonceByteCount = 12
    static let tagByteCount = 16

    /// Returns `ciphertext || tag`.
    static func seal(
        key: SecretBytes,
        nonce: [UInt8],
        plaintext: UnsafeBufferPointer<UInt8>,
        associatedData: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        guard let context = EVP_CIPHER_CTX_new() else { throw .internalFailure("out of memory") }
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        var length: Int32 = 0
        let ok: Bool = key.withBytes { keyBytes in
            guard EVP_EncryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceByteCount), nil) == 1,
                EVP_EncryptInit_ex(context, nil, nil, keyBytes.baseAddress, nonce) == 1
            else { return false }
            if !associatedData.isEmpty {
                guard EVP_EncryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)) == 1
                else { return false }
            }
            return output.withUnsafeMutableBufferPointer { out -> Bool in
                guard let base = out.baseAddress else { return false }
                var written: Int32 = 0
                if plaintext.count > 0 {
                    guard EVP_EncryptUpdate(context, base, &written, plaintext.baseAddress, Int32(plaintext.count)) == 1
                    else { return false }
                }
                var final: Int32 = 0
                guard EVP_EncryptFinal_ex(context, base + Int(written), &final) == 1,
                    Int(written + final) == plaintext.count
                else { return false }
                return EVP_CIPHER_CTX_ctrl(
                    context,
                    EVP_CTRL_GCM_GET_TAG,
                    Int32(tagByteCount),
                    base + plaintext.count
                ) == 1
            }
        }
        guard ok else { throw .internalFailure("AES-256-GCM encryption failed") }
        return output
    }

    /// Decrypts `ciphertext || tag` into secret memory, or throws ``CryptoError/Code/authenticationFailed``.
    static func open(
        key: SecretBytes,
        nonce: ArraySlice<UInt8>,
        sealed: ArraySlice<UInt8>,
        associatedData: [UInt8]
    ) throws(CryptoError) -> SecretBytes {
        guard sealed.count >= tagByteCount else { throw .malformedSealedData("sealed data too short") }
        let ciphertext = Array(sealed.dropLast(tagByteCount))
        var tag = Array(sealed.suffix(tagByteCount))
        let nonceBytes = Array(nonce)
        guard let context = EVP_CIPHER_CTX_new() else { throw .internalFailure("out of memory") }
        defer { EVP_CIPHER_CTX_free(context) }
        let plaintext = SecretBytes(count: ciphertext.count)
        var length: Int32 = 0
        let ok: Bool = key.withBytes { keyBytes in
            guard EVP_DecryptInit_ex(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
                EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonceByteCount), nil) == 1,
                EVP_DecryptInit_ex(context, nil, nil, keyBytes.baseAddress, nonceBytes) == 1
            else { return false }
            if !associatedData.isEmpty {
                guard EVP_DecryptUpdate(context, nil, &length, associatedData, Int32(associatedData.count)) == 1
                else { return false }
            }
            return plaintext.withMutableBytes { out -> Bool in
                var scratch: UInt8 = 0
                var written: Int32 = 0
                if !ciphertext.isEmpty {
                    guard
                        EVP_DecryptUpdate(context, out.baseAddress, &written, ciphertext, Int32(ciphertext.count)) == 1
                    else { return false }
                }
                guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, Int32(tagByteCount), &tag) == 1
                else { return false }
                var final: Int32 = 0
                let finished = withUnsafeMutablePointer(to: &scratch) { fallback in
                    EVP_DecryptFinal_ex(context, out.baseAddress.map { $0 + Int(written) } ?? fallback, &final)
                }
                return finished == 1 && Int(written + final) == ciphertext.count
            }
        }
        guard ok else { throw .authenticationFailed() }
        return plaintext
    }
}
