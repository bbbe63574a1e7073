import PostgresLibPQ
import PostgresTestSupport
import Testing

/// Server refusals carry their SQLSTATE and are never mistaken for a lost connection.
@Suite("Query errors")
struct ErrorTests {
    @Test func uniqueViolationHasItsSQLState() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE items (id text PRIMARY KEY)")
            try connection.execute("INSERT INTO items VALUES (\("a"))")
            let error = #expect(throws: PostgresError.self) {
                try connection.execute("INSERT INTO items VALUES (\("a"))")
            }
            #expect(error?.code == .queryFailure)
            #expect(error?.sqlState == .uniqueViolation)
            #expect(error?.isUniqueViolation == true)
            // The connection is still good afterwards.
            try connection.ping()
        }
    }

    @Test func messagesNeverQuoteBoundValues() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE secrets (token text PRIMARY KEY)")
            let secret = "s3cr3t-token-value"
            try connection.execute("INSERT INTO secrets VALUES (\(secret))")
            let error = #expect(throws: PostgresError.self) {
                try connection.execute("INSERT INTO secrets VALUES (\(secret))")
            }
            #expect(error?.sqlState == .uniqueViolation)
            #expect(error.map { $0.debugDescription.contains(secret) } == false)
            #expect(error.map { $0.description.contains(secret) } == false)
        }
    }

    @Test(arguments: [
        ("SELEC 1", SQLState.syntaxError),
        ("SELECT * FROM no_such_table", SQLState.undefinedTable),
        ("SELECT 'x'::integer", SQLState.invalidTextRepresentation),
    ])
    func serverRefusalsAreQueryFailures(_ sql: String, _ state: SQLState) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let error = #expect(throws: PostgresError.self) {
                try connection.query(PostgresQuery(unsafeSQL: sql))
            }
            #expect(error?.code == .queryFailure)
            #expect(error?.sqlState == state)
        }
    }

    @Test func checkViolationHasItsSQLState() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE positive (n int CHECK (n > 0))")
            let error = #expect(throws: PostgresError.self) {
                try connection.execute("INSERT INTO positive VALUES (\(-1))")
            }
            #expect(error?.sqlState == .checkViolation)
        }
    }

    @Test func statementTimeoutCancelsAStuckStatement() throws {
        try TestDatabase.withSchema { base in
            var configuration = base
            configuration.statementTimeout = .milliseconds(50)
            let connection = PostgresConnection(configuration: configuration)
            let error = #expect(throws: PostgresError.self) { try connection.query("SELECT pg_sleep(5)") }
            #expect(error?.code == .queryFailure)
            #expect(error?.sqlState == .queryCanceled)
        }
    }

    @Test func scriptsRunSeveralStatements() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.runScript(unsafeSQL: "CREATE TABLE a (x int); INSERT INTO a VALUES (1), (2);")
            let row = try #require(try connection.query("SELECT sum(x)::bigint AS s FROM a").first)
            #expect(try row.decode("s", as: Int.self) == 3)
            let error = #expect(throws: PostgresError.self) { try connection.runScript(unsafeSQL: "SELEC;") }
            #expect(error?.sqlState == .syntaxError)
        }
    }
}
