/// The sizing rule for ``FastCGIServerConfiguration/workerCount`` against the web server's
/// kept-alive connections (README "Sizing workers"): a worker stays bound to a kept-alive
/// connection between requests, so the web servers' idle connections must stay at most half
/// of the workers (equality was measured to hang requests: 88 of 130 with nginx).
public enum WorkerSizing {
    /// How many once-a-second checks in a row must see the rule broken before the server
    /// warns: a connection the web server is about to close looks idle for a moment.
    public static let checksBeforeWarning = 3

    /// The most idle kept-alive connections (nginx: `worker_processes × keepalive`) that
    /// `workerCount` workers can afford.
    public static func maximumIdleConnections(workerCount: Int) -> Int {
        max(workerCount, 0) / 2
    }

    /// Whether `idleConnections` kept-alive connections break the rule for `workerCount`.
    public static func breaksRule(idleConnections: Int, workerCount: Int) -> Bool {
        idleConnections > maximumIdleConnections(workerCount: workerCount)
    }

    /// What to say at start about `workerCount`, when the count alone breaks the rule: with a
    /// single worker no web server connection may be kept alive. nil otherwise (the count
    /// is logged as a notice, and a broken rule is reported when it is seen).
    public static func startupWarning(workerCount: Int) -> String? {
        guard maximumIdleConnections(workerCount: workerCount) == 0 else { return nil }
        return """
            FastCGI responder runs \(workerCount) worker thread: a kept-alive web server connection would hold \
            it between requests, so the web server must not keep connections (nginx: no upstream keepalive; \
            Apache: no enablereuse), or raise workers
            """
    }
}
