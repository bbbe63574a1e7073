import CredenceJOSE
public import OpenSSLCrypto

/// Makes and checks client secrets (and other server-generated bearer secrets such as
/// registration access tokens). The server generates every secret with 256 bits of
/// randomness, so a fast keyed hash is as strong as a password hash would be while costing
/// one HMAC per request: the stored value is `hmac-sha256:` followed by the base64url
/// HMAC-SHA-256 of the secret under a key derived from the key-encryption key for this
/// purpose. A stolen table without the key-encryption key gives nothing to test guesses
/// against; comparison is constant-time.
public struct ClientSecretHasher: Sendable {
    private let key: MACKey
    /// Prefix of every stored hash; names the scheme so it can change later.
    public static let scheme = "hmac-sha256:"
    /// Random bytes in a generated secret (256 bits; RFC 6819 §5.1.4.2.2 asks at least 128).
    public static let secretByteCount = 32

    /// A hasher for `purpose` (`client-secret`, `registration-access-token`) under the
    /// key-encryption key.
    public init(encryptionKey: KeyEncryptionKey, purpose: String) throws {
        key = try encryptionKey.derivedMACKey(purpose: purpose)
    }

    /// A hasher over an explicit MAC key (tests).
    public init(key: MACKey) {
        self.key = key
    }

    /// A new random secret, base64url (43 characters).
    public static func generateSecret() throws -> String {
        Base64URL.encode(try SecureRandom.bytes(count: secretByteCount))
    }

    /// The value to store for `secret`.
    public func hash(_ secret: String) -> String {
        // HMAC-SHA-256 fails only when OpenSSL cannot allocate; no input makes it fail.
        Self.scheme + Base64URL.encode((try? key.authenticationCode(for: Array(secret.utf8))) ?? [])
    }

    /// Whether `secret` is the one `storedHash` was made from; constant-time in the secret.
    /// A stored value of another scheme or a malformed one never matches.
    public func verify(_ secret: String, against storedHash: String) -> Bool {
        guard storedHash.hasPrefix(Self.scheme),
            let tag = try? Base64URL.decode(String(storedHash.dropFirst(Self.scheme.count))),
            tag.count == MACKey.tagByteCount
        else { return false }
        return key.isValid(tag, for: Array(secret.utf8))
    }
}
