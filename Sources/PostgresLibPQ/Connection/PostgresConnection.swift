internal import CLibPQ
import Foundation

/// One worker's session with PostgreSQL. Each worker thread owns its own
/// connection (never shared: the class is deliberately not `Sendable`), which
/// keeps its statements prepared and repairs itself:
///
/// - it connects lazily, on the first call, so a worker starts even while the
///   database is down;
/// - a lost session (server restart, `pg_terminate_backend`, network) is
///   noticed on the next call, which fails with `connectionFailure`; the call
///   after it reconnects by itself. Only reads the caller marks `idempotent`
///   are retried once at once; writes never are, since whether they committed
///   is unknown;
/// - after a failed connection attempt, calls fail at once with
///   `connectionFailure` until a short back-off has passed.
public final class PostgresConnection {
    /// How this connection reaches the server and sets up its session.
    public let configuration: PostgresConfiguration

    private var handle: ConnectionHandle?
    /// Statement text and parameter types to prepared statement name, for this session only.
    private var statements: [StatementKey: String] = [:]
    private var statementCounter = 0
    private var failedAttempts = 0
    private var nextAttempt: ContinuousClock.Instant?
    private let clock = ContinuousClock()
    /// How many `transaction` blocks are open (more than one means savepoints).
    var transactionDepth = 0

    /// A connection that will connect on first use.
    public init(configuration: PostgresConfiguration) {
        self.configuration = configuration
    }

    /// A connection with default settings for `conninfo`.
    public convenience init(conninfo: String) {
        self.init(configuration: PostgresConfiguration(conninfo: conninfo))
    }

    /// Whether a session is open and libpq considers it healthy (it cannot
    /// know about a server gone away until the next call).
    public var isConnected: Bool { handle?.isOK ?? false }

    /// The server process of the current session, if one is open.
    public var backendPID: Int? { handle.flatMap { $0.isOK ? $0.backendPID : nil } }

    /// Opens the session now rather than on first use (a startup check).
    public func connect() throws(PostgresError) {
        _ = try session()
    }

    /// Closes the session; the next call opens a new one.
    public func close() {
        dropSession()
        failedAttempts = 0
        nextAttempt = nil
    }

    /// Runs a statement and returns its rows. Pass `idempotent: true` for a
    /// read that may safely run twice: if the session turns out to be lost,
    /// it is retried once on a new session instead of failing.
    @discardableResult
    public func query(_ query: PostgresQuery, idempotent: Bool = false) throws(PostgresError) -> [PostgresRow] {
        try perform(query, idempotent: idempotent).rows()
    }

    /// Runs a statement and returns how many rows it inserted, updated or
    /// deleted. Never retried.
    @discardableResult
    public func execute(_ query: PostgresQuery) throws(PostgresError) -> Int {
        try perform(query, idempotent: false).affectedRows
    }

    /// Runs trusted SQL text that may hold several statements (a migration
    /// file) with the simple query protocol: no parameters, nothing prepared,
    /// never retried. The name says it: never pass text built from input.
    public func runScript(unsafeSQL sql: String) throws(PostgresError) {
        _ = try simple(sql, what: "script")
    }

    /// Checks the database answers `SELECT 1`, reconnecting if need be; the
    /// health check behind a 503.
    public func ping() throws(PostgresError) {
        let rows = try query("SELECT 1 AS ok", idempotent: true)
        guard let first = rows.first, try first.decode("ok", as: Int.self) == 1 else {
            throw .queryFailure("health check returned no row", sqlState: nil)
        }
    }

    /// Whether `ping()` succeeds now.
    public func isReachable() -> Bool {
        (try? ping()) != nil
    }

    // MARK: - Sending statements

    private func perform(_ query: PostgresQuery, idempotent: Bool) throws(PostgresError) -> ResultHandle {
        if let refusal = query.refusal { throw .invalidQuery(refusal) }
        guard query.bindings.count <= Int(UInt16.max) else {
            throw .invalidQuery("\(query.bindings.count) parameters; at most 65535")
        }
        for binding in query.bindings where (binding.bytes?.count ?? 0) >= 1 << 30 {
            throw .invalidQuery("a parameter of \(binding.bytes?.count ?? 0) bytes; at most 1 GiB")
        }
        let hadSession = isConnected
        do throws(PostgresError) {
            return try performOnce(query)
        } catch {
            // A session that died under a read: one immediate retry on a new one.
            guard error.code == .connectionFailure, idempotent, hadSession, transactionDepth == 0 else {
                throw error
            }
            return try performOnce(query)
        }
    }

    private func performOnce(_ query: PostgresQuery) throws(PostgresError) -> ResultHandle {
        let connection = try session()
        let key = StatementKey(sql: query.sql, types: query.bindings.map(\.dataType.rawValue))
        let name = try preparedName(for: key, on: connection)
        let result = execPrepared(name, bindings: query.bindings, on: connection)
        do throws(PostgresError) {
            return try check(result, on: connection, what: "statement")
        } catch  where error.code == .queryFailure && Self.isStalePreparedStatement(error) {
            // The session lost its prepared statement (DEALLOCATE, DISCARD), or a
            // migration changed a table under it: the statement did not run, so
            // prepare it again and run it once more.
            statements[key] = nil
            if error.sqlState != .invalidStatementName {
                _ = try? simple("DEALLOCATE \(name)", what: "DEALLOCATE")
            }
            let again = try preparedName(for: key, on: connection)
            let retried = execPrepared(again, bindings: query.bindings, on: connection)
            return try check(retried, on: connection, what: "statement")
        }
    }

    /// Whether `error` says the prepared statement itself is gone or stale,
    /// rather than anything about the data.
    private static func isStalePreparedStatement(_ error: PostgresError) -> Bool {
        if error.sqlState == .invalidStatementName { return true }
        return error.sqlState == .featureNotSupported
            && (error.serverMessage ?? "").hasPrefix("cached plan must not change result type")
    }

    /// The name of `key`'s prepared statement in this session, preparing it the first time.
    private func preparedName(for key: StatementKey, on connection: ConnectionHandle) throws(PostgresError) -> String {
        if let name = statements[key] { return name }
        if statements.count >= max(1, configuration.preparedStatementLimit) {
            _ = try simple("DEALLOCATE ALL", what: "DEALLOCATE")
            statements.removeAll()
        }
        statementCounter += 1
        let name = "credence_\(statementCounter)"
        let types: [Oid] = key.types
        let result = PQprepare(connection.pointer, name, key.sql, Int32(types.count), types)
        _ = try check(result, on: connection, what: "prepare")
        statements[key] = name
        return name
    }

    private func execPrepared(
        _ name: String,
        bindings: [PostgresBinding],
        on connection: ConnectionHandle
    ) -> OpaquePointer? {
        // One buffer for all values; a leading byte so it is never empty and a
        // zero-length value still gets a non-NULL pointer (NULL means SQL NULL).
        var storage: [UInt8] = [0]
        var offsets: [Int?] = []
        var lengths: [Int32] = []
        for binding in bindings {
            if let bytes = binding.bytes {
                offsets.append(storage.count)
                lengths.append(Int32(bytes.count))
                storage.append(contentsOf: bytes)
            } else {
                offsets.append(nil)
                lengths.append(0)
            }
        }
        let formats = [Int32](repeating: 1, count: bindings.count)
        return storage.withUnsafeBytes { buffer -> OpaquePointer? in
            guard let base = buffer.baseAddress else { return nil }
            let values: [UnsafePointer<CChar>?] = offsets.map { offset in
                offset.map { (base + $0).assumingMemoryBound(to: CChar.self) }
            }
            return PQexecPrepared(connection.pointer, name, Int32(bindings.count), values, lengths, formats, 1)
        }
    }

    /// Runs SQL with the simple query protocol (transaction control, scripts).
    @discardableResult
    func simple(_ sql: String, what: String) throws(PostgresError) -> ResultHandle {
        let connection = try session()
        return try check(PQexec(connection.pointer, sql), on: connection, what: what)
    }

    /// Turns a libpq result into a handle or the right error, dropping the
    /// session when the failure means it is gone.
    private func check(
        _ pointer: OpaquePointer?,
        on connection: ConnectionHandle,
        what: String
    ) throws(PostgresError) -> ResultHandle {
        guard let pointer else {
            let message = connection.errorMessage
            if !connection.isOK {
                dropSession()
                throw .connectionFailure("the connection to the database was lost", serverMessage: message)
            }
            throw .queryFailure("\(what) got no result", sqlState: nil, serverMessage: message)
        }
        let result = ResultHandle(pointer: pointer)
        if result.succeeded { return result }
        let state = result.sqlState
        if !connection.isOK || state?.meansConnectionLost == true {
            let message = result.safeErrorMessage.isEmpty ? connection.errorMessage : result.safeErrorMessage
            dropSession()
            throw .connectionFailure(
                "the connection to the database was lost",
                sqlState: state,
                serverMessage: message
            )
        }
        throw .queryFailure("\(what) failed", sqlState: state, serverMessage: result.safeErrorMessage)
    }

    // MARK: - The session

    /// The open session, opening one if there is none and none is forbidden now.
    private func session() throws(PostgresError) -> ConnectionHandle {
        if let handle {
            if handle.isOK { return handle }
            dropSession()
        }
        if transactionDepth > 0 {
            throw .connectionFailure("the connection was lost inside a transaction, which did not complete")
        }
        if let nextAttempt, clock.now < nextAttempt {
            throw .connectionFailure("the database is unreachable; waiting before the next attempt")
        }
        return try openSession()
    }

    private func openSession() throws(PostgresError) -> ConnectionHandle {
        let parameters: [(keyword: String, value: String)] = [
            // Defaults first: the conninfo (expanded from `dbname`) may override them.
            ("connect_timeout", String(max(1, configuration.connectTimeoutSeconds))),
            ("application_name", configuration.applicationName),
            // A database host that vanishes (network blackhole) must not hold a worker for the
            // kernel's retransmission time: TCP keepalive on idle sessions, and a bound on
            // unacknowledged data. Ignored on unix sockets.
            ("keepalives", "1"),
            ("keepalives_idle", "30"),
            ("keepalives_interval", "10"),
            ("keepalives_count", "3"),
            ("tcp_user_timeout", String(max(1, configuration.connectTimeoutSeconds) * 5 * 1000)),
            ("dbname", configuration.conninfo),
            // Forced last: decoding expects UTF-8 text.
            ("client_encoding", "UTF8"),
        ]
        guard let connection = ConnectionHandle.open(parameters: parameters) else {
            recordFailedAttempt()
            throw .connectionFailure("could not allocate a connection")
        }
        guard connection.isOK else {
            let message = connection.errorMessage
            recordFailedAttempt()
            throw .connectionFailure("could not connect to the database", serverMessage: message)
        }
        let setup: String
        do throws(PostgresError) {
            setup = try sessionSetupSQL()
        } catch {
            recordFailedAttempt()
            throw error
        }
        let result = ResultHandle.wrap(PQexec(connection.pointer, setup))
        guard let result, result.succeeded else {
            let message = result?.safeErrorMessage ?? connection.errorMessage
            recordFailedAttempt()
            throw .connectionFailure("could not set up the database session", serverMessage: message)
        }
        handle = connection
        statements.removeAll()
        failedAttempts = 0
        nextAttempt = nil
        return connection
    }

    private func sessionSetupSQL() throws(PostgresError) -> String {
        var setup = "SET TimeZone = 'UTC'; SET client_min_messages = warning;"
        if let timeout = configuration.statementTimeout {
            let (seconds, attoseconds) = timeout.components
            let milliseconds = max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
            setup += " SET statement_timeout = \(milliseconds);"
        }
        if let searchPath = configuration.searchPath {
            var names: [String] = []
            for schema in searchPath {
                guard let quoted = PostgresQuery.quoteIdentifier(schema) else {
                    throw .invalidQuery("search_path entry is empty or contains NUL")
                }
                names.append(quoted)
            }
            setup += names.isEmpty ? " SET search_path = '';" : " SET search_path = \(names.joined(separator: ", "));"
        }
        return setup
    }

    private func recordFailedAttempt() {
        failedAttempts += 1
        var delay = configuration.reconnectBackoff.lowerBound
        for _ in 1..<max(1, min(failedAttempts, 32)) where delay < configuration.reconnectBackoff.upperBound {
            delay = min(delay * 2, configuration.reconnectBackoff.upperBound)
        }
        nextAttempt = clock.now.advanced(by: delay)
    }

    private func dropSession() {
        handle = nil
        statements.removeAll()
    }

    /// Where the session stands with respect to transactions; `nil` without a session.
    var sessionTransactionStatus: PGTransactionStatusType? {
        guard let handle, handle.isOK else { return nil }
        return handle.transactionStatus
    }
}

/// What makes a prepared statement reusable: the same text with the same parameter types.
private struct StatementKey: Hashable {
    let sql: String
    let types: [UInt32]
}
