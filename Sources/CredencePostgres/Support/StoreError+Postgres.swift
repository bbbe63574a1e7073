import CredenceCore
import PostgresLibPQ

extension StoreError {
    /// Translates a database error into the domain's terms, keeping libpq's and
    /// the server's wording out (the SQLSTATE is kept: it names no data).
    /// `operation` says what the store was doing ("insert signing key").
    static func translating(_ error: PostgresError, during operation: String) -> StoreError {
        let state = error.sqlState.map { " (sqlstate \($0))" } ?? ""
        switch error.code {
        case .connectionFailure:
            return .unavailable("\(operation): the database is unreachable\(state)")
        case .typeMismatch, .unexpectedNull, .missingColumn, .invalidValue:
            return .corruptRecord("\(operation): a stored row could not be read: \(error.reason)")
        case .queryFailure:
            switch error.sqlState {
            case SQLState.uniqueViolation?, SQLState.exclusionViolation?, SQLState.foreignKeyViolation?:
                return .conflict("\(operation): refused by a uniqueness or reference rule\(state)")
            case SQLState.serializationFailure?, SQLState.deadlockDetected?, SQLState.queryCanceled?,
                SQLState.lockNotAvailable?, SQLState.cannotConnectNow?:
                return .unavailable("\(operation): the database is busy; try again\(state)")
            case SQLState.undefinedTable?:
                // The schema is missing or older than this binary (a database restored or
                // recreated while the responder ran): a 503 until `credence migrate` runs.
                return .unavailable("\(operation): the database schema is not migrated; run `credence migrate`\(state)")
            case let code? where code.codeClass == "53":
                return .unavailable("\(operation): the database is out of resources\(state)")
            default:
                return .failed("\(operation): the database refused the statement\(state)")
            }
        default:
            return .failed("\(operation): \(error.code)")
        }
    }
}

/// Runs one store operation, turning whatever it throws into a `StoreError`:
/// database errors translated, store errors passed through, anything else
/// `failed`. Every method of every Postgres store goes through here, so no
/// libpq detail reaches the domain.
@discardableResult
func storeOperation<Value>(_ operation: String, _ body: () throws -> Value) throws(StoreError) -> Value {
    do {
        return try body()
    } catch let error as StoreError {
        throw error
    } catch let error as PostgresError {
        throw .translating(error, during: operation)
    } catch {
        throw .failed("\(operation): unexpected error")
    }
}
