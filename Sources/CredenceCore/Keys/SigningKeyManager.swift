import CredenceJOSE
import CredenceJSON
import Foundation
import OpenSSLCrypto

/// The life cycle of the server's signing keys, behind `credence keys`:
/// generate (the first key becomes active at once, later ones are published
/// as `next` so that JWKS caches learn them before they sign anything),
/// rotate (the oldest `next` key, or a fresh one, becomes active; the old
/// active key is retired but stays published until every token it signed has
/// expired), list and prune. Private keys leave this type only sealed under
/// the key-encryption key, with the `kid` bound as associated data.
public struct SigningKeyManager {
    private let store: any SigningKeyStore
    private let encryptionKey: KeyEncryptionKey
    /// How long a retired key stays published: the longest token lifetime plus clock skew.
    public let retiredKeyPublication: TimeInterval

    /// The algorithms the server can sign its tokens with.
    public static let supportedAlgorithms: [JWSAlgorithm] = [.es256, .ps256]

    /// Creates a manager over a store and the key-encryption key.
    public init(store: any SigningKeyStore, encryptionKey: KeyEncryptionKey, retiredKeyPublication: TimeInterval) {
        self.store = store
        self.encryptionKey = encryptionKey
        self.retiredKeyPublication = retiredKeyPublication
    }

    /// Generates a key for `algorithm` and stores it: active when no key is
    /// active yet (or `activate` is set), `next` otherwise.
    @discardableResult
    public func generate(algorithm: JWSAlgorithm, now: Date, activate: Bool = false) throws -> SigningKeyRecord {
        let kind: KeyKind
        switch algorithm {
        case .es256: kind = .ec(.p256)
        case .ps256: kind = .rsa(bits: 2048)
        default: throw KeyManagementError.unsupportedAlgorithm(algorithm.rawValue)
        }
        let privateKey = try PrivateKey.generate(kind)
        let unnamed = JWK(publicKey: privateKey.publicKey, keyID: nil, use: "sig", algorithm: algorithm)
        let kid = unnamed.thumbprintBase64URL()
        let jwk = JWK(publicKey: privateKey.publicKey, keyID: kid, use: "sig", algorithm: algorithm)
        let sealed = try encryptionKey.seal(privateKey, associatedData: Array(kid.utf8))
        var record = SigningKeyRecord(
            kid: kid,
            algorithm: algorithm.rawValue,
            state: .next,
            publicJWK: JSONValue.object(jwk.jsonObject).serializedString(),
            sealedPrivateKey: sealed,
            createdAt: now
        )
        try store.insert(record)
        let hasActive = try store.allKeys().contains { $0.state == .active && $0.kid != kid }
        if activate || !hasActive {
            try store.activate(
                kid: kid,
                at: now,
                previousKeyPublishUntil: now.addingTimeInterval(retiredKeyPublication)
            )
            record.state = .active
            record.activatedAt = now
        }
        return record
    }

    /// Makes the oldest `next` key active and retires the key that was active. The `next`
    /// key must have been published for at least `prePublication` (the responders' refresh
    /// interval plus the JWKS cache lifetime), so that every client's cached JWKS knows it
    /// before it signs. With `force`, a younger `next` key is activated anyway, and when
    /// there is none a new key of `algorithm` is generated and activated at once.
    /// Returns the new active key and the retired one's `kid`.
    @discardableResult
    public func rotate(
        algorithm: JWSAlgorithm,
        now: Date,
        prePublication: TimeInterval,
        force: Bool = false
    ) throws -> (active: SigningKeyRecord, retiredKID: String?) {
        let keys = try store.allKeys()
        let previous = keys.first { $0.state == .active }?.kid
        guard let candidate = keys.filter({ $0.state == .next }).min(by: { $0.createdAt < $1.createdAt }) else {
            guard force else { throw KeyManagementError.noNextKey(prePublication: prePublication) }
            let active = try generate(algorithm: algorithm, now: now, activate: true)
            return (active, previous)
        }
        let publishedFor = now.timeIntervalSince(candidate.createdAt)
        if publishedFor < prePublication && !force {
            throw KeyManagementError.nextKeyTooNew(kid: candidate.kid, wait: prePublication - publishedFor)
        }
        try store.activate(
            kid: candidate.kid,
            at: now,
            previousKeyPublishUntil: now.addingTimeInterval(retiredKeyPublication)
        )
        var active = candidate
        active.state = .active
        active.activatedAt = now
        return (active, previous)
    }

    /// Every stored key, oldest first.
    public func list() throws -> [SigningKeyRecord] {
        try store.allKeys().sorted { $0.createdAt < $1.createdAt }
    }

    /// Removes retired keys no longer published; returns how many.
    public func prune(now: Date) throws -> Int {
        try store.removeExpiredKeys(at: now)
    }

    /// Opens a stored key into a signer. Fails when the key-encryption key is
    /// not the one the key was sealed with, or the record was tampered with.
    public func signer(for record: SigningKeyRecord) throws -> JWSSigner {
        guard let algorithm = JWSAlgorithm(rawValue: record.algorithm), Self.supportedAlgorithms.contains(algorithm)
        else {
            throw KeyManagementError.unsupportedAlgorithm(record.algorithm)
        }
        let privateKey = try encryptionKey.unseal(record.sealedPrivateKey, associatedData: Array(record.kid.utf8))
        return try JWSSigner(key: privateKey, algorithm: algorithm, keyID: record.kid)
    }
}

/// Why a key-management command cannot go on.
public struct KeyManagementError: Error, Sendable, CustomStringConvertible {
    /// The reason, safe to print.
    public let description: String

    /// `rotate` found no `next` key to activate.
    public static func noNextKey(prePublication: TimeInterval) -> KeyManagementError {
        KeyManagementError(
            description:
                "no next key to activate: run `credence keys generate`, wait \(Int(prePublication.rounded(.up))) s so that every JWKS cache has it, then rotate (or rotate --force to activate a new key at once)"
        )
    }

    /// `rotate` found a `next` key published too recently for caches to know it.
    public static func nextKeyTooNew(kid: String, wait: TimeInterval) -> KeyManagementError {
        KeyManagementError(
            description:
                "the next key \(kid) was published too recently for every JWKS cache to know it; rotate again in \(Int(wait.rounded(.up))) s (or with --force)"
        )
    }

    /// The algorithm is not one the server signs with.
    public static func unsupportedAlgorithm(_ name: String) -> KeyManagementError {
        KeyManagementError(
            description:
                "unsupported signing algorithm \(name); use one of \(SigningKeyManager.supportedAlgorithms.map(\.rawValue).joined(separator: ", "))"
        )
    }
}
