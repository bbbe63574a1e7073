/// One column of one row, copied out of the libpq result: its type, its bytes
/// in binary format (or NULL), and the column name for error messages.
public struct PostgresValue: Sendable, Hashable {
    /// The column's name in the result.
    public let column: String
    /// The type the server reported for the column.
    public let dataType: PostgresDataType
    /// The value in binary format; `nil` is SQL NULL.
    public let bytes: [UInt8]?

    /// Creates a value; used when copying results and by decoding tests.
    public init(column: String, dataType: PostgresDataType, bytes: [UInt8]?) {
        self.column = column
        self.dataType = dataType
        self.bytes = bytes
    }

    /// The bytes, or `unexpectedNull` when the value is NULL.
    public func requireBytes() throws(PostgresError) -> [UInt8] {
        guard let bytes else { throw .unexpectedNull(column: column) }
        return bytes
    }

    /// `typeMismatch` for this column, when it cannot be read as `expected`.
    public func mismatch(_ expected: String) -> PostgresError {
        .typeMismatch(column: column, expected: expected, actual: dataType)
    }
}
