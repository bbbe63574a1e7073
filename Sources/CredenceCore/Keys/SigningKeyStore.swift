import Foundation

/// Persistence of server signing keys. Implemented over PostgreSQL in
/// `CredencePostgres` and in memory in `CredenceTesting`. Each worker owns its
/// own instance (its own connection); instances need not be thread-safe.
public protocol SigningKeyStore {
    /// Every key, in creation order, including retired keys past `publishUntil`.
    func allKeys() throws -> [SigningKeyRecord]

    /// The keys that belong in the JWKS at `now`: `next`, `active`, and retired
    /// keys whose `publishUntil` is later than `now`.
    func publishedKeys(at now: Date) throws -> [SigningKeyRecord]

    /// Stores a new key (normally in state `next`), with its `integrityTag`. A duplicate
    /// `kid` is a `StoreError.conflict`.
    func insert(_ key: SigningKeyRecord) throws

    /// Makes `kid` the one active key, atomically: the key active before (if
    /// any) becomes `retired` with `retiredAt = now` and the given
    /// `publishUntil`; `kid` becomes `active` with `activatedAt = now`.
    /// Each changed row gets the tag `retag(before, after)` returns for it, in the same
    /// transaction, from the row as stored and as it will be; what `retag` throws aborts the
    /// change (a `StoreError` as it is). An unknown or retired `kid` is `StoreError.notFound`.
    func activate(
        kid: String,
        at now: Date,
        previousKeyPublishUntil: Date,
        retag: (_ before: SigningKeyRecord, _ after: SigningKeyRecord) throws -> [UInt8]
    ) throws

    /// Replaces the `integrityTag` of `kid` with what `tag` returns for the row as stored,
    /// with the row locked so that it cannot change in between (`credence keys upgrade`).
    /// An unknown `kid` is `StoreError.notFound`; what `tag` throws aborts.
    func updateIntegrityTag(kid: String, tag: (SigningKeyRecord) throws -> [UInt8]) throws

    /// Removes retired keys whose `publishUntil` is at or before `now`;
    /// returns how many were removed.
    func removeExpiredKeys(at now: Date) throws -> Int
}
