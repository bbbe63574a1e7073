internal import CLibPQ
import Foundation

/// Owns one `PGconn`; the only place a connection is freed.
final class ConnectionHandle {
    /// The libpq connection, valid until `deinit`.
    let pointer: OpaquePointer

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        PQfinish(pointer)
    }

    /// Opens a connection with `parameters` in order (later values win; the
    /// first `dbname` may be a whole conninfo string or URI). Returns `nil`
    /// only when libpq could not allocate.
    static func open(parameters: [(keyword: String, value: String)]) -> ConnectionHandle? {
        let keywords = parameters.map { strdup($0.keyword) }
        let values = parameters.map { strdup($0.value) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        guard !keywords.contains(nil), !values.contains(nil) else { return nil }
        let keywordArray: [UnsafePointer<CChar>?] = keywords.map { $0.map { UnsafePointer($0) } } + [nil]
        let valueArray: [UnsafePointer<CChar>?] = values.map { $0.map { UnsafePointer($0) } } + [nil]
        let connection = keywordArray.withUnsafeBufferPointer { keywordBuffer in
            valueArray.withUnsafeBufferPointer { valueBuffer in
                PQconnectdbParams(keywordBuffer.baseAddress, valueBuffer.baseAddress, 1)
            }
        }
        guard let connection else { return nil }
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        return ConnectionHandle(pointer: connection)
    }

    /// Whether libpq considers the session usable.
    var isOK: Bool { PQstatus(pointer) == CONNECTION_OK }

    /// libpq's last message for this connection, trimmed.
    var errorMessage: String {
        guard let message = PQerrorMessage(pointer) else { return "" }
        return String(cString: message).trimmingWhitespace
    }

    /// The server process serving this session.
    var backendPID: Int { Int(PQbackendPID(pointer)) }

    /// Where the session stands with respect to transactions.
    var transactionStatus: PGTransactionStatusType { PQtransactionStatus(pointer) }
}

extension String {
    /// The text without leading and trailing spaces and newlines (libpq ends messages with one).
    var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let end = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[start...end])
    }
}
