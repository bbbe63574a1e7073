internal import COpenSSL

extension Certificate {
    /// SHA-1 of the DER, only to compare with a JWS `x5t` header (RFC 7515 §4.1.7), which
    /// must name the `x5c` leaf when present; never used to identify or trust anything.
    /// `nil` if OpenSSL cannot compute SHA-1 (a provider without it): never an empty value that
    /// an empty header would equal.
    public var sha1ThumbprintForComparison: [UInt8]? {
        var out = [UInt8](repeating: 0, count: 20)
        var length: UInt32 = 0
        let der = derEncoded
        let ok = der.withUnsafeBytes { input in
            out.withUnsafeMutableBytes { output in
                EVP_Digest(
                    input.baseAddress,
                    input.count,
                    output.baseAddress?.assumingMemoryBound(to: UInt8.self),
                    &length,
                    EVP_sha1(),
                    nil
                )
            }
        }
        guard ok == 1, length == 20 else {
            OpenSSLErrorQueue.drain()
            return nil
        }
        return out
    }

    /// Whether `thumbprint` is this certificate's SHA-1 thumbprint (an `x5t` header, RFC 7515
    /// §4.1.7): exactly 20 bytes, equal in constant time. False when SHA-1 cannot be computed,
    /// so a failure never matches anything.
    public func hasSHA1Thumbprint(_ thumbprint: [UInt8]) -> Bool {
        guard thumbprint.count == 20, let own = sha1ThumbprintForComparison, own.count == 20 else { return false }
        return constantTimeEquals(own, thumbprint)
    }
}
