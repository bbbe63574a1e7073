import PostgresLibPQ
import PostgresTestSupport
import Testing

/// Bound values are data, never SQL: hostile strings are stored as written.
@Suite("SQL injection is inert")
struct InjectionTests {
    static let hostile = [
        "'; DROP TABLE notes; --",
        "x' OR '1'='1",
        "$1",
        "\\'; SELECT pg_sleep(10); --",
        "\"; DROP TABLE notes; --",
        "Robert'); DROP TABLE notes;--",
    ]

    @Test(arguments: hostile)
    func boundStringIsStoredAsWritten(_ text: String) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE notes (id bigint PRIMARY KEY, body text NOT NULL)")
            try connection.execute("INSERT INTO notes VALUES (1, 'keep')")
            try connection.execute("INSERT INTO notes VALUES (2, \(text))")
            let matches = try connection.query("SELECT id FROM notes WHERE body = \(text)")
            #expect(try matches.map { try $0.decode("id", as: Int.self) } == [2])
            let count = try #require(try connection.query("SELECT count(*) AS n FROM notes").first)
            #expect(try count.decode("n", as: Int.self) == 2)
        }
    }

    @Test func stringWithNULIsRefusedNotTruncated() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE notes (body text)")
            let error = #expect(throws: PostgresError.self) {
                try connection.execute("INSERT INTO notes VALUES (\("abc\u{0}' OR 1=1"))")
            }
            #expect(error?.code == .queryFailure)
            #expect(error?.sqlState == .characterNotInRepertoire)
            let count = try #require(try connection.query("SELECT count(*) AS n FROM notes").first)
            #expect(try count.decode("n", as: Int.self) == 0)
        }
    }

    @Test(arguments: ["plain", "with\"quote", "with space", "\"; DROP TABLE victims; --", "e\u{301}\"\u{301}x"])
    func identifierInterpolationIsQuoted(_ name: String) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute("CREATE TABLE victims (id int)")
            try connection.execute("CREATE TABLE \(identifier: name) (id int)")
            let rows = try connection.query(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
            )
            let names = try Set(rows.map { try $0.decode("tablename", as: String.self) })
            #expect(names == ["victims", name])
        }
    }

    @Test(arguments: ["", "a\u{0}b"])
    func impossibleIdentifierIsRefusedBeforeTheServer(_ name: String) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let error = #expect(throws: PostgresError.self) {
                try connection.execute("CREATE TABLE \(identifier: name) (id int)")
            }
            #expect(error?.code == .invalidQuery)
        }
    }
}
