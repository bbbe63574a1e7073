import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Testing

/// Every bindable type goes to the server as a parameter and comes back unchanged.
@Suite("Binding round trips")
struct BindingTests {
    static let strings = [
        "", "plain", "quote ' and \" and \\", "émoji 🔑 and 中文", String(repeating: "x", count: 100_000),
    ]

    @Test(arguments: strings)
    func stringRoundTrips(_ value: String) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let row = try #require(try connection.query("SELECT \(value) AS v").first)
            #expect(try row.decode("v", as: String.self) == value)
        }
    }

    @Test(arguments: [Int64.min, -1, 0, 1, Int64.max])
    func int64RoundTrips(_ value: Int64) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let row = try #require(try connection.query("SELECT \(value) AS v, \(Int(value)) AS w").first)
            #expect(try row.decode("v", as: Int64.self) == value)
            #expect(try row.decode("w", as: Int.self) == Int(value))
        }
    }

    @Test(arguments: [true, false])
    func boolRoundTrips(_ value: Bool) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let row = try #require(try connection.query("SELECT \(value) AS v, NOT \(value) AS n").first)
            #expect(try row.decode("v", as: Bool.self) == value)
            #expect(try row.decode("n", as: Bool.self) == !value)
        }
    }

    @Test(arguments: [0.0, -0.0, 1.5, -1e-300, Double.pi, Double.greatestFiniteMagnitude, .infinity, -.infinity])
    func doubleRoundTrips(_ value: Double) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let row = try #require(try connection.query("SELECT \(value) AS v").first)
            let back = try row.decode("v", as: Double.self)
            #expect(back.bitPattern == value.bitPattern)
        }
    }

    @Test func doubleNaNRoundTrips() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let row = try #require(try connection.query("SELECT \(Double.nan) AS v").first)
            #expect(try row.decode("v", as: Double.self).isNaN)
        }
    }

    @Test(arguments: [[], [0], [0, 0, 0], Array(0...255), [0x5c, 0x78, 0x30, 0x30]] as [[UInt8]])
    func bytesRoundTrip(_ value: [UInt8]) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let row = try #require(try connection.query("SELECT \(value) AS v, length(\(value)) AS n").first)
            #expect(try row.decode("v", as: [UInt8].self) == value)
            #expect(try row.decode("n", as: Int.self) == value.count)
        }
    }

    static let dates: [Date] = [
        Date(timeIntervalSince1970: 0),
        Date(timeIntervalSince1970: 946_684_800),  // the PostgreSQL epoch
        Date(timeIntervalSince1970: 946_684_799.999_999),
        Date(timeIntervalSince1970: 1_700_000_000.123_456),
        Date(timeIntervalSince1970: -1_000_000_000.5),
        Date(timeIntervalSince1970: 4_102_444_800),  // 2100-01-01
    ]

    @Test(arguments: dates)
    func dateRoundTripsToTheMicrosecond(_ value: Date) throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let row = try #require(try connection.query("SELECT \(value) AS v").first)
            let back = try row.decode("v", as: Date.self)
            let microseconds = { (date: Date) in (date.timeIntervalSince1970 * 1_000_000).rounded() }
            #expect(microseconds(back) == microseconds(value))
        }
    }

    @Test func dateIsStoredAsUTCInstant() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let date = Date(timeIntervalSince1970: 1_700_000_000.25)
            let row = try #require(
                try connection.query(
                    "SELECT to_char(\(date), 'YYYY-MM-DD HH24:MI:SS.US TZ') AS text, current_setting('TimeZone') AS zone"
                ).first
            )
            #expect(try row.decode("text", as: String.self) == "2023-11-14 22:13:20.250000 UTC")
            #expect(try row.decode("zone", as: String.self) == "UTC")
        }
    }

    @Test func optionalNilBindsNullOfItsType() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let none: String? = nil
            let noDate: Date? = nil
            let noBytes: [UInt8]? = nil
            let some: Int64? = 7
            let row = try #require(
                try connection.query(
                    """
                    SELECT \(none) AS s, pg_typeof(\(none))::text AS st, \(noDate) AS d,
                           pg_typeof(\(noDate))::text AS dt, \(noBytes) AS b, \(some) AS i
                    """
                ).first
            )
            #expect(try row.decode("s", as: String?.self) == nil)
            #expect(try row.decode("st", as: String.self) == "text")
            #expect(try row.decode("d", as: Date?.self) == nil)
            #expect(try row.decode("dt", as: String.self) == "timestamp with time zone")
            #expect(try row.decode("b", as: [UInt8]?.self) == nil)
            #expect(try row.decode("i", as: Int64?.self) == 7)
        }
    }

    @Test func jsonBindsAsJSONB() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let document = PostgresJSON(#"{"b": [1, 2], "a": "x"}"#)
            let row = try #require(
                try connection.query(
                    "SELECT \(document) AS j, pg_typeof(\(document))::text AS t, \(document) ->> 'a' AS a"
                ).first
            )
            #expect(try row.decode("t", as: String.self) == "jsonb")
            #expect(try row.decode("a", as: String.self) == "x")
            let back = try row.decode("j", as: PostgresJSON.self)
            #expect(back.text == #"{"a": "x", "b": [1, 2]}"#)
        }
    }

    @Test func invalidJSONIsRefusedByTheServer() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let error = #expect(throws: PostgresError.self) {
                try connection.query("SELECT \(PostgresJSON("{not json")) AS j")
            }
            #expect(error?.code == .queryFailure)
        }
    }

    @Test func valuesRoundTripThroughATable() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            try connection.execute(
                """
                CREATE TABLE things (s text, i bigint, n integer, b boolean, d double precision,
                                     y bytea, t timestamptz, j jsonb)
                """
            )
            let date = Date(timeIntervalSince1970: 1_700_000_000)
            let inserted = try connection.execute(
                """
                INSERT INTO things VALUES (\("s"), \(Int64(42)), \(7), \(true), \(2.5), \([1, 2, 3] as [UInt8]),
                                           \(date), \(PostgresJSON("[1]")))
                """
            )
            #expect(inserted == 1)
            let row = try #require(try connection.query("SELECT * FROM things").first)
            #expect(try row.decode("s", as: String.self) == "s")
            #expect(try row.decode("i", as: Int64.self) == 42)
            #expect(try row.decode("n", as: Int.self) == 7)
            #expect(try row.decode("b", as: Bool.self))
            #expect(try row.decode("d", as: Double.self) == 2.5)
            #expect(try row.decode("y", as: [UInt8].self) == [1, 2, 3])
            #expect(try row.decode("t", as: Date.self) == date)
            #expect(try row.decode("j", as: String.self) == "[1]")
        }
    }
}
