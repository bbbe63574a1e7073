/// A failure of the PostgreSQL wrapper. The code says what went wrong at the
/// level a store can act on: the database is unreachable (answer 503 and try
/// again later), the server refused the statement (look at `sqlState`), or a
/// row did not hold what the caller expected.
public struct PostgresError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure happened; two errors are equal when their codes are.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable {
            case connectionFailure, queryFailure, typeMismatch, unexpectedNull, missingColumn
            case invalidValue, invalidQuery
        }
        fileprivate let value: Value

        /// No usable session: connecting failed, the session was lost, or the
        /// worker is backing off after a failed attempt. Nothing was committed
        /// by the call that got this error unless it was the `COMMIT` itself.
        public static let connectionFailure = Code(value: .connectionFailure)
        /// The server refused the statement; `sqlState` says why.
        public static let queryFailure = Code(value: .queryFailure)
        /// A column holds a type the requested Swift type cannot be read from.
        public static let typeMismatch = Code(value: .typeMismatch)
        /// A column is NULL but a non-optional Swift type was requested.
        public static let unexpectedNull = Code(value: .unexpectedNull)
        /// The result has no column with the requested name.
        public static let missingColumn = Code(value: .missingColumn)
        /// A column's bytes are not a valid value of its type.
        public static let invalidValue = Code(value: .invalidValue)
        /// The query was refused before reaching the server (too many
        /// parameters, an identifier with NUL, misuse of a transaction).
        public static let invalidQuery = Code(value: .invalidQuery)

        public var description: String {
            switch value {
            case .connectionFailure: "connectionFailure"
            case .queryFailure: "queryFailure"
            case .typeMismatch: "typeMismatch"
            case .unexpectedNull: "unexpectedNull"
            case .missingColumn: "missingColumn"
            case .invalidValue: "invalidValue"
            case .invalidQuery: "invalidQuery"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// The server's SQLSTATE, for `queryFailure` (and for a session the server ended).
    public let sqlState: SQLState?
    /// A message safe to log: no parameter values, no conninfo, no row data.
    public let reason: String
    /// The server's or libpq's own message, for `debugDescription` only. It may
    /// name tables, constraints and hosts, never bound values or passwords.
    public let serverMessage: String?
    /// Where the error was made.
    public let location: String

    private init(
        code: Code,
        sqlState: SQLState? = nil,
        reason: String,
        serverMessage: String? = nil,
        file: String,
        line: Int
    ) {
        self.code = code
        self.sqlState = sqlState
        self.reason = reason
        self.serverMessage = serverMessage
        self.location = "\(file):\(line)"
    }

    /// The database could not be reached or the session was lost.
    public static func connectionFailure(
        _ reason: String,
        sqlState: SQLState? = nil,
        serverMessage: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> PostgresError {
        PostgresError(
            code: .connectionFailure,
            sqlState: sqlState,
            reason: reason,
            serverMessage: serverMessage,
            file: file,
            line: line
        )
    }

    /// The server refused the statement with `sqlState`.
    public static func queryFailure(
        _ reason: String,
        sqlState: SQLState?,
        serverMessage: String? = nil,
        file: String = #fileID,
        line: Int = #line
    ) -> PostgresError {
        PostgresError(
            code: .queryFailure,
            sqlState: sqlState,
            reason: reason,
            serverMessage: serverMessage,
            file: file,
            line: line
        )
    }

    /// Column `column` holds `actual`, which cannot be read as `expected`.
    public static func typeMismatch(
        column: String,
        expected: String,
        actual: PostgresDataType,
        file: String = #fileID,
        line: Int = #line
    ) -> PostgresError {
        PostgresError(
            code: .typeMismatch,
            reason: "column \(column) has type \(actual), cannot be read as \(expected)",
            file: file,
            line: line
        )
    }

    /// Column `column` is NULL where a value was required.
    public static func unexpectedNull(
        column: String,
        file: String = #fileID,
        line: Int = #line
    ) -> PostgresError {
        PostgresError(code: .unexpectedNull, reason: "column \(column) is NULL", file: file, line: line)
    }

    /// The result has no column `column`.
    public static func missingColumn(
        _ column: String,
        file: String = #fileID,
        line: Int = #line
    ) -> PostgresError {
        PostgresError(code: .missingColumn, reason: "no column \(column) in the result", file: file, line: line)
    }

    /// Column `column` holds bytes that are not a valid value of its type.
    public static func invalidValue(
        column: String,
        _ reason: String,
        file: String = #fileID,
        line: Int = #line
    ) -> PostgresError {
        PostgresError(code: .invalidValue, reason: "column \(column): \(reason)", file: file, line: line)
    }

    /// The query was refused before it reached the server.
    public static func invalidQuery(
        _ reason: String,
        file: String = #fileID,
        line: Int = #line
    ) -> PostgresError {
        PostgresError(code: .invalidQuery, reason: reason, file: file, line: line)
    }

    /// Whether a unique constraint refused the write (SQLSTATE `23505`).
    public var isUniqueViolation: Bool { code == .queryFailure && sqlState == .uniqueViolation }

    public var description: String {
        if let sqlState { return "postgres \(code) (\(sqlState)): \(reason)" }
        return "postgres \(code): \(reason)"
    }

    public var debugDescription: String {
        var text = description
        if let serverMessage, !serverMessage.isEmpty { text += " [\(serverMessage)]" }
        return text + " (\(location))"
    }
}

extension PostgresError: Equatable {
    /// Errors are equal by code, so tests compare what happened, not wording.
    public static func == (lhs: PostgresError, rhs: PostgresError) -> Bool { lhs.code == rhs.code }
}
