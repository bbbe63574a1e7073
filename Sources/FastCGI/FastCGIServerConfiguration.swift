/// Everything the FastCGI responder needs to know before it starts: where it listens, how
/// many worker threads it runs, and the limits that protect each worker.
///
/// ## Sizing `workerCount`: the keep-alive rule
///
/// libfcgi serves one connection per worker thread at a time, and a worker whose connection
/// the web server keeps open (FastCGI `FCGI_KEEP_CONN`) stays bound to that connection
/// between requests. When the web server holds more idle upstream connections than the
/// responder has workers, the extra connections are never accepted and their requests hang
/// until the web server times out. So:
///
///     workerCount >= (web server processes × idle connections each keeps)
///                    + requests served concurrently on fresh connections
///
/// - nginx: `worker_processes × keepalive` of the `upstream` block (each nginx worker
///   keeps its own cache), for `fastcgi_keep_conn on`. Two nginx workers with `keepalive 8`
///   hold up to 16 connections, so the default of 32 leaves 16 workers for fresh ones.
/// - Apache `mod_proxy_fcgi` with `enablereuse=on`: every Apache child process keeps up to
///   `max` connections per worker (`max` defaults to `ThreadsPerChild`), so the sum over
///   children is the bound; set `max` explicitly and small.
///
/// The server logs the count at start (a warning only for a single worker, see
/// ``WorkerSizing``), and warns when more than half of the workers hold idle kept-alive
/// connections for several seconds, and when a connection waits while every worker is
/// occupied.
public struct FastCGIServerConfiguration: Sendable {
    /// The default number of worker threads: safe with the shipped nginx configuration
    /// (2 workers × keepalive 8 = 16 idle connections) with 16 workers to spare.
    public static let defaultWorkerCount = 32

    /// Where to listen.
    public var listen: FastCGIListenAddress
    /// Worker threads, each with its own handler, each serving one connection at a time.
    /// See the keep-alive rule above.
    public var workerCount: Int
    /// The largest total size, in bytes, of all parameter names and values of one request;
    /// a larger request is handed to the handler as ``FastCGIRequestRejection/parametersTooLarge(limit:)``.
    public var maxParametersBytes: Int
    /// The largest request body, in bytes; a larger body (declared or sent) is handed to the
    /// handler as ``FastCGIRequestRejection/bodyTooLarge(limit:)`` without being kept in memory.
    public var maxBodyBytes: Int
    /// How many bytes of a refused body the worker reads and discards so the connection stays
    /// usable and the web server reads the answer; beyond this the connection is closed.
    public var maxDiscardedBodyBytes: Int
    /// How long in-flight requests may run after ``FastCGIServer/shutdown()`` before `run()`
    /// stops waiting for them.
    public var shutdownGracePeriod: Duration
    /// The `listen(2)` backlog of the socket the server creates.
    public var listenBacklog: Int
    /// How long one read or write on a web server connection may block once a request has
    /// started (`SO_RCVTIMEO`/`SO_SNDTIMEO`); a stalled peer costs a worker at most this long.
    /// Idle kept-alive connections wait without limit: the web server closes them.
    public var connectionIOTimeout: Duration
    /// How long a request may take to arrive whole: from its first byte (or the accepted
    /// connection) to the end of its parameters and body. A peer that trickles bytes, each
    /// within ``connectionIOTimeout``, is cut off here, the connection closed unanswered and
    /// the worker freed.
    public var requestTimeout: Duration
    /// Numeric IPv4/IPv6 addresses of the web servers allowed to connect over TCP. Required
    /// (non-empty) when the listening socket is reachable from other hosts (not bound to
    /// 127.0.0.0/8 or ::1): FastCGI has no authentication, so whoever connects can set any
    /// parameter, `SSL_CLIENT_CERT` included. `FCGI_WEB_SERVER_ADDRS` (libfcgi's
    /// comma-separated variable) adds to the list but cannot replace it.
    public var allowedPeers: [String]

    /// A configuration with the documented defaults.
    public init(
        listen: FastCGIListenAddress = .defaultUnixSocket,
        workerCount: Int = FastCGIServerConfiguration.defaultWorkerCount,
        maxParametersBytes: Int = 16 * 1024,
        maxBodyBytes: Int = 64 * 1024,
        maxDiscardedBodyBytes: Int = 1024 * 1024,
        shutdownGracePeriod: Duration = .seconds(10),
        listenBacklog: Int = 128,
        connectionIOTimeout: Duration = .seconds(30),
        requestTimeout: Duration = .seconds(10),
        allowedPeers: [String] = []
    ) {
        self.listen = listen
        self.workerCount = workerCount
        self.maxParametersBytes = maxParametersBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxDiscardedBodyBytes = maxDiscardedBodyBytes
        self.shutdownGracePeriod = shutdownGracePeriod
        self.listenBacklog = listenBacklog
        self.connectionIOTimeout = connectionIOTimeout
        self.requestTimeout = requestTimeout
        self.allowedPeers = allowedPeers
    }

    /// Refuses values that cannot work, before any socket is touched.
    func validate() throws(FastCGIServerError) {
        guard (1...4096).contains(workerCount) else {
            throw .invalidConfiguration("workerCount must be between 1 and 4096, not \(workerCount)")
        }
        guard (1...(64 * 1024 * 1024)).contains(maxParametersBytes) else {
            throw .invalidConfiguration("maxParametersBytes must be between 1 and 64 MiB")
        }
        guard (0...(1024 * 1024 * 1024)).contains(maxBodyBytes) else {
            throw .invalidConfiguration("maxBodyBytes must be between 0 and 1 GiB")
        }
        guard maxDiscardedBodyBytes >= 0 else {
            throw .invalidConfiguration("maxDiscardedBodyBytes must not be negative")
        }
        guard shutdownGracePeriod >= .zero else {
            throw .invalidConfiguration("shutdownGracePeriod must not be negative")
        }
        guard (1...65535).contains(listenBacklog) else {
            throw .invalidConfiguration("listenBacklog must be between 1 and 65535")
        }
        guard connectionIOTimeout > .zero else {
            throw .invalidConfiguration("connectionIOTimeout must be positive")
        }
        guard requestTimeout > .zero else {
            throw .invalidConfiguration("requestTimeout must be positive")
        }
        for (index, peer) in allowedPeers.enumerated() where PeerAddress(parsing: peer) == nil {
            throw .invalidConfiguration("allowedPeers[\(index)] is not a numeric IPv4 or IPv6 address")
        }
        switch listen {
        case .unixSocket(let path, let permissions):
            guard !path.isEmpty, !path.utf8.contains(0) else {
                throw .invalidConfiguration("the unix socket path must be a non-empty path")
            }
            guard path.utf8.count <= ListeningSocket.maximumUnixPathLength else {
                throw .invalidConfiguration(
                    "the unix socket path is longer than \(ListeningSocket.maximumUnixPathLength) bytes"
                )
            }
            guard permissions <= 0o777 else {
                throw .invalidConfiguration("unix socket permissions must be at most 0o777")
            }
        case .tcp(let host, let port):
            guard (0...65535).contains(port) else {
                throw .invalidConfiguration("the TCP port must be between 0 and 65535, not \(port)")
            }
            guard !host.utf8.contains(0) else {
                throw .invalidConfiguration("the TCP host contains a NUL byte")
            }
        case .inheritedStandardInput:
            break
        }
    }
}
