import CredenceCore
import CredencePostgres
import Foundation
import OpenSSLCrypto
import PostgresLibPQ
import PostgresTestSupport
import Testing

/// Integrity tags over PostgreSQL (issue 6, item 5): what `credence keys` writes verifies when
/// read back through `timestamptz` and `jsonb`, and rows changed with plain SQL are refused.
@Suite("Postgres signing key integrity")
struct SigningKeyIntegrityTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000.123_456_7)

    struct Fixture {
        let store: PostgresSigningKeyStore
        let connection: PostgresConnection
        let manager: SigningKeyManager
        let cache: SigningKeyCache
    }

    private func withFixture(_ body: (Fixture) throws -> Void) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try MigrationRunner(connection: connection, migrations: try MigrationSet.embedded()).migrate()
            let store = PostgresSigningKeyStore(connection: connection)
            let encryptionKey = try KeyEncryptionKey(bytes: Array(repeating: 42, count: 32))
            let manager = SigningKeyManager(store: store, encryptionKey: encryptionKey, retiredKeyPublication: 360)
            let cache = SigningKeyCache(refreshInterval: 1, integrity: manager.integrity)
            try body(Fixture(store: store, connection: connection, manager: manager, cache: cache))
        }
    }

    @Test func rowsWrittenByTheManagerVerifyAfterTheRoundTrip() throws {
        try withFixture { fixture in
            let first = try fixture.manager.generate(algorithm: .es256, now: Self.t0)
            let second = try fixture.manager.generate(algorithm: .ps256, now: Self.t0 + 0.000_4)
            try fixture.manager.rotate(algorithm: .es256, now: Self.t0 + 100.999_9, prePublication: 90)
            let keys = try fixture.store.allKeys()
            #expect(keys.map(\.state) == [.retired, .active])
            for key in keys {
                #expect(fixture.manager.integrity.check(key) == .verified, "\(key.kid)")
                #expect(key.integrityTag?.count == 32)
            }
            let published = try fixture.cache.publishedKeys(using: fixture.store, now: Self.t0 + 101)
            #expect(published.map(\.kid) == [first.kid, second.kid])
            let active = try #require(keys.first { $0.state == .active })
            let token = try fixture.manager.signer(for: active).sign(payload: Array("{}".utf8), type: "at+jwt")
            #expect(!token.isEmpty)
        }
    }

    @Test func activationStoresTheTagsItIsGivenForEachRow() throws {
        try withFixture { fixture in
            try fixture.store.insert(SigningKeyStoreTests.key("k1"))
            try fixture.store.insert(SigningKeyStoreTests.key("k2", createdAt: SigningKeyStoreTests.t0 + 1))
            try fixture.store.activate(kid: "k1", at: Self.t0, previousKeyPublishUntil: Self.t0 + 10)
            try fixture.store.activate(kid: "k2", at: Self.t0 + 1, previousKeyPublishUntil: Self.t0 + 10)
            for key in try fixture.store.allKeys() {
                #expect(key.integrityTag == SigningKeyStoreTests.tag(key))
            }
            // A retag that throws leaves every row as it was.
            try fixture.store.insert(SigningKeyStoreTests.key("k3", createdAt: SigningKeyStoreTests.t0 + 2))
            let before = try fixture.store.allKeys()
            #expect(throws: StoreError.self) {
                try fixture.store.activate(kid: "k3", at: Self.t0 + 2, previousKeyPublishUntil: Self.t0 + 20) {
                    before,
                    after in
                    if after.kid == "k3" { throw StoreError.conflict("refused") }
                    return SigningKeyStoreTests.tag(after)
                }
            }
            #expect(try fixture.store.allKeys() == before)
        }
    }

    @Test func theSchemaWantsA32ByteTag() throws {
        try withFixture { fixture in
            try fixture.store.insert(SigningKeyStoreTests.key("k1"))
            let error = #expect(throws: PostgresError.self) {
                try fixture.connection.execute(
                    "UPDATE signing_keys SET integrity_tag = \([UInt8](repeating: 1, count: 31))"
                )
            }
            #expect(error?.sqlState == .checkViolation)
        }
    }

    @Test(arguments: [
        "UPDATE signing_keys AS n SET public_jwk = a.public_jwk FROM signing_keys AS a WHERE a.state = 'active' AND n.state = 'next'",
        "UPDATE signing_keys SET algorithm = 'PS256' WHERE state = 'next'",
        "UPDATE signing_keys SET state = 'active', activated_at = now() WHERE state = 'next'",
        "UPDATE signing_keys SET publish_until = now() + interval '10 years' WHERE state = 'retired'",
        "UPDATE signing_keys SET integrity_tag = NULL WHERE state = 'next'",
    ])
    func rowsChangedWithSQLAreRefused(statement: String) throws {
        try withFixture { fixture in
            let retired = try fixture.manager.generate(algorithm: .es256, now: Self.t0)
            _ = try fixture.manager.generate(algorithm: .es256, now: Self.t0)
            try fixture.manager.rotate(algorithm: .es256, now: Self.t0 + 100, prePublication: 90)
            let next = try fixture.manager.generate(algorithm: .es256, now: Self.t0 + 100)
            let now = Self.t0 + 101
            #expect(try fixture.cache.publishedKeys(using: fixture.store, now: now).count == 3)

            if statement.contains("SET state = 'active'") {
                // The unique index allows one active key: retire the genuine one first, as an attacker would.
                try fixture.connection.execute(
                    "UPDATE signing_keys SET state = 'retired', retired_at = now(), publish_until = now() WHERE state = 'active'"
                )
            }
            try fixture.connection.execute(PostgresQuery(unsafeSQL: statement))
            fixture.cache.invalidate()
            let published = try fixture.cache.publishedKeys(using: fixture.store, now: now).map(\.kid)
            let changed = statement.hasSuffix("WHERE state = 'retired'") ? retired.kid : next.kid
            #expect(!published.contains(changed))
            let row = try #require(try fixture.store.allKeys().first { $0.kid == changed })
            #expect(throws: KeyManagementError.self) { try fixture.manager.signer(for: row) }
        }
    }

    @Test func upgradeTagsRowsFromBeforeTheMigration() throws {
        try withFixture { fixture in
            let key = try fixture.manager.generate(algorithm: .es256, now: Self.t0)
            try fixture.connection.execute("UPDATE signing_keys SET integrity_tag = NULL")
            #expect(try fixture.cache.publishedKeys(using: fixture.store, now: Self.t0).isEmpty)
            let report = try fixture.manager.upgrade()
            #expect(report.tagged == [key.kid])
            fixture.cache.invalidate()
            #expect(try fixture.cache.publishedKeys(using: fixture.store, now: Self.t0).map(\.kid) == [key.kid])
            #expect(try fixture.manager.upgrade().alreadyVerified == [key.kid])
        }
    }
}
