import Foundation
import PostgresLibPQ

/// Brings a database's schema up to a binary's migrations. All pending
/// migrations run in ONE transaction that first takes an advisory lock, so two
/// responders starting at once never race (the second waits, then finds
/// nothing to do), and a failing migration leaves the schema as it was.
/// Each applied file is recorded with its SHA-256; a recorded migration whose
/// file has changed since stops everything with `checksumMismatch`.
///
/// Migration 1 creates the bookkeeping table `credence_schema_migrations`
/// itself (so its definition lives in `sql/` with the rest); before it has
/// run, the runner treats a database without that table as having nothing applied.
public struct MigrationRunner {
    /// The advisory lock key every runner takes: "Credence" in ASCII.
    static let advisoryLockKey: Int64 = 0x4372_6564_656E_6365

    /// The connection the runner works on.
    public let connection: PostgresConnection
    /// The migrations this binary knows.
    public let migrations: MigrationSet
    /// How long to wait for another runner's lock before giving up with `unavailable`.
    public var lockTimeout: Duration = .seconds(60)

    /// A runner for `migrations` over `connection`.
    public init(connection: PostgresConnection, migrations: MigrationSet) {
        self.connection = connection
        self.migrations = migrations
    }

    /// Applies every pending migration and returns those it applied (none
    /// when the schema is current). Migrations run without a statement
    /// timeout; the lock wait is bounded by `lockTimeout`.
    @discardableResult
    public func migrate() throws(MigrationError) -> [Migration] {
        do {
            return try connection.transaction { connection in
                try lockAndRelax(connection)
                let applied = try appliedMigrations(connection)
                try verify(applied: applied, checksums: try checksums(connection))
                var done: [Migration] = []
                for migration in migrations.migrations where applied[migration.version] == nil {
                    try apply(migration, connection)
                    done.append(migration)
                }
                return done
            }
        } catch let error as MigrationError {
            throw error
        } catch let error as PostgresError {
            throw .database("migrating failed; nothing was applied", error)
        } catch {
            throw .database("migrating failed; nothing was applied", .invalidQuery("\(error)"))
        }
    }

    /// Reports every migration as applied, pending, changed, or unknown to this binary.
    public func status() throws(MigrationError) -> MigrationStatus {
        let applied: [Int: AppliedMigration]
        let sums: [Int: String]
        do {
            applied = try appliedMigrations(connection)
            sums = try checksums(connection)
        } catch {
            throw .database("reading migration status failed", error)
        }
        var entries: [MigrationStatus.Entry] = []
        for migration in migrations.migrations {
            let state: MigrationStatus.State
            if let record = applied[migration.version] {
                state =
                    record.checksum == sums[migration.version]
                    ? .applied(at: record.appliedAt) : .checksumMismatch(appliedAt: record.appliedAt)
            } else {
                state = .pending
            }
            entries.append(MigrationStatus.Entry(version: migration.version, name: migration.name, state: state))
        }
        let known = Set(migrations.migrations.map(\.version))
        for record in applied.values.sorted(by: { $0.version < $1.version }) where !known.contains(record.version) {
            entries.append(
                MigrationStatus.Entry(
                    version: record.version,
                    name: record.name,
                    state: .unknownToThisBinary(appliedAt: record.appliedAt)
                )
            )
        }
        return MigrationStatus(entries: entries)
    }

    // MARK: - Steps

    private struct AppliedMigration {
        let version: Int
        let name: String
        let checksum: String
        let appliedAt: Date
    }

    /// Takes the runner lock (released at commit or rollback) and lifts the
    /// statement timeout for this transaction only.
    private func lockAndRelax(_ connection: PostgresConnection) throws(PostgresError) {
        let (seconds, attoseconds) = lockTimeout.components
        let milliseconds = max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        try connection.query("SELECT set_config('statement_timeout', '0', true)")
        try connection.query("SELECT set_config('lock_timeout', \(String(milliseconds)), true)")
        try connection.query("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))")
    }

    private func appliedMigrations(_ connection: PostgresConnection) throws(PostgresError) -> [Int: AppliedMigration] {
        let present = try connection.query(
            "SELECT to_regclass('credence_schema_migrations') IS NOT NULL AS present",
            idempotent: true
        )
        guard try present.first?.decode("present", as: Bool.self) == true else { return [:] }
        let rows = try connection.query(
            "SELECT version, name, checksum, applied_at FROM credence_schema_migrations ORDER BY version",
            idempotent: true
        )
        var applied: [Int: AppliedMigration] = [:]
        for row in rows {
            let record = AppliedMigration(
                version: try row.decode("version"),
                name: try row.decode("name"),
                checksum: try row.decode("checksum"),
                appliedAt: try row.decode("applied_at")
            )
            applied[record.version] = record
        }
        return applied
    }

    /// The SHA-256 (hex) of each migration's file, computed by the server so
    /// the binary needs no digest code of its own for it.
    private func checksums(_ connection: PostgresConnection) throws(PostgresError) -> [Int: String] {
        var sums: [Int: String] = [:]
        for migration in migrations.migrations {
            let rows = try connection.query(
                "SELECT encode(sha256(\(Array(migration.sql.utf8))), 'hex') AS checksum",
                idempotent: true
            )
            sums[migration.version] = try rows.first?.decode("checksum", as: String.self)
        }
        return sums
    }

    private func verify(applied: [Int: AppliedMigration], checksums: [Int: String]) throws(MigrationError) {
        let known = Dictionary(uniqueKeysWithValues: migrations.migrations.map { ($0.version, $0) })
        for record in applied.values.sorted(by: { $0.version < $1.version }) {
            guard let migration = known[record.version] else {
                throw .unknownAppliedMigration(
                    "the database has migration \(record.version) (\(record.name)), which this binary does not know; "
                        + "run a newer credence"
                )
            }
            guard checksums[record.version] == record.checksum else {
                throw .checksumMismatch(
                    "migration \(migration.fileName) was changed after it was applied "
                        + "(recorded sha256 \(record.checksum)); restore the file and add a new migration instead"
                )
            }
        }
    }

    private func apply(_ migration: Migration, _ connection: PostgresConnection) throws {
        do {
            try connection.runScript(unsafeSQL: migration.sql)
        } catch {
            throw MigrationError.database("migration \(migration.fileName) failed; nothing was applied", error)
        }
        try connection.execute(
            """
            INSERT INTO credence_schema_migrations (version, name, checksum, applied_at)
            VALUES (\(migration.version), \(migration.name), encode(sha256(\(Array(migration.sql.utf8))), 'hex'), now())
            """
        )
    }
}
