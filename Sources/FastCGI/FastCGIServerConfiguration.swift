#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Everything the FastCGI responder needs to know before it starts: where it listens, how
/// many worker threads it runs, and the limits that protect each worker.
///
/// ## Sizing `workerCount`
///
/// A worker holds a web server connection only while it serves one request: between requests
/// a kept-alive connection (FastCGI `FCGI_KEEP_CONN`) waits in one epoll set and costs a file
/// descriptor, not a worker. So `workerCount` is the number of requests served at the same
/// time, a matter of CPU and of what a request waits on (one PostgreSQL round trip or a few),
/// not of the web servers' connection pools: nginx may keep `keepalive 64` per worker process
/// and Apache `enablereuse=on` with any number of workers. More concurrent requests than
/// workers queue (the kernel's listen backlog, then the epoll set) and are served in turn;
/// the server warns when a new connection waits while every worker is busy.
public struct FastCGIServerConfiguration: Sendable {
    /// The default number of worker threads: four per online CPU, at least 8 and at most 64
    /// (each worker also holds one database connection in Credence).
    public static let defaultWorkerCount = defaultWorkerCount(processors: sysconf(Int32(_SC_NPROCESSORS_ONLN)))

    /// Four workers per processor, within 8...64.
    static func defaultWorkerCount(processors: Int) -> Int {
        min(max(4 * processors, 8), 64)
    }

    /// Where to listen.
    public var listen: FastCGIListenAddress
    /// Worker threads, each with its own handler, each serving one request at a time. See
    /// "Sizing `workerCount`" above.
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
    /// The `listen(2)` backlog of the socket the server creates (capped by the kernel's
    /// `somaxconn`): connections a web server opens in a burst wait here until a worker
    /// accepts them.
    public var listenBacklog: Int
    /// How long one read or write on a web server connection may block once a request has
    /// started (`SO_RCVTIMEO`/`SO_SNDTIMEO`); a stalled peer costs a worker at most this long.
    /// Idle kept-alive connections wait in the epoll set without limit and without a worker:
    /// the web server closes them.
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
        listenBacklog: Int = 1024,
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
