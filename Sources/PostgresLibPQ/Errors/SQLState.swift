/// A PostgreSQL SQLSTATE code (PostgreSQL manual, Appendix A), so callers can
/// act on *why* the server refused a statement without parsing messages.
public struct SQLState: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The five-character code, e.g. `23505`.
    public let rawValue: String

    /// Wraps a five-character code as reported by the server.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// The two-character class (`23` integrity constraint violation, `08` connection exception).
    public var codeClass: String { String(rawValue.prefix(2)) }

    public var description: String { rawValue }

    /// A unique constraint or unique index refused the row (`23505`).
    public static let uniqueViolation = SQLState(rawValue: "23505")
    /// A foreign key refused the row (`23503`).
    public static let foreignKeyViolation = SQLState(rawValue: "23503")
    /// A `NOT NULL` column got a null (`23502`).
    public static let notNullViolation = SQLState(rawValue: "23502")
    /// A `CHECK` constraint refused the row (`23514`).
    public static let checkViolation = SQLState(rawValue: "23514")
    /// An exclusion constraint refused the row (`23P01`).
    public static let exclusionViolation = SQLState(rawValue: "23P01")
    /// A serializable transaction lost a conflict and may be retried (`40001`).
    public static let serializationFailure = SQLState(rawValue: "40001")
    /// The server broke a deadlock by cancelling this statement (`40P01`).
    public static let deadlockDetected = SQLState(rawValue: "40P01")
    /// The statement was cancelled, normally by `statement_timeout` (`57014`).
    public static let queryCanceled = SQLState(rawValue: "57014")
    /// A lock could not be had within `lock_timeout` (`55P03`).
    public static let lockNotAvailable = SQLState(rawValue: "55P03")
    /// The server terminated this session (`pg_terminate_backend`, fast shutdown) (`57P01`).
    public static let adminShutdown = SQLState(rawValue: "57P01")
    /// The server crashed and is restarting (`57P02`).
    public static let crashShutdown = SQLState(rawValue: "57P02")
    /// The server is starting up or shutting down (`57P03`).
    public static let cannotConnectNow = SQLState(rawValue: "57P03")
    /// The statement ran inside a transaction that had already failed (`25P02`).
    public static let inFailedTransaction = SQLState(rawValue: "25P02")
    /// The named prepared statement does not exist in the session (`26000`).
    public static let invalidStatementName = SQLState(rawValue: "26000")
    /// The server does not support what was asked, e.g. a prepared plan whose
    /// result type changed under it (`0A000`).
    public static let featureNotSupported = SQLState(rawValue: "0A000")
    /// A table named in the statement does not exist (`42P01`).
    public static let undefinedTable = SQLState(rawValue: "42P01")
    /// The statement is not valid SQL (`42601`).
    public static let syntaxError = SQLState(rawValue: "42601")
    /// A text value held a byte the encoding forbids, such as NUL (`22021`).
    public static let characterNotInRepertoire = SQLState(rawValue: "22021")
    /// A value could not be read as its type (`22P02`).
    public static let invalidTextRepresentation = SQLState(rawValue: "22P02")

    /// Whether the code says the session is gone rather than the statement wrong:
    /// class `08` or an administrator/crash shutdown.
    public var meansConnectionLost: Bool {
        codeClass == "08" || self == .adminShutdown || self == .crashShutdown
            || self == .cannotConnectNow
    }
}
