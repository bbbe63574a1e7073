import CredenceCore
import CredencePostgres
import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Testing

/// `PostgresReplayStore` and `PostgresRevokedTokenStore`: the insert is the replay check,
/// across connections; expired entries are reusable and purged in bounded batches.
@Suite("Postgres replay and revocation stores")
struct TokenStoreTests {
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    private func withSchema(_ body: (PostgresConfiguration, PostgresConnection) throws -> Void) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try MigrationRunner(connection: connection, migrations: try MigrationSet.embedded()).migrate()
            try body(configuration, connection)
        }
    }

    private func rowCount(_ table: String, _ connection: PostgresConnection) throws -> Int {
        try connection.query("SELECT count(*) AS n FROM \(identifier: table)").first!.decode("n", as: Int.self)
    }

    // MARK: - Replay store

    @Test func aReplayedJTIIsRefused() throws {
        try withSchema { _, connection throws in
            let store = PostgresReplayStore(connection: connection)
            #expect(try store.recordFirstUse(issuer: "client-1", jti: "j1", expiresAt: Self.t0 + 60, now: Self.t0))
            #expect(try !store.recordFirstUse(issuer: "client-1", jti: "j1", expiresAt: Self.t0 + 60, now: Self.t0 + 1))
            // Refused however the replay dresses its expiry.
            #expect(
                try !store.recordFirstUse(issuer: "client-1", jti: "j1", expiresAt: Self.t0 + 9999, now: Self.t0 + 2)
            )
            // The jti is scoped to its issuer, and compared by bytes.
            #expect(try store.recordFirstUse(issuer: "client-2", jti: "j1", expiresAt: Self.t0 + 60, now: Self.t0))
            #expect(try store.recordFirstUse(issuer: "client-1", jti: "J1", expiresAt: Self.t0 + 60, now: Self.t0))
            #expect(
                try store.recordFirstUse(issuer: "client-1", jti: "\u{212A}", expiresAt: Self.t0 + 60, now: Self.t0)
            )
            #expect(try store.recordFirstUse(issuer: "client-1", jti: "K", expiresAt: Self.t0 + 60, now: Self.t0))
            #expect(try rowCount("used_jtis", connection) == 5)
        }
    }

    @Test func anExpiredEntryMayBeUsedAgainAndIsThenLive() throws {
        try withSchema { _, connection throws in
            let store = PostgresReplayStore(connection: connection)
            #expect(try store.recordFirstUse(issuer: "c", jti: "j", expiresAt: Self.t0 + 10, now: Self.t0))
            // Up to and including its expiry instant the entry is live.
            #expect(try !store.recordFirstUse(issuer: "c", jti: "j", expiresAt: Self.t0 + 70, now: Self.t0 + 10))
            #expect(try store.recordFirstUse(issuer: "c", jti: "j", expiresAt: Self.t0 + 70, now: Self.t0 + 11))
            #expect(try !store.recordFirstUse(issuer: "c", jti: "j", expiresAt: Self.t0 + 70, now: Self.t0 + 12))
            let expiry = try connection.query("SELECT expires_at FROM used_jtis").first!.decode(
                "expires_at",
                as: Date.self
            )
            #expect(expiry == Self.t0 + 70)
            #expect(try rowCount("used_jtis", connection) == 1)
        }
    }

    @Test(arguments: ["", "a\u{0}b", String(repeating: "j", count: 513)])
    func aJTITheTableCannotHoldIsRefusedNotAnError(_ jti: String) throws {
        try withSchema { _, connection throws in
            let store = PostgresReplayStore(connection: connection)
            #expect(try !store.recordFirstUse(issuer: "c", jti: jti, expiresAt: Self.t0 + 60, now: Self.t0))
            #expect(try !store.recordFirstUse(issuer: "c\u{0}", jti: "ok", expiresAt: Self.t0 + 60, now: Self.t0))
            #expect(try rowCount("used_jtis", connection) == 0)
        }
    }

    @Test func theSameJTIsFromTwoConnectionsAreEachAcceptedExactlyOnce() throws {
        try withSchema { configuration, _ throws in
            let jtis = (0..<200).map { "jti-\($0)" }
            let results = runOnThreads(count: 2) { _ -> Result<[Bool], StoreError> in
                let connection = PostgresConnection(configuration: configuration)
                defer { connection.close() }
                let store = PostgresReplayStore(connection: connection)
                return Result { () throws(StoreError) in
                    var accepted: [Bool] = []
                    for jti in jtis {
                        accepted.append(
                            try store.recordFirstUse(issuer: "c", jti: jti, expiresAt: Self.t0 + 600, now: Self.t0)
                        )
                    }
                    return accepted
                }
            }
            let first = try results[0].get()
            let second = try results[1].get()
            for index in jtis.indices {
                #expect(first[index] != second[index], "jti-\(index) accepted \(first[index] ? 2 : 0) times")
            }
        }
    }

    /// The race itself, made deterministic: the second insert waits on the first's
    /// uncommitted row, and its answer follows the first transaction's fate.
    @Test(arguments: [true, false])
    func aConcurrentInsertWaitsForTheFirstAndFollowsItsOutcome(firstCommits: Bool) throws {
        try withSchema { configuration, connection throws in
            let second = try whileHolding(
                connection,
                configuration: configuration,
                commit: firstCommits,
                hold: { transaction in
                    let first = try PostgresReplayStore(connection: transaction)
                        .recordFirstUse(issuer: "c", jti: "race", expiresAt: Self.t0 + 60, now: Self.t0)
                    #expect(first)
                },
                other: { other in
                    try PostgresReplayStore(connection: other)
                        .recordFirstUse(issuer: "c", jti: "race", expiresAt: Self.t0 + 60, now: Self.t0)
                }
            )
            // Committed: the second is a replay. Rolled back: the second is the first use.
            #expect(second == !firstCommits)
            #expect(try rowCount("used_jtis", connection) == 1)
        }
    }

    /// A purge that meets an entry being reused (updated to a live expiry) must not delete
    /// the live entry: the delete re-checks the expiry on the row's new version.
    @Test func aPurgeNeverDeletesAnEntryReusedMeanwhile() throws {
        try withSchema { configuration, connection throws in
            let store = PostgresReplayStore(connection: connection)
            #expect(try store.recordFirstUse(issuer: "c", jti: "reused", expiresAt: Self.t0 + 10, now: Self.t0))
            let now = Self.t0 + 100
            let deleted = try whileHolding(
                connection,
                configuration: configuration,
                commit: true,
                hold: { transaction in
                    let reused = try PostgresReplayStore(connection: transaction)
                        .recordFirstUse(issuer: "c", jti: "reused", expiresAt: now + 60, now: now)
                    #expect(reused)
                },
                other: { other in try PostgresReplayStore(connection: other).deleteExpired(before: now, limit: 10) }
            )
            #expect(deleted == 0)
            #expect(try !store.recordFirstUse(issuer: "c", jti: "reused", expiresAt: now + 60, now: now + 1))
        }
    }

    /// Runs `hold` in a transaction on `connection`, starts `other` on a second connection,
    /// waits until `other` blocks on a lock `hold` took, then commits (or rolls back) and
    /// returns what `other` answered.
    private func whileHolding<Value: Sendable>(
        _ connection: PostgresConnection,
        configuration: PostgresConfiguration,
        commit: Bool,
        hold: (PostgresConnection) throws -> Void,
        other: @escaping @Sendable (PostgresConnection) throws -> Value
    ) throws -> Value {
        let outcome = Locked<Result<Value, any Error>?>(nil)
        let pid = Locked<Int?>(nil)
        let done = DispatchSemaphore(value: 0)
        do {
            try connection.transaction { transaction in
                try hold(transaction)
                Thread {
                    let second = PostgresConnection(configuration: configuration)
                    defer {
                        second.close()
                        done.signal()
                    }
                    do {
                        try second.connect()
                    } catch {
                        outcome.withLock { $0 = .failure(error) }
                        return
                    }
                    pid.withLock { $0 = second.backendPID }
                    let result = Result { try other(second) }
                    outcome.withLock { $0 = result }
                }.start()
                let deadline = Date() + 20
                var blocked = false
                while !blocked && Date() < deadline && outcome.withLock({ $0 == nil }) {
                    if let backend = pid.withLock({ $0 }) {
                        blocked = try !transaction.query(
                            """
                            SELECT 1 AS waiting FROM pg_stat_activity
                            WHERE pid = \(backend) AND wait_event_type = 'Lock'
                            """
                        ).isEmpty
                    }
                    if !blocked { Thread.sleep(forTimeInterval: 0.02) }
                }
                #expect(blocked, "the second connection never waited for the first")
                if !commit { throw Rollback() }
            }
        } catch is Rollback {}
        done.wait()
        return try #require(outcome.withLock { $0 }).get()
    }

    private struct Rollback: Error {}

    @Test func expiredEntriesArePurgedInBoundedBatchesAndLiveOnesStay() throws {
        try withSchema { _, connection throws in
            let store = PostgresReplayStore(connection: connection)
            for index in 0..<25 {
                _ = try store.recordFirstUse(
                    issuer: "c",
                    jti: "old-\(index)",
                    expiresAt: Self.t0 + Double(index),
                    now: Self.t0 - 100
                )
            }
            for index in 0..<5 {
                _ = try store.recordFirstUse(issuer: "c", jti: "live-\(index)", expiresAt: Self.t0 + 500, now: Self.t0)
            }
            let now = Self.t0 + 100
            #expect(try store.deleteExpired(before: now, limit: 10) == 10)
            #expect(try rowCount("used_jtis", connection) == 20)
            #expect(try store.deleteExpired(before: now, limit: 10) == 10)
            #expect(try store.deleteExpired(before: now, limit: 10) == 5)
            #expect(try store.deleteExpired(before: now, limit: 10) == 0)
            #expect(try store.deleteExpired(before: now, limit: 0) == 0)
            #expect(try rowCount("used_jtis", connection) == 5)
            // The live ones are still replays.
            #expect(try !store.recordFirstUse(issuer: "c", jti: "live-0", expiresAt: Self.t0 + 500, now: now))
            // An entry expiring exactly at the cut-off is kept.
            #expect(try store.recordFirstUse(issuer: "c", jti: "edge", expiresAt: now, now: Self.t0))
            #expect(try store.deleteExpired(before: now, limit: 10) == 0)
        }
    }

    @Test func thePurgeUsesATIDScanNotAFullJoin() throws {
        try withSchema { _, connection throws in
            // Planner statistics of a table with live and expired entries.
            try connection.execute(
                """
                INSERT INTO used_jtis (issuer, jti, expires_at)
                SELECT 'c', 'j' || g, now() + (g % 100 - 50) * interval '1 minute' FROM generate_series(1, 5000) g
                """
            )
            try connection.execute("ANALYZE used_jtis")
            let plan = try connection.query(
                """
                EXPLAIN DELETE FROM used_jtis
                WHERE ctid = ANY(ARRAY(SELECT ctid FROM used_jtis WHERE expires_at < now() LIMIT 1000))
                  AND expires_at < now()
                """
            ).map { try $0.decode("QUERY PLAN", as: String.self) }.joined(separator: "\n")
            #expect(plan.contains("Tid Scan"), "\(plan)")
        }
    }

    // MARK: - Revoked tokens

    @Test func revokedTokensAreListedOnceAndByBytes() throws {
        try withSchema { _, connection throws in
            let store = PostgresRevokedTokenStore(connection: connection)
            #expect(try !store.isRevoked(jti: "t1"))
            try store.revoke(jti: "t1", clientID: "c", expiresAt: Self.t0 + 300, now: Self.t0)
            #expect(try store.isRevoked(jti: "t1"))
            #expect(try !store.isRevoked(jti: "T1"))
            #expect(try !store.isRevoked(jti: "t1 "))
            // Revoking again changes nothing: the first entry stays.
            try store.revoke(jti: "t1", clientID: "c", expiresAt: Self.t0 + 900, now: Self.t0 + 50)
            let row = try #require(try connection.query("SELECT expires_at, revoked_at FROM revoked_tokens").first)
            #expect(try row.decode("revoked_at", as: Date.self) == Self.t0)
            #expect(try row.decode("expires_at", as: Date.self) == Self.t0 + 300)
            #expect(try rowCount("revoked_tokens", connection) == 1)
            // Kelvin sign vs K.
            try store.revoke(jti: "K", clientID: "c", expiresAt: Self.t0 + 300, now: Self.t0)
            #expect(try !store.isRevoked(jti: "\u{212A}"))
        }
    }

    @Test func aJTITheDenyListCannotHoldIsNeverRevoked() throws {
        try withSchema { _, connection throws in
            let store = PostgresRevokedTokenStore(connection: connection)
            #expect(try !store.isRevoked(jti: "a\u{0}"))
            #expect(try !store.isRevoked(jti: ""))
            let error = #expect(throws: StoreError.self) {
                try store.revoke(jti: "a\u{0}", clientID: "c", expiresAt: Self.t0 + 1, now: Self.t0)
            }
            #expect(error?.code == .failed)
            #expect(try rowCount("revoked_tokens", connection) == 0)
        }
    }

    @Test func expiredRevocationsArePurgedInBoundedBatches() throws {
        try withSchema { _, connection throws in
            let store = PostgresRevokedTokenStore(connection: connection)
            for index in 0..<7 {
                try store.revoke(jti: "old-\(index)", clientID: "c", expiresAt: Self.t0 + Double(index), now: Self.t0)
            }
            try store.revoke(jti: "live", clientID: "c", expiresAt: Self.t0 + 1000, now: Self.t0)
            let now = Self.t0 + 100
            #expect(try store.deleteExpired(before: now, limit: 3) == 3)
            #expect(try store.deleteExpired(before: now, limit: 3) == 3)
            #expect(try store.deleteExpired(before: now, limit: 3) == 1)
            #expect(try store.deleteExpired(before: now, limit: 3) == 0)
            #expect(try store.isRevoked(jti: "live"))
            #expect(try rowCount("revoked_tokens", connection) == 1)
        }
    }

    @Test func unreachableDatabaseIsUnavailable() throws {
        let connection = PostgresConnection(conninfo: "host=127.0.0.1 port=1 dbname=credence user=credence")
        let replays = PostgresReplayStore(connection: connection)
        let error = #expect(throws: StoreError.self) {
            try replays.recordFirstUse(issuer: "c", jti: "j", expiresAt: Self.t0, now: Self.t0)
        }
        #expect(error?.code == .unavailable)
        let revoked = PostgresRevokedTokenStore(connection: connection)
        let other = #expect(throws: StoreError.self) { try revoked.isRevoked(jti: "j") }
        #expect(other?.code == .unavailable)
    }
}

/// A value shared between a test and a thread it starts.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ initial: Value) { value = initial }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
