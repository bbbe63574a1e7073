/// One bound parameter as it goes to the server: its declared type and its
/// value in PostgreSQL's binary format (or NULL). Values never travel inside
/// the SQL text, so no value can change what a statement does.
public struct PostgresBinding: Sendable, Hashable {
    /// The type the parameter is declared as in the prepared statement.
    public let dataType: PostgresDataType
    /// The value in the type's binary wire format; `nil` is SQL NULL.
    public let bytes: [UInt8]?

    /// Creates a binding from bytes already in `dataType`'s binary format;
    /// used by `PostgresEncodable` conformances.
    public init(dataType: PostgresDataType, binaryBytes: [UInt8]?) {
        self.dataType = dataType
        self.bytes = binaryBytes
    }

    /// SQL NULL declared as `dataType`, so the server still knows the parameter's type.
    public static func null(_ dataType: PostgresDataType) -> PostgresBinding {
        PostgresBinding(dataType: dataType, binaryBytes: nil)
    }
}
