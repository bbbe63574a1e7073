import Dispatch
import Logging

/// A FastCGI responder (FastCGI 1.0 §6.2) on libfcgi: worker threads, each with its own
/// handler and blocking I/O, accept the web server's connections on one listening socket,
/// turn each request into a ``FastCGIRequest`` and write the handler's ``FastCGIResponse``.
/// Between two requests a kept-alive web server connection waits in one epoll set, not in a
/// worker, so the workers count concurrent requests and any number of idle connections is
/// served.
///
/// ```swift
/// let server = try FastCGIServer(configuration: .init(listen: .unixSocket(path: p, permissions: 0o660)),
///                                logger: Logger(label: "credence.fastcgi")) { index in MyHandler(index) }
/// let signals = server.shutdownOnTerminationSignals()
/// try server.run()   // returns after SIGTERM/SIGINT and the graceful drain
/// ```
///
/// Read ``FastCGIServerConfiguration`` on sizing `workerCount`.
public final class FastCGIServer: Sendable {
    /// The configuration the server was made with.
    public let configuration: FastCGIServerConfiguration
    let core: ServerCore

    /// Validates the configuration, initialises libfcgi and opens the listening socket (so a
    /// bad path or a busy port fails here, before anything runs). A socket other hosts can
    /// reach (TCP not bound to loopback, also an inherited one) without
    /// ``FastCGIServerConfiguration/allowedPeers`` is refused with
    /// ``FastCGIServerError/Code/peerAllowlistRequired``. Nothing is accepted until
    /// ``run()``. `makeHandler` is called once on each worker thread with its index.
    public init(
        configuration: FastCGIServerConfiguration,
        logger: Logger = Logger(label: "credence.fastcgi"),
        makeHandler: @escaping @Sendable (_ workerIndex: Int) -> any FastCGIRequestHandler
    ) throws(FastCGIServerError) {
        try configuration.validate()
        let initialised = LibFCGI.initialise()
        guard initialised == 0 else {
            throw FastCGIServerError(
                .libraryInitializationFailed,
                "FCGX_Init failed",
                detail: "status \(initialised)"
            )
        }
        let listener = try ListeningSocket.open(
            configuration.listen,
            backlog: configuration.listenBacklog,
            ioTimeout: configuration.connectionIOTimeout
        )
        // FastCGI has no authentication: on a socket strangers can reach, the list of web
        // servers is all that keeps them from setting SSL_CLIENT_CERT. It must be in the
        // configuration; FCGI_WEB_SERVER_ADDRS only adds to it.
        if listener.isReachableFromOtherHosts && configuration.allowedPeers.isEmpty {
            throw FastCGIServerError(
                .peerAllowlistRequired,
                """
                \(listener.label) is reachable from other hosts and no allowed peers are configured: \
                list the web servers' addresses, or listen on loopback or a unix socket
                """
            )
        }
        let wake = try WakePipe()
        let poller = try ConnectionPoller(listener: listener.descriptor, wake: wake.readDescriptor)
        let allowlist = PeerAllowlist(
            addresses: configuration.allowedPeers
                + PeerAllowlist.split(Self.environment("FCGI_WEB_SERVER_ADDRS") ?? "")
        )
        self.configuration = configuration
        self.core = ServerCore(
            configuration: configuration,
            logger: logger,
            listener: listener,
            wake: wake,
            poller: poller,
            peerAllowlist: allowlist,
            makeHandler: makeHandler
        )
    }

    /// The TCP port listened on (useful with port 0), or nil for a unix socket.
    public var tcpPort: Int? { core.listener.tcpPort }

    /// The current counters.
    public var statistics: FastCGIServerStatistics {
        FastCGIServerStatistics(
            workerCount: configuration.workerCount,
            busyWorkers: core.busyWorkers.load(ordering: .relaxed),
            idleKeptAliveConnections: core.idleKeptAlive,
            availableWorkers: core.availableWorkers.load(ordering: .relaxed),
            requestsServed: core.requestsServed.load(ordering: .relaxed),
            requestsRejected: core.requestsRejected.load(ordering: .relaxed),
            connectionsAccepted: core.connectionsAccepted.load(ordering: .relaxed),
            saturationEvents: core.saturationEvents.load(ordering: .relaxed),
            requestsTimedOut: core.requestsTimedOut.load(ordering: .relaxed)
        )
    }

    /// Starts the workers and blocks until shutdown completes: ``shutdown()`` was called (or
    /// the listening socket failed), in-flight requests finished or the grace period ran out.
    /// Throws if the workers could not start or the listening socket failed while serving.
    /// A server runs once.
    public func run() throws(FastCGIServerError) {
        guard core.markStarted() else {
            throw FastCGIServerError(.alreadyRunning, "this FastCGI server has already run")
        }
        let logger = core.logger
        let count = configuration.workerCount
        logger.notice(
            "FastCGI responder listening",
            metadata: ["fastcgi.listen": "\(core.listener.label)", "fastcgi.workers": "\(count)"]
        )

        var startFailure: FastCGIServerError?
        for index in 0..<count {
            core.workersDone.enter()
            core.liveWorkers.add(1, ordering: .relaxed)
            let worker = Worker(index: index, core: core)
            let status = WorkerThread.start { worker.run() }
            if status != 0 {
                core.liveWorkers.subtract(1, ordering: .relaxed)
                core.workersDone.leave()
                startFailure = .system(.threadStartFailed, "cannot start worker thread \(index)", errno: status)
                break
            }
        }
        if let startFailure {
            logger.critical("FastCGI responder cannot start its workers: \(startFailure)")
            core.beginShutdown(failure: startFailure)
        }

        // Request deadlines are enforced every tick; the once-a-second check every fourth.
        var ticks = 0
        while core.shutdownStarted.wait(timeout: .now() + Self.tick) == .timedOut {
            core.deadlines.enforce()
            ticks += 1
            if ticks % 4 == 0 { core.checkSaturation() }
        }
        let started = core.shutdownInstant ?? .now
        let deadline = started + configuration.shutdownGracePeriod
        logger.notice(
            "FastCGI responder shutting down: no new connections, waiting for in-flight requests",
            metadata: ["fastcgi.busy": "\(core.busyWorkers.load(ordering: .relaxed))"]
        )
        var finished = false
        repeat {
            let wait = max(min(deadline - .now, .milliseconds(250)), .zero)
            finished = core.workersDone.wait(timeout: .now() + Self.dispatchInterval(wait)) == .success
            core.deadlines.enforce()
        } while !finished && deadline > .now
        // Kept-alive connections still waiting for a request are closed (the web server
        // opens new ones to whatever serves the socket next).
        core.poller.closeParked()
        if finished {
            core.listener.restoreStatusFlags()
            logger.notice("FastCGI responder stopped")
        } else {
            logger.error(
                """
                FastCGI responder stopped with workers still busy after the grace period; \
                their requests are abandoned
                """,
                metadata: ["fastcgi.busy": "\(core.liveWorkers.load(ordering: .relaxed))"]
            )
        }
        core.listener.removeSocketFile()
        if let failure = core.failure { throw failure }
    }

    /// Starts a graceful shutdown: stops accepting connections, serves requests that have
    /// already arrived on idle kept-alive connections and closes the rest, lets in-flight
    /// requests finish within the grace period, then ``run()`` returns. Safe from any thread, any number of times; before `run()` it makes `run()`
    /// return at once.
    public func shutdown() {
        core.beginShutdown()
    }

    /// How often `run()` enforces request deadlines.
    private static let tick = DispatchTimeInterval.milliseconds(250)

    private static func dispatchInterval(_ duration: Duration) -> DispatchTimeInterval {
        let (seconds, attoseconds) = duration.components
        let nanoseconds = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if nanoseconds.overflow || seconds > Int64(Int.max / 1_000_000_000) { return .never }
        return .nanoseconds(Int(nanoseconds.partialValue + attoseconds / 1_000_000_000))
    }

    private static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        return String(cString: value)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
