internal import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG, for token identifiers, secrets,
/// nonces and `jti` values.
public enum SecureRandom {
    /// Returns `count` random bytes.
    ///
    /// OpenSSL's DRBG failing means the process cannot make any secret safely; that is reported
    /// as ``CryptoError/Code/randomFailed`` rather than returning weak bytes.
    public static func bytes(count: Int) throws(CryptoError) -> [UInt8] {
        guard count > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBytes { buffer in
            RAND_bytes(buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(buffer.count))
        }
        guard ok == 1 else {
            throw CryptoError(.randomFailed, "the random generator failed", detail: OpenSSLErrorQueue.drain())
        }
        return out
    }
}
