/// A failure of a persistence adapter, translated into terms the domain can act
/// on: an unreachable database becomes 503 with `Retry-After`, a conflict a 4xx.
public struct StoreError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure happened; two errors are equal when their codes are.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Value: Hashable, Sendable {
            case unavailable, conflict, notFound, corruptRecord, failed
        }
        fileprivate let value: Value

        /// The database cannot be reached now; the request may be retried later.
        public static let unavailable = Code(value: .unavailable)
        /// A uniqueness or state rule refused the write (e.g. a replayed `jti`).
        public static let conflict = Code(value: .conflict)
        /// The record asked for does not exist.
        public static let notFound = Code(value: .notFound)
        /// A stored row could not be turned back into a domain value.
        public static let corruptRecord = Code(value: .corruptRecord)
        /// Any other failure of the store; never shown to a client in detail.
        public static let failed = Code(value: .failed)

        public var description: String {
            switch value {
            case .unavailable: "unavailable"
            case .conflict: "conflict"
            case .notFound: "notFound"
            case .corruptRecord: "corruptRecord"
            case .failed: "failed"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// A message safe to log; never contains secrets.
    public let reason: String
    /// Where the error was made.
    public let location: String

    private init(code: Code, reason: String, file: String, line: Int) {
        self.code = code
        self.reason = reason
        self.location = "\(file):\(line)"
    }

    /// The database cannot be reached now.
    public static func unavailable(_ reason: String, file: String = #fileID, line: Int = #line) -> StoreError {
        StoreError(code: .unavailable, reason: reason, file: file, line: line)
    }
    /// A uniqueness or state rule refused the write.
    public static func conflict(_ reason: String, file: String = #fileID, line: Int = #line) -> StoreError {
        StoreError(code: .conflict, reason: reason, file: file, line: line)
    }
    /// The record asked for does not exist.
    public static func notFound(_ reason: String, file: String = #fileID, line: Int = #line) -> StoreError {
        StoreError(code: .notFound, reason: reason, file: file, line: line)
    }
    /// A stored row could not be decoded.
    public static func corruptRecord(_ reason: String, file: String = #fileID, line: Int = #line) -> StoreError {
        StoreError(code: .corruptRecord, reason: reason, file: file, line: line)
    }
    /// Any other failure.
    public static func failed(_ reason: String, file: String = #fileID, line: Int = #line) -> StoreError {
        StoreError(code: .failed, reason: reason, file: file, line: line)
    }

    public var description: String { "store \(code)" }
    public var debugDescription: String { "store \(code): \(reason) (\(location))" }
}

extension StoreError: Equatable {
    /// Errors are equal by code, so tests compare what happened, not wording.
    public static func == (lhs: StoreError, rhs: StoreError) -> Bool { lhs.code == rhs.code }
}
