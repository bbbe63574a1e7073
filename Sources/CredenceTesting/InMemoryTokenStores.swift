import CredenceCore
import Foundation
import Synchronization

/// A `ReplayStore` in memory with the PostgreSQL store's rules, for domain and server tests:
/// `(issuer, jti)` compared by bytes, a live entry refuses a second use, an entry whose
/// expiry has passed (`expiresAt < now`) may be used again, and a `jti` the table could not
/// hold (NUL, empty, over 512 characters) is refused as if used. Thread-safe: the check and
/// the insert happen under one lock, as the database's unique key makes them one step.
public final class InMemoryReplayStore: ReplayStore, Sendable {
    private struct Key: Hashable {
        let issuer: [UInt8]
        let jti: [UInt8]
    }
    private let entries = Mutex<[Key: Date]>([:])
    private let reachable = Mutex(true)

    /// Creates an empty store.
    public init() {}

    /// Simulates the database going away (`false`) and coming back (`true`).
    public var isReachable: Bool {
        get { reachable.withLock { $0 } }
        set { reachable.withLock { $0 = newValue } }
    }

    /// How many entries are kept (expired ones included, until deleted).
    public var count: Int { entries.withLock { $0.count } }

    public func recordFirstUse(issuer: String, jti: String, expiresAt: Date, now: Date) throws -> Bool {
        if !isReachable { throw StoreError.unavailable("in-memory store switched off") }
        guard isStorableJTI(jti), !issuer.isEmpty, !issuer.utf8.contains(0) else { return false }
        let key = Key(issuer: Array(issuer.utf8), jti: Array(jti.utf8))
        return entries.withLock { entries in
            if let existing = entries[key], !(existing < now) { return false }
            entries[key] = expiresAt
            return true
        }
    }

    public func deleteExpired(before now: Date, limit: Int) throws -> Int {
        if !isReachable { throw StoreError.unavailable("in-memory store switched off") }
        guard limit > 0 else { return 0 }
        return entries.withLock { entries in
            let expired = entries.lazy.filter { $0.value < now }.prefix(limit).map(\.key)
            let keys = Array(expired)
            for key in keys { entries[key] = nil }
            return keys.count
        }
    }
}

/// A `RevokedTokenStore` in memory with the PostgreSQL store's rules, for domain and server
/// tests: `jti` compared by bytes, revoking twice keeps the first entry, entries stay until
/// deleted once expired. Thread-safe.
public final class InMemoryRevokedTokenStore: RevokedTokenStore, Sendable {
    /// One deny-list entry.
    public struct Entry: Sendable, Hashable {
        /// The client the token was issued to.
        public let clientID: String
        /// When the token expires (the entry may go after that).
        public let expiresAt: Date
        /// When it was revoked.
        public let revokedAt: Date
    }
    private let entries = Mutex<[[UInt8]: Entry]>([:])
    private let reachable = Mutex(true)

    /// Creates an empty store.
    public init() {}

    /// Simulates the database going away (`false`) and coming back (`true`).
    public var isReachable: Bool {
        get { reachable.withLock { $0 } }
        set { reachable.withLock { $0 = newValue } }
    }

    /// How many entries are kept.
    public var count: Int { entries.withLock { $0.count } }

    /// The entry for `jti`, if revoked.
    public func entry(jti: String) -> Entry? {
        entries.withLock { $0[Array(jti.utf8)] }
    }

    public func revoke(jti: String, clientID: String, expiresAt: Date, now: Date) throws {
        if !isReachable { throw StoreError.unavailable("in-memory store switched off") }
        guard isStorableJTI(jti), !clientID.utf8.contains(0) else {
            throw StoreError.failed("revoke token: the jti cannot be stored")
        }
        entries.withLock { entries in
            let key = Array(jti.utf8)
            if entries[key] == nil {
                entries[key] = Entry(clientID: clientID, expiresAt: expiresAt, revokedAt: now)
            }
        }
    }

    public func isRevoked(jti: String) throws -> Bool {
        if !isReachable { throw StoreError.unavailable("in-memory store switched off") }
        return entries.withLock { $0[Array(jti.utf8)] != nil }
    }

    public func deleteExpired(before now: Date, limit: Int) throws -> Int {
        if !isReachable { throw StoreError.unavailable("in-memory store switched off") }
        guard limit > 0 else { return 0 }
        return entries.withLock { entries in
            let keys = Array(entries.lazy.filter { $0.value.expiresAt < now }.prefix(limit).map(\.key))
            for key in keys { entries[key] = nil }
            return keys.count
        }
    }
}

/// Whether `used_jtis.jti` / `revoked_tokens.jti` could hold `jti`: 1…512 characters, no NUL.
private func isStorableJTI(_ jti: String) -> Bool {
    !jti.utf8.contains(0) && (1...512).contains(jti.unicodeScalars.count)
}
