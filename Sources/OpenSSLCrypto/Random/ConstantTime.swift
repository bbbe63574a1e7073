internal import COpenSSL

/// Compares two byte strings in time that depends only on their lengths, for secrets such as
/// client secrets, registration access tokens and their hashes (never `==` on a secret).
///
/// A length difference returns `false` at once: lengths are not secret here (compare digests of
/// secrets, which have a fixed length, when they could be).
public func constantTimeEquals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
    let left = Array(lhs)
    let right = Array(rhs)
    guard left.count == right.count else { return false }
    guard !left.isEmpty else { return true }
    return left.withUnsafeBytes { l in
        right.withUnsafeBytes { r in
            CRYPTO_memcmp(l.baseAddress, r.baseAddress, l.count) == 0
        }
    }
}
