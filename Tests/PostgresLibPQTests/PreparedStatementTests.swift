import PostgresLibPQ
import PostgresTestSupport
import Testing

/// Each distinct statement is prepared once per session and reused.
@Suite("Prepared statements")
struct PreparedStatementTests {
    private func prepared(_ connection: PostgresConnection, like pattern: String) throws -> [String] {
        try connection.query(
            "SELECT name FROM pg_prepared_statements WHERE statement LIKE \(pattern) ORDER BY name"
        ).map { try $0.decode("name", as: String.self) }
    }

    @Test func sameTextIsPreparedOnce() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            for value in 1...5 {
                let row = try #require(try connection.query("SELECT \(value) + 1 AS reuse_probe").first)
                #expect(try row.decode("reuse_probe", as: Int.self) == value + 1)
            }
            #expect(try prepared(connection, like: "%reuse_probe%").count == 1)
            try connection.query("SELECT \(1) + 2 AS reuse_probe_other")
            #expect(try prepared(connection, like: "%reuse_probe%").count == 2)
        }
    }

    @Test func cacheIsBounded() throws {
        try TestDatabase.withSchema { base in
            var configuration = base
            configuration.preparedStatementLimit = 3
            let connection = PostgresConnection(configuration: configuration)
            for index in 0..<10 {
                try connection.query(PostgresQuery(unsafeSQL: "SELECT \(index) AS bounded_probe"))
            }
            #expect(try prepared(connection, like: "%bounded_probe%").count <= 3)
        }
    }

    @Test func deallocatedStatementIsPreparedAgain() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.query("SELECT \(1) AS dealloc_probe")
            try connection.runScript(unsafeSQL: "DEALLOCATE ALL")
            let row = try #require(try connection.query("SELECT \(2) AS dealloc_probe").first)
            #expect(try row.decode("dealloc_probe", as: Int.self) == 2)
        }
    }

    @Test func statementSurvivesATableChangingUnderIt() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE evolving (a int)")
            try connection.execute("INSERT INTO evolving VALUES (\(1))")
            try connection.query("SELECT * FROM evolving WHERE a = \(1)")
            // Another session migrates the table.
            let other = PostgresConnection(configuration: configuration)
            try other.execute("ALTER TABLE evolving ADD COLUMN b text DEFAULT 'new'")
            let row = try #require(try connection.query("SELECT * FROM evolving WHERE a = \(1)").first)
            #expect(try row.decode("b", as: String.self) == "new")
        }
    }

    @Test func cacheIsDroppedOnReconnect() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.query("SELECT \(1) AS reconnect_probe")
            connection.close()
            let row = try #require(try connection.query("SELECT \(2) AS reconnect_probe").first)
            #expect(try row.decode("reconnect_probe", as: Int.self) == 2)
            #expect(try prepared(connection, like: "%reconnect_probe%").count == 1)
        }
    }
}
