/// The one error type of the `FastCGI` target: a stable ``Code`` for callers and tests, a
/// safe `description` (fit for a log line or the command line), and the place it was raised
/// plus system details in `debugDescription`.
public struct FastCGIServerError: Error, Sendable, Equatable, CustomStringConvertible,
    CustomDebugStringConvertible
{
    /// What went wrong, as an opaque value; two errors are equal when their codes are.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String

        /// A configuration value is out of range (worker count, limits, port, permissions).
        public static let invalidConfiguration = Code(name: "invalid_configuration")
        /// The unix socket path exists and is not a socket; it is never removed.
        public static let pathNotASocket = Code(name: "path_not_a_socket")
        /// Another process is listening on the unix socket path or TCP address.
        public static let addressInUse = Code(name: "address_in_use")
        /// The listening socket is reachable from other hosts (TCP on an address other than
        /// loopback) and ``FastCGIServerConfiguration/allowedPeers`` is empty.
        public static let peerAllowlistRequired = Code(name: "peer_allowlist_required")
        /// The listening socket could not be created, bound or put in listening state.
        public static let listenFailed = Code(name: "listen_failed")
        /// The inherited standard input is not a listening stream socket.
        public static let notAListeningSocket = Code(name: "not_a_listening_socket")
        /// libfcgi's `FCGX_Init` failed.
        public static let libraryInitializationFailed = Code(name: "library_initialization_failed")
        /// A worker thread could not be started.
        public static let threadStartFailed = Code(name: "thread_start_failed")
        /// The listening socket failed while serving; the server shut down.
        public static let acceptFailed = Code(name: "accept_failed")
        /// `run()` was called on a server that already ran.
        public static let alreadyRunning = Code(name: "already_running")

        /// The stable name of the code.
        public var description: String { name }
    }

    /// The kind of failure; compare this, never the strings.
    public let code: Code
    /// A message safe to show or log.
    public let reason: String
    let detail: String
    let file: String
    let line: Int

    init(_ code: Code, _ reason: String, detail: String = "", file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.detail = detail
        self.file = file
        self.line = line
    }

    /// Errors are equal when their codes are: reasons and places are for people.
    public static func == (lhs: FastCGIServerError, rhs: FastCGIServerError) -> Bool {
        lhs.code == rhs.code
    }

    /// A safe, short description: the code and the reason.
    public var description: String { "FastCGIServerError.\(code): \(reason)" }

    /// The description plus system details and the place the error was raised.
    public var debugDescription: String {
        var text = "FastCGIServerError.\(code): \(reason) (\(file):\(line))"
        if !detail.isEmpty { text += " [\(detail)]" }
        return text
    }
}

extension FastCGIServerError {
    static func invalidConfiguration(
        _ reason: String,
        file: String = #fileID,
        line: Int = #line
    )
        -> FastCGIServerError
    {
        FastCGIServerError(.invalidConfiguration, reason, file: file, line: line)
    }

    static func system(
        _ code: Code,
        _ reason: String,
        errno number: Int32,
        file: String = #fileID,
        line: Int = #line
    ) -> FastCGIServerError {
        FastCGIServerError(
            code,
            "\(reason): \(SystemErrorText.describe(number))",
            detail: "errno \(number)",
            file: file,
            line: line
        )
    }
}
