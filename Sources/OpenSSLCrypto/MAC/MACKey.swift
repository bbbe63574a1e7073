internal import COpenSSL

/// A secret key for HMAC-SHA-256 (RFC 2104), used where the server must recognise a value it
/// made without storing the value: client secrets and registration access tokens are stored
/// as MACs under a key derived from the key-encryption key, so a copy of the database alone
/// lets no one test guesses, and checking a presented secret costs one HMAC, not a password
/// hash (the secrets are server-generated with at least 128 bits, RFC 6819 §5.1.4.2.2).
public struct MACKey: Sendable {
    let secret: SecretBytes

    /// Length of an HMAC-SHA-256 tag in bytes.
    public static let tagByteCount = 32

    /// Wraps key material of at least 32 bytes.
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count >= 32 else { throw CryptoError(.invalidKeyLength, "a MAC key is at least 32 bytes") }
        secret = bytes.withUnsafeBufferPointer { SecretBytes(copying: $0) }
    }

    init(secret: SecretBytes) {
        self.secret = secret
    }

    /// A new random key (tests, and keys that need not survive a restart).
    public static func generate() throws(CryptoError) -> MACKey {
        try MACKey(bytes: SecureRandom.bytes(count: 32))
    }

    /// HMAC-SHA-256 of `message` under this key.
    public func authenticationCode(for message: some Collection<UInt8>) -> [UInt8] {
        Self.hmacSHA256(key: secret, message: Array(message))
    }

    /// Whether `tag` is the HMAC-SHA-256 of `message`, compared in constant time.
    public func isValid(_ tag: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool {
        constantTimeEquals(authenticationCode(for: message), tag)
    }

    /// HKDF-Expand (RFC 5869 §2.3) with SHA-256 for one 32-byte block: the key for one
    /// purpose (`info`), independent of the keys for every other purpose.
    func derived(info: [UInt8]) -> MACKey {
        let block = Self.hmacSHA256(key: secret, message: info + [0x01])
        return MACKey(secret: block.withUnsafeBufferPointer { SecretBytes(copying: $0) })
    }

    static func hmacSHA256(key: SecretBytes, message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: tagByteCount)
        var length: UInt32 = 0
        let result = key.withBytes { keyBytes in
            message.withUnsafeBufferPointer { input in
                out.withUnsafeMutableBufferPointer { output in
                    HMAC(
                        Digest.sha256.evpMD,
                        keyBytes.baseAddress,
                        Int32(keyBytes.count),
                        input.baseAddress,
                        input.count,
                        output.baseAddress,
                        &length
                    )
                }
            }
        }
        // HMAC over a built-in SHA-256 fails only when memory is exhausted, never by input.
        precondition(result != nil && Int(length) == tagByteCount, "OpenSSL HMAC-SHA-256 failed")
        return out
    }
}

extension KeyEncryptionKey {
    /// A MAC key for one `purpose` (such as `"client-secret"`), derived from this key with
    /// HKDF-Expand: the operator keeps one secret, and each use gets an independent key.
    public func derivedMACKey(purpose: String) -> MACKey {
        MACKey(secret: secret).derived(info: Array("credence/v1/\(purpose)".utf8))
    }
}
