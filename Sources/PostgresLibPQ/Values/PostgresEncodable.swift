import Foundation

/// A Swift value that can be bound as a query parameter. The set is closed on
/// purpose (String, Int, Int64, Bool, Double, `[UInt8]`, Date, `PostgresJSON`,
/// and Optional of these through the query's interpolation), each sent in
/// binary format so that nothing is lost to formatting.
public protocol PostgresEncodable: Sendable {
    /// The type the parameter is declared as, also for a NULL of this type.
    static var postgresDataType: PostgresDataType { get }
    /// The value in `postgresDataType`'s binary wire format.
    var postgresBinaryBytes: [UInt8] { get }
}

extension PostgresEncodable {
    /// The binding for this value.
    public var postgresBinding: PostgresBinding {
        PostgresBinding(dataType: Self.postgresDataType, binaryBytes: postgresBinaryBytes)
    }
}

extension String: PostgresEncodable {
    /// `text`: the UTF-8 bytes, with their length (a NUL byte is refused by the server, never truncated).
    public static var postgresDataType: PostgresDataType { .text }
    public var postgresBinaryBytes: [UInt8] { Array(utf8) }
}

extension Int64: PostgresEncodable {
    /// `bigint`: eight bytes, big-endian.
    public static var postgresDataType: PostgresDataType { .int8 }
    public var postgresBinaryBytes: [UInt8] { BigEndian.bytes(of: UInt64(bitPattern: self)) }
}

extension Int: PostgresEncodable {
    /// `bigint`, like `Int64`.
    public static var postgresDataType: PostgresDataType { .int8 }
    public var postgresBinaryBytes: [UInt8] { Int64(self).postgresBinaryBytes }
}

extension Bool: PostgresEncodable {
    /// `boolean`: one byte, 1 or 0.
    public static var postgresDataType: PostgresDataType { .bool }
    public var postgresBinaryBytes: [UInt8] { [self ? 1 : 0] }
}

extension Double: PostgresEncodable {
    /// `double precision`: the IEEE 754 bits, big-endian (exact, NaN and infinities included).
    public static var postgresDataType: PostgresDataType { .float8 }
    public var postgresBinaryBytes: [UInt8] { BigEndian.bytes(of: bitPattern) }
}

extension Array: PostgresEncodable where Element == UInt8 {
    /// `bytea`: the bytes as they are.
    public static var postgresDataType: PostgresDataType { .bytea }
    public var postgresBinaryBytes: [UInt8] { self }
}

extension Date: PostgresEncodable {
    /// `timestamptz`: microseconds since 2000-01-01 00:00:00 UTC, rounded to
    /// the nearest microsecond (PostgreSQL's precision).
    public static var postgresDataType: PostgresDataType { .timestamptz }
    public var postgresBinaryBytes: [UInt8] {
        BigEndian.bytes(of: UInt64(bitPattern: PostgresTimestamp.microseconds(from: self)))
    }
}
