import CredenceCore
import CredencePostgres
import PostgresLibPQ
import PostgresTestSupport
import Testing

/// The health check tells a reachable, migrated database from the rest.
@Suite("Postgres health check")
struct HealthCheckTests {
    @Test func reachableDatabasePassesAndSchemaCheckFollowsMigrations() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let health = PostgresHealthCheck(connection: connection)
            try health.check()
            #expect(health.isReachable)
            let migrations = try MigrationSet.embedded()
            let before = #expect(throws: StoreError.self) { try health.checkSchema(migrations) }
            #expect(before?.code == .failed)
            try MigrationRunner(connection: connection, migrations: migrations).migrate()
            try health.checkSchema(migrations)
        }
    }

    @Test func unreachableDatabaseIsUnavailable() throws {
        let health = PostgresHealthCheck(
            connection: PostgresConnection(conninfo: "host=127.0.0.1 port=1 dbname=credence user=credence")
        )
        let error = #expect(throws: StoreError.self) { try health.check() }
        #expect(error?.code == .unavailable)
        #expect(!health.isReachable)
        let schema = #expect(throws: StoreError.self) { try health.checkSchema(try MigrationSet.embedded()) }
        #expect(schema?.code == .unavailable)
    }
}
