import Foundation

/// Where a server signing key is in its life: published before use, signing
/// now, or kept in the JWKS after retirement until its tokens have expired.
public enum SigningKeyState: String, Sendable, Hashable, CaseIterable {
    /// Published in the JWKS but not yet used to sign (lets caches pick it up).
    case next
    /// The one key that signs new tokens.
    case active
    /// No longer signs; published until `publishUntil`.
    case retired
}

/// A server signing key as stored: the public JWK in the clear and the private
/// key sealed with the key-encryption key, so that every responder on every
/// host signs with the same key and publishes the same JWKS.
public struct SigningKeyRecord: Sendable, Hashable {
    /// The JWK `kid` (RFC 7638 thumbprint of the public key).
    public var kid: String
    /// The JWS algorithm the key signs with (`ES256`, `PS256`).
    public var algorithm: String
    /// Where the key is in its life.
    public var state: SigningKeyState
    /// The public JWK, serialized JSON, with `kid`, `use` and `alg`.
    public var publicJWK: String
    /// The private key sealed with AES-256-GCM under the key-encryption key,
    /// with the `kid` as associated data. Opaque to everything but the crypto layer.
    public var sealedPrivateKey: [UInt8]
    /// When the key was generated.
    public var createdAt: Date
    /// When the key became active, if it did.
    public var activatedAt: Date?
    /// When the key was retired, if it was.
    public var retiredAt: Date?
    /// For a retired key: the instant after which no token it signed is valid,
    /// so it may leave the JWKS. `nil` while the key is `next` or `active`.
    public var publishUntil: Date?
    /// HMAC-SHA-256 under a key derived from the key-encryption key over every other field
    /// (``SigningKeyIntegrity``): a row whose tag does not verify is neither published nor
    /// used to sign. `nil` for rows written before tags existed (`credence keys upgrade`).
    public var integrityTag: [UInt8]?

    /// Creates a record; used by key management and by stores decoding rows.
    public init(
        kid: String,
        algorithm: String,
        state: SigningKeyState,
        publicJWK: String,
        sealedPrivateKey: [UInt8],
        createdAt: Date,
        activatedAt: Date? = nil,
        retiredAt: Date? = nil,
        publishUntil: Date? = nil,
        integrityTag: [UInt8]? = nil
    ) {
        self.kid = kid
        self.algorithm = algorithm
        self.state = state
        self.publicJWK = publicJWK
        self.sealedPrivateKey = sealedPrivateKey
        self.createdAt = createdAt
        self.activatedAt = activatedAt
        self.retiredAt = retiredAt
        self.publishUntil = publishUntil
        self.integrityTag = integrityTag
    }

    /// Whether the key belongs in the JWKS at `now`.
    public func isPublished(at now: Date) -> Bool {
        switch state {
        case .next, .active: true
        case .retired: (publishUntil ?? .distantPast) > now
        }
    }
}
