/// A snapshot of the server's counters, cheap to read at any time, for logs and health
/// checks.
public struct FastCGIServerStatistics: Sendable, Hashable {
    /// Configured worker threads.
    public var workerCount: Int
    /// Workers running a handler or reading or writing a request right now.
    public var busyWorkers: Int
    /// Kept-alive web server connections waiting in the epoll set for their next request
    /// (they hold no worker).
    public var idleKeptAliveConnections: Int
    /// Workers waiting for work: a connection to accept or the next request on a kept-alive one.
    public var availableWorkers: Int
    /// Requests answered (well formed or rejected) since start.
    public var requestsServed: Int
    /// Of those, requests handed to the handler as a rejection.
    public var requestsRejected: Int
    /// Web server connections accepted since start.
    public var connectionsAccepted: Int
    /// Checks (once a second) that found a new connection waiting while every worker was
    /// serving a request: more concurrent requests than workers.
    public var saturationEvents: Int
    /// Requests dropped because their parameters and body had not arrived within
    /// ``FastCGIServerConfiguration/requestTimeout``.
    public var requestsTimedOut: Int
}
