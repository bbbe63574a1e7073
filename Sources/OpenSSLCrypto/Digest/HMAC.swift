internal import COpenSSL

/// HMAC-SHA-256 (RFC 2104, FIPS 198-1) through OpenSSL's `EVP_Q_mac`; internal, used by the
/// key-encryption key for its derived keys and record tags, so the MAC key never leaves
/// secret memory.
enum HMACSHA256 {
    static let byteCount = 32

    /// Writes `HMAC(key, message)` into `output`, which must hold ``byteCount`` bytes.
    static func authenticate(
        key: UnsafeBufferPointer<UInt8>,
        message: UnsafeBufferPointer<UInt8>,
        into output: UnsafeMutableBufferPointer<UInt8>
    ) throws(CryptoError) {
        precondition(output.count >= byteCount)
        var length = 0
        var empty: UInt8 = 0
        let result = withUnsafePointer(to: &empty) { placeholder in
            EVP_Q_mac(
                nil,
                "HMAC",
                nil,
                "SHA256",
                nil,
                key.baseAddress ?? UnsafePointer(placeholder),
                key.count,
                message.baseAddress ?? UnsafePointer(placeholder),
                message.count,
                output.baseAddress,
                output.count,
                &length
            )
        }
        guard result != nil, length == byteCount else {
            throw CryptoError(.internalFailure, "HMAC-SHA-256 failed", detail: OpenSSLErrorQueue.drain())
        }
    }

    /// `HMAC(key, message)` as a new array (for tags, which are not secret once computed).
    static func tag(key: SecretBytes, message: [UInt8]) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: byteCount)
        try key.withBytes { (keyBytes) throws(CryptoError) in
            try message.withUnsafeBufferPointer { (messageBytes) throws(CryptoError) in
                try out.withUnsafeMutableBufferPointer { (output) throws(CryptoError) in
                    try authenticate(key: keyBytes, message: messageBytes, into: output)
                }
            }
        }
        return out
    }

    /// HKDF-Expand (RFC 5869 §2.3) for one block: `T(1) = HMAC(PRK, info || 0x01)`, written into
    /// secret memory. The key-encryption key is 32 uniformly random bytes, so it serves as the
    /// pseudorandom key directly (RFC 5869 §3.3: the extract step may be skipped).
    static func expand(pseudorandomKey: SecretBytes, info: [UInt8]) throws(CryptoError) -> SecretBytes {
        let derived = SecretBytes(count: byteCount)
        let message = info + [0x01]
        var failure: CryptoError?
        pseudorandomKey.withBytes { (keyBytes: UnsafeBufferPointer<UInt8>) in
            message.withUnsafeBufferPointer { messageBytes in
                derived.withMutableBytes { output in
                    do throws(CryptoError) {
                        try authenticate(key: keyBytes, message: messageBytes, into: output)
                    } catch {
                        failure = error
                    }
                }
            }
        }
        if let failure { throw failure }
        return derived
    }
}
