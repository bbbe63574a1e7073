internal import COpenSSL

/// Owns one `EVP_PKEY` and frees it with the last reference.
///
/// `@unchecked Sendable`: the handle is never mutated after construction, and OpenSSL 3 allows
/// concurrent signing and verification with one `EVP_PKEY` (each operation has its own context).
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// What the key is, or `nil` for a key type or curve that JOSE does not use.
    func kind() -> KeyKind? {
        switch EVP_PKEY_get_base_id(pointer) {
        case EVP_PKEY_RSA:
            return .rsa(bits: Int(EVP_PKEY_get_bits(pointer)))
        case EVP_PKEY_EC:
            var buffer = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_group_name(pointer, &buffer, buffer.count, &length) == 1 else {
                OpenSSLErrorQueue.clear()
                return nil
            }
            let name = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            return EllipticCurve(openSSLGroupName: name).map { .ec($0) }
        case EVP_PKEY_ED25519:
            return .ed25519
        default:
            return nil
        }
    }

    /// The key's kind if policy accepts it: RSA within ``RSAKeyPolicy``, the JOSE curves, Ed25519.
    func acceptedKind() throws(CryptoError) -> KeyKind {
        guard let kind = kind() else {
            throw .unsupportedKey("key type or curve not supported (RSA, P-256, P-384, P-521, Ed25519 only)")
        }
        if case .rsa(let bits) = kind {
            guard bits >= RSAKeyPolicy.minimumBits else {
                throw .unsupportedKey("RSA key of \(bits) bits refused: the minimum is \(RSAKeyPolicy.minimumBits)")
            }
            guard bits <= RSAKeyPolicy.maximumBits else {
                throw .unsupportedKey("RSA key of \(bits) bits refused: the maximum is \(RSAKeyPolicy.maximumBits)")
            }
        }
        return kind
    }

    /// DER SubjectPublicKeyInfo of the public part.
    func subjectPublicKeyInfoDER() throws(CryptoError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>? = nil
        let length = i2d_PUBKEY(pointer, &out)
        guard length > 0, let out else { throw .internalFailure("could not encode the public key") }
        defer { COpenSSL_OPENSSL_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// A BIGNUM parameter as unsigned big-endian bytes, left-padded to `width` when given.
    func bigNumberParameter(_ name: String, width: Int? = nil) throws(CryptoError) -> [UInt8] {
        var number: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(pointer, name, &number) == 1, let number else {
            throw .internalFailure("could not read key parameter \(name)")
        }
        defer { BN_free(number) }
        let natural = Int((BN_num_bits(number) + 7) / 8)
        let count = max(width ?? natural, natural)
        var out = [UInt8](repeating: 0, count: count)
        let written = out.withUnsafeMutableBufferPointer { BN_bn2binpad(number, $0.baseAddress, Int32(count)) }
        guard written == count else { throw .internalFailure("could not encode key parameter \(name)") }
        return out
    }

    /// The raw public key of an Ed25519 key (RFC 8032 §5.1.5 encoding).
    func rawPublicKey() throws(CryptoError) -> [UInt8] {
        var length = 0
        guard EVP_PKEY_get_raw_public_key(pointer, nil, &length) == 1 else {
            throw .internalFailure("could not read the raw public key")
        }
        var out = [UInt8](repeating: 0, count: length)
        guard out.withUnsafeMutableBufferPointer({ EVP_PKEY_get_raw_public_key(pointer, $0.baseAddress, &length) }) == 1
        else { throw .internalFailure("could not read the raw public key") }
        return Array(out.prefix(length))
    }
}

/// Runs `body` with a pointer that is never null (OpenSSL rejects a null buffer even when its
/// length is zero in some calls), and the byte count.
@inline(__always)
func withNonNullBytes<R>(_ bytes: [UInt8], _ body: (UnsafePointer<UInt8>, Int) -> R) -> R {
    bytes.withUnsafeBufferPointer { buffer in
        if let base = buffer.baseAddress, !buffer.isEmpty { return body(base, buffer.count) }
        var zero: UInt8 = 0
        return withUnsafePointer(to: &zero) { body($0, 0) }
    }
}
