import Foundation

/// A Swift value that can be read from a result column. Each conformance
/// accepts only the column types it can read without loss and throws
/// `typeMismatch` otherwise, `unexpectedNull` for NULL unless it is Optional.
public protocol PostgresDecodable {
    /// Reads the value from a column.
    init(postgresValue value: PostgresValue) throws(PostgresError)
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    /// NULL becomes `nil`; anything else is read as `Wrapped`.
    public init(postgresValue value: PostgresValue) throws(PostgresError) {
        if value.bytes == nil {
            self = nil
        } else {
            self = .some(try Wrapped(postgresValue: value))
        }
    }
}

extension String: PostgresDecodable {
    /// Reads `text`, `varchar`, `char(n)`, `name`, `"char"`, `json`, `jsonb` and untyped literals.
    public init(postgresValue value: PostgresValue) throws(PostgresError) {
        let bytes = try value.requireBytes()
        var text = bytes[...]
        switch value.dataType {
        case .text, .varchar, .bpchar, .name, .char, .json, .unknown:
            break
        case .jsonb:
            guard text.first == 1 else { throw .invalidValue(column: value.column, "unknown jsonb version") }
            text = text.dropFirst()
        default:
            throw value.mismatch("String")
        }
        guard let string = String(validating: text, as: UTF8.self) else {
            throw .invalidValue(column: value.column, "not valid UTF-8")
        }
        self = string
    }
}

extension PostgresJSON: PostgresDecodable {
    /// Reads `json` or `jsonb` (the latter in the server's normalized form).
    public init(postgresValue value: PostgresValue) throws(PostgresError) {
        guard value.dataType == .json || value.dataType == .jsonb else { throw value.mismatch("PostgresJSON") }
        self.init(try String(postgresValue: value))
    }
}

extension Int64: PostgresDecodable {
    /// Reads `smallint`, `integer`, `bigint` and `oid`.
    public init(postgresValue value: PostgresValue) throws(PostgresError) {
        let bytes = try value.requireBytes()
        switch (value.dataType, bytes.count) {
        case (.int8, 8):
            self = Int64(bitPattern: BigEndian.integer(bytes[...]))
        case (.int4, 4):
            self = Int64(Int32(bitPattern: UInt32(BigEndian.integer(bytes[...]))))
        case (.int2, 2):
            self = Int64(Int16(bitPattern: UInt16(BigEndian.integer(bytes[...]))))
        case (.oid, 4):
            self = Int64(BigEndian.integer(bytes[...]))
        case (.int8, _), (.int4, _), (.int2, _), (.oid, _):
            throw .invalidValue(column: value.column, "integer of \(bytes.count) bytes")
        default:
            throw value.mismatch("Int64")
        }
    }
}

extension Int: PostgresDecodable {
    /// Reads the same columns as `Int64`.
    public init(postgresValue value: PostgresValue) throws(PostgresError) {
        switch value.dataType {
        case .int8, .int4, .int2, .oid: break
        default: throw value.mismatch("Int")
        }
        let wide = try Int64(postgresValue: value)
        guard let narrow = Int(exactly: wide) else { throw .invalidValue(column: value.column, "out of Int range") }
        self = narrow
    }
}

extension Bool: PostgresDecodable {
    /// Reads `boolean`.
    public init(postgresValue value: PostgresValue) throws(PostgresError) {
        let bytes = try value.requireBytes()
        guard value.dataType == .bool else { throw value.mismatch("Bool") }
        guard bytes.count == 1, bytes[0] <= 1 else { throw .invalidValue(column: value.column, "not a boolean") }
        self = bytes[0] == 1
    }
}

extension Double: PostgresDecodable {
    /// Reads `double precision` and `real`.
    public init(postgresValue value: PostgresValue) throws(PostgresError) {
        let bytes = try value.requireBytes()
        switch (value.dataType, bytes.count) {
        case (.float8, 8):
            self = Double(bitPattern: BigEndian.integer(bytes[...]))
        case (.float4, 4):
            self = Double(Float(bitPattern: UInt32(BigEndian.integer(bytes[...]))))
        case (.float8, _), (.float4, _):
            throw .invalidValue(column: value.column, "float of \(bytes.count) bytes")
        default:
            throw value.mismatch("Double")
        }
    }
}

extension Array: PostgresDecodable where Element == UInt8 {
    /// Reads `bytea`.
    public init(postgresValue value: PostgresValue) throws(PostgresError) {
        let bytes = try value.requireBytes()
        guard value.dataType == .bytea else { throw value.mismatch("[UInt8]") }
        self = bytes
    }
}

extension Date: PostgresDecodable {
    /// Reads `timestamptz` (and `timestamp`, taken as UTC) with microsecond precision.
    public init(postgresValue value: PostgresValue) throws(PostgresError) {
        let bytes = try value.requireBytes()
        guard value.dataType == .timestamptz || value.dataType == .timestamp else { throw value.mismatch("Date") }
        guard bytes.count == 8 else { throw .invalidValue(column: value.column, "timestamp of \(bytes.count) bytes") }
        self = PostgresTimestamp.date(fromMicroseconds: Int64(bitPattern: BigEndian.integer(bytes[...])))
    }
}
