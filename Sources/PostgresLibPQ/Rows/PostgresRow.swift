/// One row of a result, copied out of libpq so it outlives the result and can
/// be passed around freely. Columns are read by name with a type:
///
///     let kid = try row.decode("kid", as: String.self)
///     let retiredAt = try row.decode("retired_at", as: Date?.self)
public struct PostgresRow: Sendable, Hashable {
    /// The result's column names and types, shared by all its rows.
    let columns: PostgresColumns
    /// The values in column order; `nil` is NULL.
    let cells: [[UInt8]?]

    init(columns: PostgresColumns, cells: [[UInt8]?]) {
        self.columns = columns
        self.cells = cells
    }

    /// The column names, in result order.
    public var columnNames: [String] { columns.names }

    /// The raw value of column `column`, or `missingColumn`.
    public func value(_ column: String) throws(PostgresError) -> PostgresValue {
        guard let index = columns.index[column], index < cells.count else {
            throw .missingColumn(column)
        }
        return PostgresValue(column: column, dataType: columns.types[index], bytes: cells[index])
    }

    /// Column `column` read as `type`; throws `missingColumn`, `typeMismatch`,
    /// `unexpectedNull` (ask for an Optional to accept NULL) or `invalidValue`.
    public func decode<Value: PostgresDecodable>(
        _ column: String,
        as type: Value.Type = Value.self
    ) throws(PostgresError) -> Value {
        try Value(postgresValue: value(column))
    }
}

/// The shape of a result: names, types, and a name lookup built once.
struct PostgresColumns: Sendable, Hashable {
    let names: [String]
    let types: [PostgresDataType]
    /// Name to position; with duplicate names the first column wins.
    let index: [String: Int]

    init(names: [String], types: [PostgresDataType]) {
        self.names = names
        self.types = types
        var index: [String: Int] = [:]
        for (position, name) in names.enumerated() where index[name] == nil {
            index[name] = position
        }
        self.index = index
    }
}
