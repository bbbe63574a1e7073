import PostgresLibPQ

/// Why migrations could not be read, checked or applied. Unlike store errors
/// these go to an operator running `credence migrate`, so `debugDescription`
/// carries the server's message (a syntax error in a new file, say).
public struct MigrationError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure happened; two errors are equal when their codes are.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable {
            case invalidMigrationSet, checksumMismatch, unknownAppliedMigration, unavailable, failed
        }
        fileprivate let value: Value

        /// The files are misnamed, duplicated, missing a version or unreadable.
        public static let invalidMigrationSet = Code(value: .invalidMigrationSet)
        /// A migration applied earlier no longer matches its file: someone
        /// edited an applied migration. Nothing is applied until that is resolved.
        public static let checksumMismatch = Code(value: .checksumMismatch)
        /// The database has a migration this binary does not know (it is older
        /// than the schema); nothing is applied.
        public static let unknownAppliedMigration = Code(value: .unknownAppliedMigration)
        /// The database could not be reached, or another run held the lock too long.
        public static let unavailable = Code(value: .unavailable)
        /// A migration failed to apply, or the database refused something else;
        /// the transaction was rolled back and nothing was recorded.
        public static let failed = Code(value: .failed)

        public var description: String {
            switch value {
            case .invalidMigrationSet: "invalidMigrationSet"
            case .checksumMismatch: "checksumMismatch"
            case .unknownAppliedMigration: "unknownAppliedMigration"
            case .unavailable: "unavailable"
            case .failed: "failed"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// A message for the operator.
    public let reason: String
    /// The underlying database error, if any.
    public let underlying: PostgresError?
    /// Where the error was made.
    public let location: String

    private init(code: Code, reason: String, underlying: PostgresError?, file: String, line: Int) {
        self.code = code
        self.reason = reason
        self.underlying = underlying
        self.location = "\(file):\(line)"
    }

    /// The migration files are not a valid set.
    public static func invalidMigrationSet(
        _ reason: String,
        file: String = #fileID,
        line: Int = #line
    ) -> MigrationError {
        MigrationError(code: .invalidMigrationSet, reason: reason, underlying: nil, file: file, line: line)
    }
    /// An applied migration's file changed.
    public static func checksumMismatch(
        _ reason: String,
        file: String = #fileID,
        line: Int = #line
    ) -> MigrationError {
        MigrationError(code: .checksumMismatch, reason: reason, underlying: nil, file: file, line: line)
    }
    /// The database is ahead of this binary.
    public static func unknownAppliedMigration(
        _ reason: String,
        file: String = #fileID,
        line: Int = #line
    ) -> MigrationError {
        MigrationError(code: .unknownAppliedMigration, reason: reason, underlying: nil, file: file, line: line)
    }
    /// A database error while migrating, classified.
    public static func database(
        _ reason: String,
        _ error: PostgresError,
        file: String = #fileID,
        line: Int = #line
    ) -> MigrationError {
        let unavailable = error.code == .connectionFailure || error.sqlState == .lockNotAvailable
        return MigrationError(
            code: unavailable ? .unavailable : .failed,
            reason: reason,
            underlying: error,
            file: file,
            line: line
        )
    }

    public var description: String { "migration \(code): \(reason)" }

    public var debugDescription: String {
        var text = description
        if let underlying { text += " — \(underlying.debugDescription)" }
        return text + " (\(location))"
    }
}

extension MigrationError: Equatable {
    /// Errors are equal by code, so tests compare what happened, not wording.
    public static func == (lhs: MigrationError, rhs: MigrationError) -> Bool { lhs.code == rhs.code }
}
