import CredenceCore
import Foundation
import PostgresLibPQ

/// `SigningKeyStore` over the `signing_keys` table: every responder reads the
/// same keys, and the database's partial unique index guarantees at most one
/// active key whatever happens. Owned by one worker, like its connection.
public struct PostgresSigningKeyStore: SigningKeyStore {
    /// The worker's connection.
    public let connection: PostgresConnection

    /// A store over `connection`.
    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    public func allKeys() throws(StoreError) -> [SigningKeyRecord] {
        try storeOperation("read signing keys") {
            try connection.query(
                """
                SELECT kid, algorithm, state, public_jwk, sealed_private_key,
                       created_at, activated_at, retired_at, publish_until, integrity_tag
                FROM signing_keys ORDER BY created_at, kid
                """,
                idempotent: true
            ).map(SigningKeyRecord.init(row:))
        }
    }

    public func publishedKeys(at now: Date) throws(StoreError) -> [SigningKeyRecord] {
        try storeOperation("read published signing keys") {
            try connection.query(
                """
                SELECT kid, algorithm, state, public_jwk, sealed_private_key,
                       created_at, activated_at, retired_at, publish_until, integrity_tag
                FROM signing_keys
                WHERE state IN ('next', 'active') OR (state = 'retired' AND publish_until > \(now))
                ORDER BY created_at, kid
                """,
                idempotent: true
            ).map(SigningKeyRecord.init(row:))
        }
    }

    public func insert(_ key: SigningKeyRecord) throws(StoreError) {
        try storeOperation("insert signing key") {
            try connection.execute(
                """
                INSERT INTO signing_keys (kid, algorithm, state, public_jwk, sealed_private_key,
                                          created_at, activated_at, retired_at, publish_until, integrity_tag)
                VALUES (\(key.kid), \(key.algorithm), \(key.state.rawValue), \(PostgresJSON(key.publicJWK)),
                        \(key.sealedPrivateKey), \(key.createdAt), \(key.activatedAt), \(key.retiredAt),
                        \(key.publishUntil), \(key.integrityTag))
                """
            )
        }
    }

    /// Activating the key that is already active changes nothing.
    public func activate(
        kid: String,
        at now: Date,
        previousKeyPublishUntil: Date,
        retag: (_ before: SigningKeyRecord, _ after: SigningKeyRecord) throws -> [UInt8]
    ) throws(StoreError) {
        try storeOperation("activate signing key") {
            try connection.transaction { connection in
                // Rotations are rare: take them one at a time, readers are not blocked.
                try connection.execute("LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE")
                let rows = try connection.query(
                    """
                    SELECT kid, algorithm, state, public_jwk, sealed_private_key,
                           created_at, activated_at, retired_at, publish_until, integrity_tag
                    FROM signing_keys WHERE kid = \(kid) OR state = 'active'
                    """
                ).map(SigningKeyRecord.init(row:))
                guard let candidate = rows.first(where: { $0.kid == kid }) else {
                    throw StoreError.notFound("no signing key with that kid")
                }
                switch candidate.state {
                case .active:
                    return
                case .retired:
                    throw StoreError.notFound("the signing key is retired")
                case .next:
                    break
                }
                for previous in rows where previous.state == .active {
                    var retired = previous
                    retired.state = .retired
                    retired.retiredAt = now
                    retired.publishUntil = previousKeyPublishUntil
                    let tag = try retag(previous, retired)
                    try connection.execute(
                        """
                        UPDATE signing_keys
                        SET state = 'retired', retired_at = \(now), publish_until = \(previousKeyPublishUntil),
                            integrity_tag = \(tag)
                        WHERE kid = \(previous.kid) AND state = 'active'
                        """
                    )
                }
                var activated = candidate
                activated.state = .active
                activated.activatedAt = now
                let tag = try retag(candidate, activated)
                try connection.execute(
                    """
                    UPDATE signing_keys SET state = 'active', activated_at = \(now), integrity_tag = \(tag)
                    WHERE kid = \(kid)
                    """
                )
            }
        }
    }

    public func updateIntegrityTag(kid: String, tag: (SigningKeyRecord) throws -> [UInt8]) throws(StoreError) {
        try storeOperation("update signing key integrity tag") {
            try connection.transaction { connection in
                let rows = try connection.query(
                    """
                    SELECT kid, algorithm, state, public_jwk, sealed_private_key,
                           created_at, activated_at, retired_at, publish_until, integrity_tag
                    FROM signing_keys WHERE kid = \(kid) FOR UPDATE
                    """
                ).map(SigningKeyRecord.init(row:))
                guard let record = rows.first else { throw StoreError.notFound("no signing key with that kid") }
                let value = try tag(record)
                try connection.execute("UPDATE signing_keys SET integrity_tag = \(value) WHERE kid = \(kid)")
            }
        }
    }

    public func removeExpiredKeys(at now: Date) throws(StoreError) -> Int {
        try storeOperation("remove expired signing keys") {
            try connection.execute(
                "DELETE FROM signing_keys WHERE state = 'retired' AND publish_until <= \(now)"
            )
        }
    }
}

extension SigningKeyRecord {
    /// Reads a `signing_keys` row. `publicJWK` comes back in jsonb's
    /// normalized form: the same members, possibly reordered and respaced.
    init(row: PostgresRow) throws {
        self.init(
            kid: try row.decode("kid"),
            algorithm: try row.decode("algorithm"),
            state: try row.decodeEnum("state", as: SigningKeyState.self),
            publicJWK: try row.decode("public_jwk", as: PostgresJSON.self).text,
            sealedPrivateKey: try row.decode("sealed_private_key"),
            createdAt: try row.decode("created_at"),
            activatedAt: try row.decode("activated_at"),
            retiredAt: try row.decode("retired_at"),
            publishUntil: try row.decode("publish_until"),
            integrityTag: try row.decode("integrity_tag")
        )
    }
}
