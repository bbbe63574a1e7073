import PostgresLibPQ
import PostgresTestSupport
import Testing

private struct Abandon: Error {}

/// `transaction` commits what returns and rolls back what throws.
@Suite("Transactions")
struct TransactionTests {
    private func count(_ connection: PostgresConnection) throws -> Int {
        let row = try #require(try connection.query("SELECT count(*) AS n FROM entries").first)
        return try row.decode("n", as: Int.self)
    }

    @Test func throwingRollsBackEverything() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE entries (id int PRIMARY KEY)")
            #expect(throws: Abandon.self) {
                try connection.transaction { connection in
                    try connection.execute("INSERT INTO entries VALUES (\(1))")
                    try connection.execute("INSERT INTO entries VALUES (\(2))")
                    throw Abandon()
                }
            }
            #expect(try count(connection) == 0)
            // A second connection sees nothing either.
            #expect(try count(PostgresConnection(configuration: configuration)) == 0)
        }
    }

    @Test func returningCommits() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE entries (id int PRIMARY KEY)")
            let value = try connection.transaction { connection in
                try connection.execute("INSERT INTO entries VALUES (\(1))")
                return 42
            }
            #expect(value == 42)
            #expect(try count(PostgresConnection(configuration: configuration)) == 1)
        }
    }

    @Test func failedStatementRollsBackTheWholeTransaction() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE entries (id int PRIMARY KEY)")
            let error = #expect(throws: PostgresError.self) {
                try connection.transaction { connection in
                    try connection.execute("INSERT INTO entries VALUES (\(1))")
                    try connection.execute("INSERT INTO entries VALUES (\(1))")
                }
            }
            #expect(error?.sqlState == .uniqueViolation)
            #expect(try count(connection) == 0)
        }
    }

    @Test func swallowedFailureStillRollsBackAndSaysSo() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE entries (id int PRIMARY KEY)")
            let error = #expect(throws: PostgresError.self) {
                try connection.transaction { connection in
                    try connection.execute("INSERT INTO entries VALUES (\(1))")
                    _ = try? connection.execute("INSERT INTO entries VALUES (\(1))")
                }
            }
            #expect(error?.sqlState == .inFailedTransaction)
            #expect(try count(connection) == 0)
        }
    }

    @Test func nestedTransactionIsASavepoint() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE entries (id int PRIMARY KEY)")
            try connection.transaction { connection in
                try connection.execute("INSERT INTO entries VALUES (\(1))")
                #expect(throws: Abandon.self) {
                    try connection.transaction { connection in
                        try connection.execute("INSERT INTO entries VALUES (\(2))")
                        throw Abandon()
                    }
                }
                try connection.transaction { connection in
                    try connection.execute("INSERT INTO entries VALUES (\(3))")
                }
            }
            let ids = try connection.query("SELECT id FROM entries ORDER BY id").map {
                try $0.decode("id", as: Int.self)
            }
            #expect(ids == [1, 3])
        }
    }
}
