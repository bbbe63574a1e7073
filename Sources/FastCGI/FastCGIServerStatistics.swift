/// A snapshot of the server's counters, cheap to read at any time, for logs and health
/// checks.
public struct FastCGIServerStatistics: Sendable, Hashable {
    /// Configured worker threads.
    public var workerCount: Int
    /// Workers running a handler or reading or writing a request right now.
    public var busyWorkers: Int
    /// Workers holding an idle kept-alive web server connection (bound to it until the web
    /// server sends the next request or closes it).
    public var idleKeptAliveConnections: Int
    /// Workers free to accept a new connection.
    public var availableWorkers: Int
    /// Requests answered (well formed or rejected) since start.
    public var requestsServed: Int
    /// Of those, requests handed to the handler as a rejection.
    public var requestsRejected: Int
    /// Web server connections accepted since start.
    public var connectionsAccepted: Int
    /// Checks (once a second) that found a connection waiting while no worker was free to
    /// accept it: the sign of too few workers for the web server's kept-alive connections.
    public var saturationEvents: Int
    /// Requests dropped because their parameters and body had not arrived within
    /// ``FastCGIServerConfiguration/requestTimeout``.
    public var requestsTimedOut: Int
}
