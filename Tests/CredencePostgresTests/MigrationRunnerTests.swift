import CredencePostgres
import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Testing

/// Migrations apply once, in one locked transaction, and refuse changed history.
@Suite("Migration runner")
struct MigrationRunnerTests {
    private func tables(_ connection: PostgresConnection) throws -> Set<String> {
        try Set(
            connection.query("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                .map { try $0.decode("tablename", as: String.self) }
        )
    }

    private func recorded(_ connection: PostgresConnection) throws -> [Int] {
        try connection.query("SELECT version FROM credence_schema_migrations ORDER BY version")
            .map { try $0.decode("version", as: Int.self) }
    }

    /// A migration numbered right after `set`'s last.
    private func next(after set: MigrationSet, _ name: String, _ sql: String) throws -> Migration {
        try Migration(fileName: String(format: "%04d", set.migrations.count + 1) + "_\(name).sql", sql: sql)
    }

    @Test func appliesEverythingOnceThenNothing() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let migrations = try MigrationSet.embedded()
            let runner = MigrationRunner(connection: connection, migrations: migrations)
            #expect(try runner.status().pending.count == migrations.migrations.count)
            #expect(try !runner.status().isUpToDate)

            let applied = try runner.migrate()
            #expect(applied.map(\.version) == migrations.migrations.map(\.version))
            #expect(
                try tables(connection).isSuperset(of: [
                    "credence_schema_migrations", "signing_keys", "clients", "used_jtis", "revoked_tokens",
                    "audit_events",
                ])
            )
            #expect(try recorded(connection) == migrations.migrations.map(\.version))

            let again = try runner.migrate()
            #expect(again.isEmpty)
            #expect(try recorded(connection) == migrations.migrations.map(\.version))
            let status = try runner.status()
            #expect(status.isUpToDate)
            #expect(status.pending.isEmpty)
        }
    }

    @Test func laterMigrationsApplyOnTopOfEarlierOnes() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let bookkeeping = """
                CREATE TABLE credence_schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                    applied_at timestamptz NOT NULL);
                """
            let first = try MigrationSet(files: [("0001_a.sql", bookkeeping)])
            try MigrationRunner(connection: connection, migrations: first).migrate()
            let both = try MigrationSet(files: [
                ("0001_a.sql", first.migrations[0].sql), ("0002_b.sql", "CREATE TABLE later (id int);"),
            ])
            let applied = try MigrationRunner(connection: connection, migrations: both).migrate()
            #expect(applied.map(\.version) == [2])
            #expect(try tables(connection).contains("later"))
        }
    }

    @Test func changedChecksumIsRefused() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let original = try MigrationSet.embedded()
            try MigrationRunner(connection: connection, migrations: original).migrate()

            let edited = try MigrationSet(
                original.migrations.map { migration in
                    try Migration(
                        fileName: migration.fileName,
                        sql: migration.version == 1 ? migration.sql + "\n-- edited\n" : migration.sql
                    )
                } + [next(after: original, "more", "CREATE TABLE more (id int);")]
            )
            let runner = MigrationRunner(connection: connection, migrations: edited)
            let error = #expect(throws: MigrationError.self) { try runner.migrate() }
            #expect(error?.code == .checksumMismatch)
            // Nothing after the refusal was applied.
            #expect(try !tables(connection).contains("more"))
            let status = try runner.status()
            #expect(status.entries.first.map { if case .checksumMismatch = $0.state { true } else { false } } == true)
            #expect(!status.isUpToDate)
        }
    }

    @Test func databaseAheadOfTheBinaryIsRefused() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let embedded = try MigrationSet.embedded()
            let newer = try MigrationSet(
                embedded.migrations + [next(after: embedded, "newer", "CREATE TABLE newer (id int);")]
            )
            try MigrationRunner(connection: connection, migrations: newer).migrate()

            let runner = MigrationRunner(connection: connection, migrations: embedded)
            let error = #expect(throws: MigrationError.self) { try runner.migrate() }
            #expect(error?.code == .unknownAppliedMigration)
            let status = try runner.status()
            #expect(status.entries.last.map { if case .unknownToThisBinary = $0.state { true } else { false } } == true)
        }
    }

    @Test func failingMigrationLeavesNothingBehind() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let embedded = try MigrationSet.embedded()
            let broken = try MigrationSet(
                embedded.migrations + [next(after: embedded, "broken", "CREATE TABLE half (id int); SELEC oops;")]
            )
            let error = #expect(throws: MigrationError.self) {
                try MigrationRunner(connection: connection, migrations: broken).migrate()
            }
            #expect(error?.code == .failed)
            #expect(error?.underlying?.sqlState == .syntaxError)
            // One transaction: not even the earlier, valid migrations are recorded.
            #expect(try tables(connection).isEmpty)
            // And the connection is usable for a correct run afterwards.
            let applied = try MigrationRunner(connection: connection, migrations: embedded).migrate()
            #expect(applied.count == embedded.migrations.count)
        }
    }

    @Test func concurrentRunnersApplyEachMigrationOnce() throws {
        try TestDatabase.withSchema { configuration in
            let migrations = try MigrationSet.embedded()
            let results = runOnThreads(count: 4) { _ -> Result<Int, MigrationError> in
                let connection = PostgresConnection(configuration: configuration)
                defer { connection.close() }
                return Result { () throws(MigrationError) in
                    try MigrationRunner(connection: connection, migrations: migrations).migrate().count
                }
            }
            let counts = try results.map { try $0.get() }
            #expect(counts.reduce(0, +) == migrations.migrations.count)
            #expect(counts.filter { $0 > 0 }.count == 1)
            let connection = PostgresConnection(configuration: configuration)
            #expect(try recorded(connection) == migrations.migrations.map(\.version))
        }
    }

    @Test func unreachableDatabaseIsUnavailable() throws {
        let connection = PostgresConnection(conninfo: "host=127.0.0.1 port=1 dbname=credence user=credence")
        let runner = MigrationRunner(connection: connection, migrations: try MigrationSet.embedded())
        let error = #expect(throws: MigrationError.self) { try runner.migrate() }
        #expect(error?.code == .unavailable)
        let statusError = #expect(throws: MigrationError.self) { try runner.status() }
        #expect(statusError?.code == .unavailable)
    }
}

/// Runs `body` on `count` threads started together and returns their results in order.
func runOnThreads<Value: Sendable>(count: Int, _ body: @escaping @Sendable (Int) -> Value) -> [Value] {
    let results = ResultBox<Value>(count: count)
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            results.set(index, body(index))
            group.leave()
        }
        thread.start()
    }
    group.wait()
    return results.values
}

/// Results written by several threads, read after they have all finished.
final class ResultBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Value?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ value: Value) {
        lock.withLock { slots[index] = value }
    }

    var values: [Value] { lock.withLock { slots.compactMap { $0 } } }
}
