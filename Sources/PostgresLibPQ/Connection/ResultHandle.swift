internal import CLibPQ

/// Owns one `PGresult`; the only place a result is freed. Rows are copied out
/// before the handle goes away.
final class ResultHandle {
    /// The libpq result, valid until `deinit`.
    let pointer: OpaquePointer

    init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        PQclear(pointer)
    }

    /// The outcome libpq reports for the command.
    var status: ExecStatusType { PQresultStatus(pointer) }

    /// Whether the command succeeded.
    var succeeded: Bool {
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY: true
        default: false
        }
    }

    /// The SQLSTATE of a failed command.
    var sqlState: SQLState? { field(DiagnosticField.sqlState).map(SQLState.init(rawValue:)) }

    /// A message about a failure that names no values: the server's primary
    /// message plus the table and constraint it concerns. The DETAIL line,
    /// which can quote row values, is left out on purpose.
    var safeErrorMessage: String {
        var parts: [String] = []
        if let primary = field(DiagnosticField.primaryMessage) {
            parts.append(primary)
        } else if let message = PQresultErrorMessage(pointer) {
            parts.append(String(cString: message).trimmingWhitespace)
        }
        if let table = field(DiagnosticField.table) { parts.append("table \(table)") }
        if let constraint = field(DiagnosticField.constraint) { parts.append("constraint \(constraint)") }
        return parts.joined(separator: "; ")
    }

    /// The command status tag (`INSERT 0 1`, `COMMIT`, `ROLLBACK`).
    var commandStatus: String {
        guard let tag = PQcmdStatus(pointer) else { return "" }
        return String(cString: tag)
    }

    /// Rows affected by `INSERT`, `UPDATE`, `DELETE` (and rows of `SELECT`).
    var affectedRows: Int {
        guard let text = PQcmdTuples(pointer) else { return 0 }
        return Int(String(cString: text)) ?? 0
    }

    /// Every row, copied into Swift values.
    func rows() -> [PostgresRow] {
        let columnCount = Int(PQnfields(pointer))
        let rowCount = Int(PQntuples(pointer))
        guard columnCount > 0 else { return [] }
        var names: [String] = []
        var types: [PostgresDataType] = []
        for column in 0..<Int32(columnCount) {
            names.append(PQfname(pointer, column).map { String(cString: $0) } ?? "")
            types.append(PostgresDataType(rawValue: UInt32(PQftype(pointer, column))))
        }
        let columns = PostgresColumns(names: names, types: types)
        var rows: [PostgresRow] = []
        rows.reserveCapacity(rowCount)
        for row in 0..<Int32(rowCount) {
            var cells: [[UInt8]?] = []
            cells.reserveCapacity(columnCount)
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(pointer, row, column) == 1 {
                    cells.append(nil)
                    continue
                }
                let length = Int(PQgetlength(pointer, row, column))
                guard length > 0, let start = PQgetvalue(pointer, row, column) else {
                    cells.append([])
                    continue
                }
                cells.append(Array(UnsafeRawBufferPointer(start: start, count: length)))
            }
            rows.append(PostgresRow(columns: columns, cells: cells))
        }
        return rows
    }

    private func field(_ code: Int32) -> String? {
        guard let value = PQresultErrorField(pointer, code) else { return nil }
        return String(cString: value)
    }
}

/// The error fields libpq exposes (`PG_DIAG_*`, character macros Swift does not import).
private enum DiagnosticField {
    static let sqlState = Int32(UInt8(ascii: "C"))
    static let primaryMessage = Int32(UInt8(ascii: "M"))
    static let table = Int32(UInt8(ascii: "t"))
    static let constraint = Int32(UInt8(ascii: "n"))
}

extension ResultHandle {
    /// A handle for `pointer`, or `nil` when libpq returned no result.
    static func wrap(_ pointer: OpaquePointer?) -> ResultHandle? {
        pointer.map(ResultHandle.init(pointer:))
    }
}
