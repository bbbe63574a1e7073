import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Testing

/// A worker's connection notices a lost session, never retries a write
/// blindly, and repairs itself on a later call.
@Suite("Lost connections")
struct ReconnectTests {
    private func terminate(_ pid: Int) throws {
        let admin = try TestDatabase.adminConnection()
        defer { admin.close() }
        let row = try #require(try admin.query("SELECT pg_terminate_backend(\(pid)::integer) AS done").first)
        #expect(try row.decode("done", as: Bool.self))
        // Wait until the backend has gone, so the next call surely meets a dead session.
        for _ in 0..<200 {
            let alive = try admin.query("SELECT 1 AS x FROM pg_stat_activity WHERE pid = \(pid)")
            if alive.isEmpty { return }
            usleep(10_000)
        }
    }

    @Test func writeAfterTerminationFailsThenTheNextCallReconnects() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE writes (n int)")
            let first = try #require(connection.backendPID)
            try terminate(first)

            let error = #expect(throws: PostgresError.self) {
                try connection.execute("INSERT INTO writes VALUES (\(1))")
            }
            #expect(error?.code == .connectionFailure)

            try connection.execute("INSERT INTO writes VALUES (\(2))")
            let second = try #require(connection.backendPID)
            #expect(second != first)
            let rows = try connection.query("SELECT n FROM writes").map { try $0.decode("n", as: Int.self) }
            #expect(rows == [2])
        }
    }

    @Test func idempotentReadIsRetriedOnce() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.ping()
            let first = try #require(connection.backendPID)
            try terminate(first)
            let row = try #require(try connection.query("SELECT 5 AS five", idempotent: true).first)
            #expect(try row.decode("five", as: Int.self) == 5)
            #expect(connection.backendPID != first)
        }
    }

    @Test func lossInsideATransactionFailsTheTransaction() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE writes (n int)")
            let error = #expect(throws: PostgresError.self) {
                try connection.transaction { connection in
                    try connection.execute("INSERT INTO writes VALUES (\(1))")
                    try terminate(try #require(connection.backendPID))
                    // Even an idempotent read must not reconnect inside the transaction.
                    try connection.query("SELECT 1 AS one", idempotent: true)
                    try connection.execute("INSERT INTO writes VALUES (\(2))")
                }
            }
            #expect(error?.code == .connectionFailure)
            let rows = try connection.query("SELECT n FROM writes")
            #expect(rows.isEmpty)
        }
    }

    @Test func transactionStartsOnAFreshSessionAfterTermination() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE writes (n int)")
            try terminate(try #require(connection.backendPID))
            try connection.transaction { connection in
                try connection.execute("INSERT INTO writes VALUES (\(1))")
            }
            #expect(try connection.query("SELECT n FROM writes").count == 1)
        }
    }

    @Test(.enabled(if: ThrowawayCluster.isAvailable, "needs a PostgreSQL server to start"))
    func serverRestartIsSurvivedByTheSameConnection() throws {
        let cluster = try ThrowawayCluster()
        defer { cluster.destroy() }
        var configuration = PostgresConfiguration(conninfo: cluster.conninfo)
        configuration.reconnectBackoff = .zero ... .zero
        let connection = PostgresConnection(configuration: configuration)
        try connection.ping()
        let before = try #require(connection.backendPID)

        try cluster.stop()
        let whileDown = #expect(throws: PostgresError.self) { try connection.ping() }
        #expect(whileDown?.code == .connectionFailure)
        let writeWhileDown = #expect(throws: PostgresError.self) { try connection.execute("SELECT 1") }
        #expect(writeWhileDown?.code == .connectionFailure)

        try cluster.start()
        try connection.ping()
        #expect(connection.backendPID != nil)
        #expect(connection.backendPID != before || connection.isConnected)
    }

    @Test(.enabled(if: ThrowawayCluster.isAvailable, "needs a PostgreSQL server to start"))
    func restartUnderAnIdleSessionFailsTheWriteOnceThenWorks() throws {
        let cluster = try ThrowawayCluster()
        defer { cluster.destroy() }
        var configuration = PostgresConfiguration(conninfo: cluster.conninfo)
        configuration.reconnectBackoff = .zero ... .zero
        let connection = PostgresConnection(configuration: configuration)
        try connection.execute("CREATE TABLE writes (n int)")
        try cluster.stop()
        try cluster.start()
        // libpq cannot know the session died until it uses it: this write fails, not retried.
        let error = #expect(throws: PostgresError.self) {
            try connection.execute("INSERT INTO writes VALUES (\(1))")
        }
        #expect(error?.code == .connectionFailure)
        try connection.execute("INSERT INTO writes VALUES (\(2))")
        let rows = try connection.query("SELECT n FROM writes").map { try $0.decode("n", as: Int.self) }
        #expect(rows == [2])
    }

    @Test func unreachableServerFailsFastWithConnectionFailure() {
        // Port 1 on the loopback: nothing listens, the kernel refuses at once.
        let connection = PostgresConnection(conninfo: "host=127.0.0.1 port=1 dbname=credence user=credence")
        let first = #expect(throws: PostgresError.self) { try connection.ping() }
        #expect(first?.code == .connectionFailure)
        // Within the back-off the next calls fail without trying.
        let second = #expect(throws: PostgresError.self) { try connection.execute("SELECT 1") }
        #expect(second?.code == .connectionFailure)
        let third = #expect(throws: PostgresError.self) { try connection.transaction { _ in 1 } }
        #expect(third?.code == .connectionFailure)
        #expect(!connection.isReachable())
        #expect(!connection.isConnected)
    }

    @Test func missingSocketFailsWithConnectionFailure() {
        let connection = PostgresConnection(conninfo: "host=/nonexistent-credence-socket-dir dbname=credence")
        let error = #expect(throws: PostgresError.self) { try connection.connect() }
        #expect(error?.code == .connectionFailure)
    }

    @Test(arguments: ["port=notanumber", "postgresql://[::1", "nosuchoption=1"])
    func malformedConninfoIsAConnectionFailure(_ conninfo: String) {
        let connection = PostgresConnection(conninfo: conninfo)
        let error = #expect(throws: PostgresError.self) { try connection.connect() }
        #expect(error?.code == .connectionFailure)
    }
}
