/// A secret key for HMAC-SHA-256 (RFC 2104), used where the server must recognise a value it
/// made without storing the value: client secrets (and later registration access tokens) are
/// stored as MACs under a key derived from the key-encryption key, so a copy of the database
/// alone lets no one test guesses, and checking a presented secret costs one HMAC, not a
/// password hash (the secrets are server-generated with 256 bits, RFC 6819 §5.1.4.2.2).
public struct MACKey: Sendable {
    private let secret: SecretBytes

    /// Length of an HMAC-SHA-256 tag in bytes.
    public static let tagByteCount = HMACSHA256.byteCount

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
    public func authenticationCode(for message: some Collection<UInt8>) throws(CryptoError) -> [UInt8] {
        try HMACSHA256.tag(key: secret, message: Array(message))
    }

    /// Whether `tag` is the HMAC-SHA-256 of `message`, compared in constant time.
    public func isValid(_ tag: some Collection<UInt8>, for message: some Collection<UInt8>) -> Bool {
        guard let expected = try? authenticationCode(for: message) else { return false }
        return constantTimeEquals(expected, tag)
    }
}

extension KeyEncryptionKey {
    /// A MAC key for one `purpose` (such as `"client-secret"`), derived from this key with
    /// HKDF-Expand (RFC 5869 §2.3) under its own label: the operator keeps one secret, and each
    /// use gets an independent key.
    public func derivedMACKey(purpose: String) throws(CryptoError) -> MACKey {
        MACKey(
            secret: try HMACSHA256.expand(pseudorandomKey: secret, info: Array("credence/v1/kek/\(purpose)".utf8))
                .wipeAtExit()
        )
    }
}
