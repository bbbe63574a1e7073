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
/// the key-encryption key, with the `kid` bound as associated data, and every
/// row it writes carries an integrity tag (``SigningKeyIntegrity``) over its
/// public JWK and state; it opens no key whose row does not verify.
public struct SigningKeyManager {
    private let store: any SigningKeyStore
    private let encryptionKey: KeyEncryptionKey
    /// Tags and checks the rows this manager writes.
    public let integrity: SigningKeyIntegrity
    /// How long a retired key stays published: the longest token lifetime plus clock skew.
    public let retiredKeyPublication: TimeInterval

    /// The algorithms the server can sign its tokens with.
    public static let supportedAlgorithms: [JWSAlgorithm] = [.es256, .ps256]

    /// Creates a manager over a store and the key-encryption key.
    public init(store: any SigningKeyStore, encryptionKey: KeyEncryptionKey, retiredKeyPublication: TimeInterval) {
        self.store = store
        self.encryptionKey = encryptionKey
        self.integrity = SigningKeyIntegrity(encryptionKey: encryptionKey)
        self.retiredKeyPublication = retiredKeyPublication
    }

    /// Tags for the rows `activate` rewrites: refuses (as a conflict) a row whose stored
    /// form does not verify, so a rotation never blesses a row changed behind its back.
    private func retag(before: SigningKeyRecord, after: SigningKeyRecord) throws -> [UInt8] {
        guard integrity.check(before) == .verified else {
            throw StoreError.conflict(
                "signing key \(before.kid) failed its integrity check during the rotation; run `credence keys list`"
            )
        }
        return try integrity.tag(for: after)
    }

    /// Refuses a row that does not verify, with what to do about it.
    private func requireVerified(_ record: SigningKeyRecord) throws {
        try SigningKeyOpener.requireVerified(record, integrity: integrity)
    }

    /// Generates a key for `algorithm` and stores it: active when no key is
    /// active yet (or `activate` is set), `next` otherwise.
    @discardableResult
    public func generate(algorithm: JWSAlgorithm, now: Date, activate: Bool = false) throws -> SigningKeyRecord {
        let now = SigningKeyIntegrity.storedPrecision(now)
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
        record = try integrity.tagged(record)
        try store.insert(record)
        let active = try store.allKeys().first { $0.state == .active && $0.kid != kid }
        if activate || active == nil {
            if let active { try requireVerified(active) }
            try store.activate(
                kid: kid,
                at: now,
                previousKeyPublishUntil: SigningKeyIntegrity.storedPrecision(
                    now.addingTimeInterval(retiredKeyPublication)
                ),
                retag: retag
            )
            record.state = .active
            record.activatedAt = now
            record = try integrity.tagged(record)
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
        let now = SigningKeyIntegrity.storedPrecision(now)
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
        try requireVerified(candidate)
        if let current = keys.first(where: { $0.state == .active }) { try requireVerified(current) }
        try store.activate(
            kid: candidate.kid,
            at: now,
            previousKeyPublishUntil: SigningKeyIntegrity.storedPrecision(now.addingTimeInterval(retiredKeyPublication)),
            retag: retag
        )
        var active = candidate
        active.state = .active
        active.activatedAt = now
        active = try integrity.tagged(active)
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

    /// Opens a stored key into a signer (see ``SigningKeyOpener/signer(for:)``).
    public func signer(for record: SigningKeyRecord) throws -> JWSSigner {
        try SigningKeyOpener(encryptionKey: encryptionKey).signer(for: record)
    }

    /// Unseals the row's private key and checks it against the row's public JWK.
    private func openMatching(_ record: SigningKeyRecord) throws -> PrivateKey {
        try SigningKeyOpener(encryptionKey: encryptionKey).openMatching(record)
    }

    /// What ``upgrade()`` did with each key.
    public struct UpgradeReport: Sendable, Hashable {
        /// Keys that had no tag and were tagged, their private key having matched their public JWK.
        public var tagged: [String] = []
        /// Keys whose tag already verified.
        public var alreadyVerified: [String] = []
        /// Keys left as they were because they failed a check (wrong tag, a sealed key that does
        /// not open or does not match its public JWK): never published, never used to sign.
        public var refused: [String] = []
    }

    /// Tags the rows written before integrity tags existed (migration 0002 leaves them without),
    /// so that responders publish and sign with them again. A row is tagged only when its
    /// sealed private key opens under this key-encryption key and its public half is the
    /// row's public JWK; a row whose tag is wrong is never re-tagged. The state and dates of an
    /// untagged row cannot be checked: run this right after `credence migrate`.
    public func upgrade() throws -> UpgradeReport {
        var report = UpgradeReport()
        for record in try store.allKeys().sorted(by: { $0.createdAt < $1.createdAt }) {
            switch integrity.check(record) {
            case .verified:
                report.alreadyVerified.append(record.kid)
                continue
            case .mismatch:
                report.refused.append(record.kid)
                continue
            case .untagged:
                break
            }
            do {
                try store.updateIntegrityTag(kid: record.kid) { current in
                    guard current.integrityTag == nil else {
                        throw StoreError.conflict("signing key \(current.kid) was tagged meanwhile")
                    }
                    guard JWSAlgorithm(rawValue: current.algorithm).map(Self.supportedAlgorithms.contains) == true
                    else { throw KeyManagementError.unsupportedAlgorithm(current.algorithm) }
                    _ = try openMatching(current)
                    return try integrity.tag(for: current)
                }
                report.tagged.append(record.kid)
            } catch let error as StoreError where error.code == .unavailable {
                throw error
            } catch {
                report.refused.append(record.kid)
            }
        }
        return report
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

    /// A stored row failed its integrity check: it is neither published nor used to sign.
    public static func integrityCheckFailed(kid: String, verdict: SigningKeyIntegrity.Verdict) -> KeyManagementError {
        switch verdict {
        case .untagged:
            KeyManagementError(
                description:
                    "signing key \(kid) has no integrity tag (written by an older version): run `credence keys upgrade`"
            )
        case .verified, .mismatch:
            KeyManagementError(
                description:
                    "signing key \(kid) fails its integrity check: its row was changed outside `credence keys` (or tagged under another key-encryption key); it is neither published nor used to sign. Delete that row from signing_keys and generate a new key"
            )
        }
    }

    /// A sealed private key is not the key whose public half its row publishes.
    public static func publicKeyMismatch(kid: String) -> KeyManagementError {
        KeyManagementError(
            description: "signing key \(kid): the sealed private key does not match the published public JWK"
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

/// Opens stored signing keys into signers, for the responders that sign tokens (which need
/// no store) and for ``SigningKeyManager``. A row must pass its integrity check, its sealed
/// key must open under the key-encryption key, and the private key must be the one whose
/// public half the row publishes.
public struct SigningKeyOpener: Sendable {
    private let encryptionKey: KeyEncryptionKey
    private let integrity: SigningKeyIntegrity

    /// An opener under the key-encryption key.
    public init(encryptionKey: KeyEncryptionKey) {
        self.encryptionKey = encryptionKey
        self.integrity = SigningKeyIntegrity(encryptionKey: encryptionKey)
    }

    /// Opens a stored key into a signer. Fails when the row does not pass its integrity check,
    /// when the key-encryption key is not the one the key was sealed with, or when the sealed
    /// private key is not the one whose public half the row publishes.
    public func signer(for record: SigningKeyRecord) throws -> JWSSigner {
        guard let algorithm = JWSAlgorithm(rawValue: record.algorithm),
            SigningKeyManager.supportedAlgorithms.contains(algorithm)
        else {
            throw KeyManagementError.unsupportedAlgorithm(record.algorithm)
        }
        try Self.requireVerified(record, integrity: integrity)
        let privateKey = try openMatching(record)
        return try JWSSigner(key: privateKey, algorithm: algorithm, keyID: record.kid)
    }

    static func requireVerified(_ record: SigningKeyRecord, integrity: SigningKeyIntegrity) throws {
        let verdict = integrity.check(record)
        guard verdict == .verified else {
            throw KeyManagementError.integrityCheckFailed(kid: record.kid, verdict: verdict)
        }
    }

    /// Unseals the row's private key and checks that its public half is the row's public JWK,
    /// whose RFC 7638 thumbprint is the row's `kid`, for the row's algorithm.
    func openMatching(_ record: SigningKeyRecord) throws -> PrivateKey {
        let privateKey = try encryptionKey.unseal(record.sealedPrivateKey, associatedData: Array(record.kid.utf8))
        let published = try JWK.parse(Array(record.publicJWK.utf8))
        let actual = JWK(publicKey: privateKey.publicKey, keyID: nil, use: nil, algorithm: nil)
        guard published.thumbprintBase64URL() == actual.thumbprintBase64URL(),
            published.thumbprintBase64URL() == record.kid,
            published.keyID == record.kid,
            published.algorithm == record.algorithm
        else {
            throw KeyManagementError.publicKeyMismatch(kid: record.kid)
        }
        return privateKey
    }
}
