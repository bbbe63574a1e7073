internal import COpenSSL

/// Conversions between JOSE's raw `R || S` ECDSA signatures (RFC 7518 §3.4) and the DER
/// `ECDSA-Sig-Value` OpenSSL computes with.
enum ECDSASignature {
    /// DER from raw: the length must be exactly twice the coordinate length, and neither half
    /// may be zero (CVE-2022-21449: `r = s = 0` must never verify; OpenSSL also refuses it).
    static func der(fromRaw raw: [UInt8], curve: EllipticCurve) -> [UInt8]? {
        let half = curve.coordinateByteCount
        guard raw.count == 2 * half else { return nil }
        guard raw[0..<half].contains(where: { $0 != 0 }), raw[half...].contains(where: { $0 != 0 }) else {
            return nil
        }
        guard let signature = ECDSA_SIG_new() else { return nil }
        defer { ECDSA_SIG_free(signature) }
        let numbers: (OpaquePointer?, OpaquePointer?) = raw.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return (nil, nil) }
            return (BN_bin2bn(base, Int32(half), nil), BN_bin2bn(base + half, Int32(half), nil))
        }
        guard let r = numbers.0, let s = numbers.1 else {
            BN_free(numbers.0)
            BN_free(numbers.1)
            OpenSSLErrorQueue.clear()
            return nil
        }
        guard ECDSA_SIG_set0(signature, r, s) == 1 else {  // takes ownership of r and s on success
            BN_free(r)
            BN_free(s)
            OpenSSLErrorQueue.clear()
            return nil
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_ECDSA_SIG(signature, &out)
        guard length > 0, let out else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        defer { COpenSSL_OPENSSL_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// Raw from DER, each half left-padded to the coordinate length.
    static func raw(fromDER der: [UInt8], curve: EllipticCurve) -> [UInt8]? {
        let half = curve.coordinateByteCount
        let decoded: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_ECDSA_SIG(nil, &cursor, buffer.count)
        }
        guard let signature = decoded else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        defer { ECDSA_SIG_free(signature) }
        var r: OpaquePointer? = nil
        var s: OpaquePointer? = nil
        ECDSA_SIG_get0(signature, &r, &s)
        guard let r, let s else { return nil }
        var out = [UInt8](repeating: 0, count: 2 * half)
        let ok = out.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return BN_bn2binpad(r, base, Int32(half)) == half && BN_bn2binpad(s, base + half, Int32(half)) == half
        }
        guard ok else {
            OpenSSLErrorQueue.clear()
            return nil
        }
        return out
    }
}
