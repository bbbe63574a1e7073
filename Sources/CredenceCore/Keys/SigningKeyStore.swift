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

    /// Stores a new key (normally in state `next`). A duplicate `kid` is a
    /// `StoreError.conflict`.
    func insert(_ key: SigningKeyRecord) throws

    /// Makes `kid` the one active key, atomically: the key active before (if
    /// any) becomes `retired` with `retiredAt = now` and the given
    /// `publishUntil`; `kid` becomes `active` with `activatedAt = now`.
    /// An unknown or retired `kid` is `StoreError.notFound`.
    func activate(kid: String, at now: Date, previousKeyPublishUntil: Date) throws

    /// Removes retired keys whose `publishUntil` is at or before `now`;
    /// returns how many were removed.
    func removeExpiredKeys(at now: Date) throws -> Int
}
