/// The symmetric key that protects stored signing keys: AES-256-GCM with a random 96-bit nonce
/// per message, a format version byte, and caller-chosen associated data (the key id), so a
/// sealed key moved to another row does not open.
///
/// Sealed layout: `version (1) || nonce (12) || ciphertext || tag (16)`; the version byte is
/// also authenticated. Version `0x01` holds a PKCS#8 private key, `0x02` arbitrary bytes, so
/// one can never be opened as the other.
///
/// It also authenticates records stored in the clear (``authenticationTag(for:)``) with
/// HMAC-SHA-256 under a key derived from it with its own label, never with the AES key itself.
/// The key and the derived key each live in one buffer of secret memory, shared by every copy
/// of this value and wiped when the last copy goes or the process exits.
public struct KeyEncryptionKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let secret: SecretBytes
    private let recordAuthenticationKey: SecretBytes

    /// HKDF-Expand `info` of the record-authentication key: distinct from anything else the
    /// key-encryption key is used for.
    static let recordAuthenticationLabel = Array("credence/v1/kek/record-authentication-key".utf8)

    static let privateKeyVersion: UInt8 = 0x01
    static let bytesVersion: UInt8 = 0x02
    static let overhead = 1 + AESGCM.nonceByteCount + AESGCM.tagByteCount

    /// Wraps 32 bytes of key material (from the operator's secret store); any other length
    /// throws ``CryptoError/Code/invalidKeyLength``.
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == AESGCM.keyByteCount else {
            throw CryptoError(.invalidKeyLength, "a key-encryption key is \(AESGCM.keyByteCount) bytes")
        }
        try self.init(secret: bytes.withUnsafeBufferPointer { SecretBytes(copying: $0) })
    }

    /// Takes ownership of `secret` (32 bytes).
    init(secret: SecretBytes) throws(CryptoError) {
        guard secret.count == AESGCM.keyByteCount else {
            throw CryptoError(.invalidKeyLength, "a key-encryption key is \(AESGCM.keyByteCount) bytes")
        }
        self.secret = secret.wipeAtExit()
        recordAuthenticationKey = try HMACSHA256.expand(
            pseudorandomKey: secret,
            info: Self.recordAuthenticationLabel
        ).wipeAtExit()
    }

    public var description: String { "KeyEncryptionKey(<redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: []) }

    /// An HMAC-SHA-256 tag (32 bytes) over `message` under the record-authentication key derived
    /// from this key: proves that whoever holds the key-encryption key wrote `message`. Callers
    /// put their own domain label first in `message`.
    public func authenticationTag(for message: [UInt8]) throws(CryptoError) -> [UInt8] {
        try HMACSHA256.tag(key: recordAuthenticationKey, message: message)
    }

    /// Whether `tag` is ``authenticationTag(for:)`` of `message`, compared in constant time.
    public func isAuthentic(_ message: [UInt8], tag: [UInt8]) -> Bool {
        guard tag.count == HMACSHA256.byteCount, let expected = try? authenticationTag(for: message) else {
            return false
        }
        return constantTimeEquals(expected, tag)
    }

    /// Whether this key's buffers are registered to be wiped at process exit (for tests).
    var isWipedAtExit: Bool { secret.isWipedAtExit && recordAuthenticationKey.isWipedAtExit }

    /// A new random key-encryption key.
    public static func generate() throws(CryptoError) -> KeyEncryptionKey {
        try KeyEncryptionKey(bytes: SecureRandom.bytes(count: AESGCM.keyByteCount))
    }

    /// Seals a private key for storage, bound to `associatedData` (use the key id).
    public func seal(_ key: PrivateKey, associatedData: [UInt8]) throws(CryptoError) -> [UInt8] {
        let der = try key.pkcs8DER()
        return try der.withBytes { plaintext throws(CryptoError) in
            try seal(version: Self.privateKeyVersion, plaintext: plaintext, associatedData: associatedData)
        }
    }

    /// Opens what ``seal(_:associatedData:)`` produced; a wrong key, altered bytes or other
    /// associated data throw ``CryptoError/Code/authenticationFailed``.
    public func unseal(_ sealed: [UInt8], associatedData: [UInt8]) throws(CryptoError) -> PrivateKey {
        let der = try open(version: Self.privateKeyVersion, sealed: sealed, associatedData: associatedData)
        return try PrivateKey(pkcs8DER: der)
    }

    /// Seals arbitrary bytes with AES-256-GCM, bound to `associatedData`.
    public func seal(bytes: [UInt8], associatedData: [UInt8]) throws(CryptoError) -> [UInt8] {
        try bytes.withUnsafeBufferPointer { plaintext throws(CryptoError) in
            try seal(version: Self.bytesVersion, plaintext: plaintext, associatedData: associatedData)
        }
    }

    /// Opens what ``seal(bytes:associatedData:)`` produced.
    public func open(_ sealed: [UInt8], associatedData: [UInt8]) throws(CryptoError) -> [UInt8] {
        let plaintext = try open(version: Self.bytesVersion, sealed: sealed, associatedData: associatedData)
        return plaintext.withBytes { Array($0) }
    }

    private func seal(
        version: UInt8,
        plaintext: UnsafeBufferPointer<UInt8>,
        associatedData: [UInt8]
    )
        throws(CryptoError) -> [UInt8]
    {
        let nonce = try SecureRandom.bytes(count: AESGCM.nonceByteCount)
        let body = try AESGCM.seal(
            key: secret,
            nonce: nonce,
            plaintext: plaintext,
            associatedData: [version] + associatedData
        )
        return [version] + nonce + body
    }

    private func open(version: UInt8, sealed: [UInt8], associatedData: [UInt8]) throws(CryptoError) -> SecretBytes {
        guard sealed.count >= Self.overhead else { throw .malformedSealedData("sealed data too short") }
        guard sealed[0] == version else { throw .malformedSealedData("unknown sealed data version \(sealed[0])") }
        let nonce = sealed[1..<(1 + AESGCM.nonceByteCount)]
        let body = sealed[(1 + AESGCM.nonceByteCount)...]
        return try AESGCM.open(key: secret, nonce: nonce, sealed: body, associatedData: [version] + associatedData)
    }
}
