import CredenceCore
import Foundation
import PostgresLibPQ

/// `ReplayStore` over `used_jtis`, shared by every responder on every host. The insert is
/// the check: one statement, one round trip, and the primary key `(issuer, jti)` decides
/// between two responders racing with the same `jti` (the second waits for the first's
/// commit, then finds the row). An entry whose `expires_at` has passed may be used again:
/// the upsert takes it over in the same statement. Owned by one worker, like its connection.
public struct PostgresReplayStore: ReplayStore {
    /// The worker's connection.
    public let connection: PostgresConnection

    /// A store over `connection`.
    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// A `jti` or issuer that `used_jtis` cannot hold (NUL, empty, over the column's length)
    /// is refused as if it had been used: it can never be recorded, so it is never accepted.
    public func recordFirstUse(issuer: String, jti: String, expiresAt: Date, now: Date) throws(StoreError) -> Bool {
        guard PostgresClientStore.isStorableIdentifier(jti, maxCharacters: 512),
            PostgresClientStore.isStorableIdentifier(issuer, maxCharacters: Int.max)
        else { return false }
        return try storeOperation("record jti") {
            // One row affected: a first use (inserted) or the reuse of an expired entry
            // (updated). None: a live entry exists, so this is a replay.
            try connection.execute(
                """
                INSERT INTO used_jtis (issuer, jti, expires_at, used_at)
                VALUES (\(issuer), \(jti), \(expiresAt), \(now))
                ON CONFLICT (issuer, jti) DO UPDATE
                    SET expires_at = EXCLUDED.expires_at, used_at = EXCLUDED.used_at
                    WHERE used_jtis.expires_at < EXCLUDED.used_at
                """
            ) == 1
        }
    }

    public func deleteExpired(before now: Date, limit: Int) throws(StoreError) -> Int {
        guard limit > 0 else { return 0 }
        return try storeOperation("delete expired jtis") {
            // A TID scan over at most `limit` rows found by the expires_at index; the outer
            // condition is checked again on a row reused meanwhile (its new version is live).
            try connection.execute(
                """
                DELETE FROM used_jtis
                WHERE ctid = ANY(ARRAY(SELECT ctid FROM used_jtis WHERE expires_at < \(now) LIMIT \(limit)))
                  AND expires_at < \(now)
                """
            )
        }
    }
}

/// `RevokedTokenStore` over `revoked_tokens`: the deny list every responder reads before
/// calling a token active. Owned by one worker, like its connection.
public struct PostgresRevokedTokenStore: RevokedTokenStore {
    /// The worker's connection.
    public let connection: PostgresConnection

    /// A store over `connection`.
    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Revoking an already revoked `jti` changes nothing (the first entry stays). A `jti`
    /// the column cannot hold (NUL, empty, over 512 characters) is `failed`: this server
    /// never issues one, so such a token never validated.
    public func revoke(jti: String, clientID: String, expiresAt: Date, now: Date) throws(StoreError) {
        guard PostgresClientStore.isStorableIdentifier(jti, maxCharacters: 512), !clientID.utf8.contains(0) else {
            throw StoreError.failed("revoke token: the jti cannot be stored")
        }
        try storeOperation("revoke token") {
            try connection.execute(
                """
                INSERT INTO revoked_tokens (jti, client_id, expires_at, revoked_at)
                VALUES (\(jti), \(clientID), \(expiresAt), \(now))
                ON CONFLICT (jti) DO NOTHING
                """
            )
        }
    }

    public func isRevoked(jti: String) throws(StoreError) -> Bool {
        // A jti the table cannot hold was never revoked.
        guard PostgresClientStore.isStorableIdentifier(jti, maxCharacters: 512) else { return false }
        return try storeOperation("read revoked token") {
            try !connection.query("SELECT 1 AS revoked FROM revoked_tokens WHERE jti = \(jti)", idempotent: true)
                .isEmpty
        }
    }

    public func deleteExpired(before now: Date, limit: Int) throws(StoreError) -> Int {
        guard limit > 0 else { return 0 }
        return try storeOperation("delete expired revoked tokens") {
            try connection.execute(
                """
                DELETE FROM revoked_tokens
                WHERE ctid = ANY(ARRAY(SELECT ctid FROM revoked_tokens WHERE expires_at < \(now) LIMIT \(limit)))
                  AND expires_at < \(now)
                """
            )
        }
    }
}
