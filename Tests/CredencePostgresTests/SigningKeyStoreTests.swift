import CredenceCore
import CredencePostgres
import Foundation
import OpenSSLCrypto
import PostgresLibPQ
import PostgresTestSupport
import Testing

extension PostgresSigningKeyStore {
    /// Activation that tags each changed row with ``SigningKeyStoreTests/tag(_:)``.
    func activate(kid: String, at now: Date, previousKeyPublishUntil: Date) throws(StoreError) {
        try activate(kid: kid, at: now, previousKeyPublishUntil: previousKeyPublishUntil) { _, after in
            SigningKeyStoreTests.tag(after)
        }
    }
}

/// `PostgresSigningKeyStore` keeps the rotation rules, and the schema keeps
/// "one active key" even against raw SQL.
@Suite("Postgres signing key store")
struct SigningKeyStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    /// A stand-in tag naming the row and the state it was written for (32 bytes, as the schema wants).
    static func tag(_ record: SigningKeyRecord) -> [UInt8] {
        Digest.sha256(Array("\(record.kid)/\(record.state.rawValue)".utf8))
    }

    static func key(_ kid: String, _ state: SigningKeyState = .next, createdAt: Date = t0) -> SigningKeyRecord {
        SigningKeyRecord(
            kid: kid,
            algorithm: "ES256",
            state: state,
            publicJWK: #"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","#
                + #""y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","kid":"\#(kid)","use":"sig","alg":"ES256"}"#,
            sealedPrivateKey: Array("sealed-\(kid)".utf8) + [0, 255],
            createdAt: createdAt,
            activatedAt: state == .active ? createdAt : nil
        )
    }

    /// Runs `body` with a store over a migrated, empty schema.
    private func withStore(_ body: (PostgresSigningKeyStore, PostgresConnection) throws -> Void) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try MigrationRunner(connection: connection, migrations: try MigrationSet.embedded()).migrate()
            try body(PostgresSigningKeyStore(connection: connection), connection)
        }
    }

    private func sameJSON(_ a: String, _ b: String) throws -> Bool {
        let left = try JSONSerialization.jsonObject(with: Data(a.utf8)) as? NSDictionary
        let right = try JSONSerialization.jsonObject(with: Data(b.utf8)) as? NSDictionary
        return left != nil && left == right
    }

    @Test func insertedKeyReadsBackUnchanged() throws {
        try withStore { store, _ in
            let original = Self.key("k1")
            try store.insert(original)
            let keys = try store.allKeys()
            #expect(keys.count == 1)
            let back = try #require(keys.first)
            #expect(back.kid == original.kid)
            #expect(back.algorithm == original.algorithm)
            #expect(back.state == .next)
            #expect(back.sealedPrivateKey == original.sealedPrivateKey)
            #expect(back.createdAt == original.createdAt)
            #expect(back.activatedAt == nil && back.retiredAt == nil && back.publishUntil == nil)
            #expect(try sameJSON(back.publicJWK, original.publicJWK))
        }
    }

    @Test func duplicateKidIsAConflict() throws {
        try withStore { store, _ in
            try store.insert(Self.key("k1"))
            let error = #expect(throws: StoreError.self) { try store.insert(Self.key("k1", createdAt: Self.t0 + 5)) }
            #expect(error?.code == .conflict)
            #expect(try store.allKeys().count == 1)
        }
    }

    @Test func secondActiveKeyIsRefusedEvenOnInsert() throws {
        try withStore { store, _ in
            try store.insert(Self.key("k1", .active))
            let error = #expect(throws: StoreError.self) { try store.insert(Self.key("k2", .active)) }
            #expect(error?.code == .conflict)
        }
    }

    @Test func activationRetiresThePreviousKey() throws {
        try withStore { store, _ in
            try store.insert(Self.key("k1"))
            try store.insert(Self.key("k2", createdAt: Self.t0 + 1))
            let first = Self.t0 + 100
            try store.activate(kid: "k1", at: first, previousKeyPublishUntil: first + 3600)
            var keys = try store.allKeys()
            #expect(keys.map(\.state) == [.active, .next])
            #expect(keys[0].activatedAt == first)

            let second = Self.t0 + 200
            try store.activate(kid: "k2", at: second, previousKeyPublishUntil: second + 3600)
            keys = try store.allKeys()
            #expect(keys.map(\.kid) == ["k1", "k2"])
            #expect(keys.map(\.state) == [.retired, .active])
            #expect(keys[0].retiredAt == second)
            #expect(keys[0].publishUntil == second + 3600)
            #expect(keys[1].activatedAt == second)
            #expect(keys.filter { $0.state == .active }.count == 1)
        }
    }

    @Test func activatingTheActiveKeyChangesNothing() throws {
        try withStore { store, _ in
            try store.insert(Self.key("k1"))
            try store.activate(kid: "k1", at: Self.t0 + 10, previousKeyPublishUntil: Self.t0 + 20)
            try store.activate(kid: "k1", at: Self.t0 + 30, previousKeyPublishUntil: Self.t0 + 40)
            let key = try #require(try store.allKeys().first)
            #expect(key.state == .active)
            #expect(key.activatedAt == Self.t0 + 10)
        }
    }

    @Test func unknownOrRetiredKidIsNotFound() throws {
        try withStore { store, _ in
            let unknown = #expect(throws: StoreError.self) {
                try store.activate(kid: "nope", at: Self.t0, previousKeyPublishUntil: Self.t0)
            }
            #expect(unknown?.code == .notFound)

            try store.insert(Self.key("k1"))
            try store.insert(Self.key("k2"))
            try store.activate(kid: "k1", at: Self.t0 + 1, previousKeyPublishUntil: Self.t0 + 100)
            try store.activate(kid: "k2", at: Self.t0 + 2, previousKeyPublishUntil: Self.t0 + 100)
            let retired = #expect(throws: StoreError.self) {
                try store.activate(kid: "k1", at: Self.t0 + 3, previousKeyPublishUntil: Self.t0 + 100)
            }
            #expect(retired?.code == .notFound)
            // The refused activation changed nothing.
            #expect(try store.allKeys().map(\.state) == [.retired, .active])
        }
    }

    @Test func rawSQLCannotMakeASecondActiveKey() throws {
        try withStore { store, connection in
            try store.insert(Self.key("k1"))
            try store.insert(Self.key("k2"))
            try store.activate(kid: "k1", at: Self.t0, previousKeyPublishUntil: Self.t0)
            let update = #expect(throws: PostgresError.self) {
                try connection.execute(
                    "UPDATE signing_keys SET state = 'active', activated_at = now() WHERE kid = \("k2")"
                )
            }
            #expect(update?.sqlState == .uniqueViolation)
            let bad = #expect(throws: PostgresError.self) {
                try connection.execute("UPDATE signing_keys SET state = 'bogus' WHERE kid = \("k2")")
            }
            #expect(bad?.sqlState == .checkViolation)
            let retiredWithoutDates = #expect(throws: PostgresError.self) {
                try connection.execute("UPDATE signing_keys SET state = 'retired' WHERE kid = \("k2")")
            }
            #expect(retiredWithoutDates?.sqlState == .checkViolation)
            #expect(try store.allKeys().filter { $0.state == .active }.map(\.kid) == ["k1"])
        }
    }

    @Test func publishedKeysFollowPublishUntil() throws {
        try withStore { store, _ in
            try store.insert(Self.key("old", createdAt: Self.t0))
            try store.insert(Self.key("current", createdAt: Self.t0 + 1))
            try store.insert(Self.key("upcoming", createdAt: Self.t0 + 2))
            try store.activate(kid: "old", at: Self.t0 + 10, previousKeyPublishUntil: Self.t0 + 10)
            // Retiring "old" at t0+20, published until t0+1000.
            try store.activate(kid: "current", at: Self.t0 + 20, previousKeyPublishUntil: Self.t0 + 1000)

            let cases: [(Date, [String])] = [
                (Self.t0 + 500, ["old", "current", "upcoming"]),
                (Self.t0 + 999.999, ["old", "current", "upcoming"]),
                (Self.t0 + 1000, ["current", "upcoming"]),
                (Self.t0 + 100_000, ["current", "upcoming"]),
            ]
            for (now, expected) in cases {
                #expect(try store.publishedKeys(at: now).map(\.kid) == expected, "at \(now)")
                let all = try store.allKeys()
                #expect(all.filter { $0.isPublished(at: now) }.map(\.kid) == expected, "domain rule at \(now)")
            }
        }
    }

    @Test func removeExpiredKeysRemovesOnlyRetiredPastPublishUntil() throws {
        try withStore { store, _ in
            try store.insert(Self.key("a", createdAt: Self.t0))
            try store.insert(Self.key("b", createdAt: Self.t0 + 1))
            try store.insert(Self.key("c", createdAt: Self.t0 + 2))
            try store.insert(Self.key("d", createdAt: Self.t0 + 3))
            try store.activate(kid: "a", at: Self.t0 + 10, previousKeyPublishUntil: Self.t0)
            try store.activate(kid: "b", at: Self.t0 + 20, previousKeyPublishUntil: Self.t0 + 100)  // a until +100
            try store.activate(kid: "c", at: Self.t0 + 30, previousKeyPublishUntil: Self.t0 + 200)  // b until +200

            #expect(try store.removeExpiredKeys(at: Self.t0 + 99) == 0)
            #expect(try store.removeExpiredKeys(at: Self.t0 + 100) == 1)
            #expect(try store.allKeys().map(\.kid) == ["b", "c", "d"])
            #expect(try store.removeExpiredKeys(at: Self.t0 + 10_000) == 1)
            #expect(try store.allKeys().map(\.kid) == ["c", "d"])
            #expect(try store.removeExpiredKeys(at: Self.t0 + 1_000_000) == 0)
        }
    }

    @Test func unreachableDatabaseIsUnavailable() {
        let connection = PostgresConnection(conninfo: "host=127.0.0.1 port=1 dbname=credence user=credence")
        let store = PostgresSigningKeyStore(connection: connection)
        let read = #expect(throws: StoreError.self) { try store.publishedKeys(at: Self.t0) }
        #expect(read?.code == .unavailable)
        let write = #expect(throws: StoreError.self) { try store.insert(Self.key("k")) }
        #expect(write?.code == .unavailable)
        let rotate = #expect(throws: StoreError.self) {
            try store.activate(kid: "k", at: Self.t0, previousKeyPublishUntil: Self.t0)
        }
        #expect(rotate?.code == .unavailable)
    }

    @Test func unmigratedSchemaIsUnavailableWithoutDatabaseDetail() throws {
        // A 503 until `credence migrate` runs, never a 500.
        try TestDatabase.withSchema { configuration in
            let store = PostgresSigningKeyStore(connection: PostgresConnection(configuration: configuration))
            let error = #expect(throws: StoreError.self) { try store.allKeys() }
            #expect(error?.code == .unavailable)
            #expect(error.map { $0.debugDescription.contains("signing_keys") } == false)
        }
    }

    @Test func concurrentActivationsLeaveOneActiveKey() throws {
        try TestDatabase.withSchema { configuration in
            let setup = PostgresConnection(configuration: configuration)
            try MigrationRunner(connection: setup, migrations: try MigrationSet.embedded()).migrate()
            let store = PostgresSigningKeyStore(connection: setup)
            for index in 0..<4 { try store.insert(Self.key("k\(index)", createdAt: Self.t0 + Double(index))) }
            let results = runOnThreads(count: 4) { index -> Result<Void, StoreError> in
                let connection = PostgresConnection(configuration: configuration)
                defer { connection.close() }
                return Result { () throws(StoreError) in
                    try PostgresSigningKeyStore(connection: connection)
                        .activate(kid: "k\(index)", at: Self.t0 + 100, previousKeyPublishUntil: Self.t0 + 200)
                }
            }
            // Activations are serialized: the activation of an already-retired
            // key is notFound, none fails otherwise.
            for result in results {
                if case .failure(let error) = result { #expect(error.code == .notFound) }
            }
            let keys = try store.allKeys()
            #expect(keys.filter { $0.state == .active }.count == 1)
        }
    }
}
