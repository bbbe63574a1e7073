import Foundation
import PostgresLibPQ
import PostgresTestSupport
import Testing

/// Asking for the wrong type, a NULL, or a missing column is a clear error.
@Suite("Row decoding errors")
struct DecodingTests {
    @Test func wrongTypeIsTypeMismatch() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let row = try #require(
                try connection.query("SELECT 1::bigint AS i, 'x'::text AS s, now() AS t, '\\x00'::bytea AS b").first
            )
            #expect(throws: PostgresError.typeMismatch(column: "i", expected: "", actual: .int8)) {
                try row.decode("i", as: String.self)
            }
            #expect(throws: PostgresError.typeMismatch(column: "s", expected: "", actual: .text)) {
                try row.decode("s", as: Int64.self)
            }
            #expect(throws: PostgresError.typeMismatch(column: "t", expected: "", actual: .timestamptz)) {
                try row.decode("t", as: [UInt8].self)
            }
            #expect(throws: PostgresError.typeMismatch(column: "b", expected: "", actual: .bytea)) {
                try row.decode("b", as: Date.self)
            }
            #expect(throws: PostgresError.typeMismatch(column: "i", expected: "", actual: .int8)) {
                try row.decode("i", as: Bool.self)
            }
        }
    }

    @Test func numericIsNotSilentlyReadAsDouble() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let row = try #require(try connection.query("SELECT 1.5::numeric AS n").first)
            let error = #expect(throws: PostgresError.self) { try row.decode("n", as: Double.self) }
            #expect(error?.code == .typeMismatch)
        }
    }

    @Test func nullNeedsAnOptional() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let row = try #require(try connection.query("SELECT NULL::text AS s, NULL::bigint AS i").first)
            let error = #expect(throws: PostgresError.self) { try row.decode("s", as: String.self) }
            #expect(error?.code == .unexpectedNull)
            #expect(try row.decode("s", as: String?.self) == nil)
            #expect(try row.decode("i", as: Int?.self) == nil)
        }
    }

    @Test func missingColumnIsNamed() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let row = try #require(try connection.query("SELECT 1 AS present").first)
            let error = #expect(throws: PostgresError.self) { try row.decode("absent", as: Int.self) }
            #expect(error?.code == .missingColumn)
            #expect(row.columnNames == ["present"])
        }
    }

    @Test func smallerIntegersWidenToInt64() throws {
        try TestDatabase.withSchema { configuration in
            let connection = PostgresConnection(configuration: configuration)
            let row = try #require(
                try connection.query("SELECT (-2)::smallint AS a, 2147483647::integer AS b, 4294967295::oid AS c").first
            )
            #expect(try row.decode("a", as: Int64.self) == -2)
            #expect(try row.decode("b", as: Int.self) == 2_147_483_647)
            #expect(try row.decode("c", as: Int64.self) == 4_294_967_295)
        }
    }

    @Test(arguments: [
        PostgresValue(column: "c", dataType: .int8, bytes: [1, 2, 3]),
        PostgresValue(column: "c", dataType: .bool, bytes: [2]),
        PostgresValue(column: "c", dataType: .timestamptz, bytes: [0]),
        PostgresValue(column: "c", dataType: .text, bytes: [0xff, 0xfe]),
        PostgresValue(column: "c", dataType: .jsonb, bytes: [2, 0x7b, 0x7d]),
    ])
    func malformedBytesAreInvalidValue(_ value: PostgresValue) {
        // Each value is malformed for its declared type; whichever Swift type
        // fits that column type must refuse it without crashing.
        let errors: [PostgresError?] = [
            catching { try Int64(postgresValue: value) },
            catching { try Bool(postgresValue: value) },
            catching { try Date(postgresValue: value) },
            catching { try String(postgresValue: value) },
        ]
        #expect(errors.contains { $0?.code == .invalidValue })
        #expect(errors.allSatisfy { $0 != nil })
    }

    /// The error `body` threw, or `nil` when it returned; a non-Postgres error counts as none.
    private func catching<T>(_ body: () throws -> T) -> PostgresError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error as? PostgresError
        }
    }
}
