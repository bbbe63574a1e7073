import CredenceCore
import PostgresLibPQ

/// Answers whether the database can serve requests, for a health endpoint or
/// `credence check-config`: reachable (a `SELECT 1` on the worker's own
/// connection, which reconnects if it can) and, optionally, migrated.
public struct PostgresHealthCheck {
    /// The worker's connection.
    public let connection: PostgresConnection

    /// A health check over `connection`.
    public init(connection: PostgresConnection) {
        self.connection = connection
    }

    /// Throws `unavailable` when the database cannot be reached.
    public func check() throws(StoreError) {
        do {
            try connection.ping()
        } catch {
            throw .translating(error, during: "health check")
        }
    }

    /// Whether the database answers now.
    public var isReachable: Bool { connection.isReachable() }

    /// Throws `unavailable` when unreachable and `failed` when the schema is
    /// not exactly `migrations` (pending, changed or newer migrations).
    public func checkSchema(_ migrations: MigrationSet) throws(StoreError) {
        try check()
        let status: MigrationStatus
        do {
            status = try MigrationRunner(connection: connection, migrations: migrations).status()
        } catch {
            if error.code == .unavailable { throw .unavailable("health check: the database is unreachable") }
            throw .failed("health check: migration status could not be read")
        }
        guard status.isUpToDate else { throw .failed("health check: the schema is not migrated to this binary") }
    }
}
