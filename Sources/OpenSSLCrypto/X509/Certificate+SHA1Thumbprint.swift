internal import COpenSSL

extension Certificate {
    /// SHA-1 of the DER, only to compare with a JWS `x5t` header (RFC 7515 §4.1.7), which
    /// must name the `x5c` leaf when present; never used to identify or trust anything.
    public var sha1ThumbprintForComparison: [UInt8] {
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
            return []  // compares equal to no 20-byte header value
        }
        return out
    }
}
