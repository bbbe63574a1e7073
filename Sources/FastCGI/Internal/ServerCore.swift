import Dispatch
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// What the workers share: configuration, the listening socket, the shutdown pipe, the epoll
/// set where they wait and idle connections are parked, counters and the shutdown state.
/// Immutable apart from atomics and mutexes.
final class ServerCore: Sendable {
    let configuration: FastCGIServerConfiguration
    let logger: Logger
    let listener: ListeningSocket
    let wake: WakePipe
    let peerAllowlist: PeerAllowlist?
    let makeHandler: @Sendable (Int) -> any FastCGIRequestHandler
    /// Where workers wait for work and idle kept-alive connections wait for their next request.
    let poller: ConnectionPoller
    /// Each worker's request deadline, enforced by `run()`.
    let deadlines: RequestDeadlines

    // Counters, read by `statistics` at any time.
    let busyWorkers = Atomic<Int>(0)
    let availableWorkers = Atomic<Int>(0)
    let requestsServed = Atomic<Int>(0)
    let requestsRejected = Atomic<Int>(0)
    let connectionsAccepted = Atomic<Int>(0)
    let saturationEvents = Atomic<Int>(0)
    let requestsTimedOut = Atomic<Int>(0)
    let liveWorkers = Atomic<Int>(0)

    private let draining = Atomic<Bool>(false)
    private let state = Mutex(State())
    /// Left by each worker when its thread ends.
    let workersDone = DispatchGroup()
    /// Signalled once when shutdown starts, for `run()`.
    let shutdownStarted = DispatchSemaphore(value: 0)

    private struct State {
        var started = false
        var shutdownRequested = false
        var shutdownInstant: ContinuousClock.Instant?
        var failure: FastCGIServerError?
        var lastSaturationWarning: ContinuousClock.Instant?
        var lastResourceWarning: ContinuousClock.Instant?
    }

    init(
        configuration: FastCGIServerConfiguration,
        logger: Logger,
        listener: ListeningSocket,
        wake: WakePipe,
        poller: ConnectionPoller,
        peerAllowlist: PeerAllowlist?,
        makeHandler: @escaping @Sendable (Int) -> any FastCGIRequestHandler
    ) {
        self.configuration = configuration
        self.logger = logger
        self.listener = listener
        self.wake = wake
        self.poller = poller
        self.peerAllowlist = peerAllowlist
        self.makeHandler = makeHandler
        self.deadlines = RequestDeadlines(workerCount: configuration.workerCount)
    }

    /// True from the moment shutdown starts.
    var isDraining: Bool { draining.load(ordering: .acquiring) }

    /// Marks the server started; false if it already was.
    func markStarted() -> Bool {
        state.withLock { state in
            if state.started { return false }
            state.started = true
            return true
        }
    }

    /// When shutdown started, if it did.
    var shutdownInstant: ContinuousClock.Instant? { state.withLock { $0.shutdownInstant } }

    /// The failure that stopped the server, if it was not a requested shutdown.
    var failure: FastCGIServerError? { state.withLock { $0.failure } }

    /// Kept-alive connections parked in the epoll set.
    var idleKeptAlive: Int { poller.parkedCount.load(ordering: .relaxed) }

    /// Starts shutdown once: no new connections, every waiting worker woken, `run()` told.
    func beginShutdown(failure: FastCGIServerError? = nil) {
        let first = state.withLock { state -> Bool in
            if state.failure == nil { state.failure = failure }
            if state.shutdownRequested { return false }
            state.shutdownRequested = true
            state.shutdownInstant = .now
            return true
        }
        guard first else { return }
        draining.store(true, ordering: .releasing)
        poller.forgetListener()
        listener.stopAccepting()
        wake.signal()
        shutdownStarted.signal()
    }

    /// Run once a second by `run()`: a connection waiting on the listening socket while every
    /// worker is serving a request means more concurrent requests than workers (idle
    /// kept-alive connections hold no worker). Counted every time, logged at most once a
    /// minute. Workers are not woken for this.
    func checkSaturation() {
        guard availableWorkers.load(ordering: .relaxed) == 0, !isDraining else { return }
        var pending = pollfd(fd: listener.descriptor, events: Int16(POLLIN), revents: 0)
        guard poll(&pending, 1, 0) == 1, pending.revents & Int16(POLLIN) != 0 else { return }
        saturationEvents.add(1, ordering: .relaxed)
        let now = ContinuousClock.now
        let shouldLog = state.withLock { state -> Bool in
            if let last = state.lastSaturationWarning, now - last < .seconds(60) { return false }
            state.lastSaturationWarning = now
            return true
        }
        if shouldLog {
            logger.warning(
                """
                a FastCGI connection is waiting and every worker is serving a request: more concurrent \
                requests than workers; raise workers if this persists (idle kept-alive connections hold none)
                """,
                metadata: [
                    "fastcgi.workers": "\(configuration.workerCount)",
                    "fastcgi.idle_kept_alive": "\(idleKeptAlive)",
                    "fastcgi.busy": "\(busyWorkers.load(ordering: .relaxed))",
                ]
            )
        }
    }

    /// Logs running out of descriptors or memory on accept, at most once a minute.
    func warnResourceExhaustion(errno number: Int32) {
        let now = ContinuousClock.now
        let shouldLog = state.withLock { state -> Bool in
            if let last = state.lastResourceWarning, now - last < .seconds(60) { return false }
            state.lastResourceWarning = now
            return true
        }
        if shouldLog {
            logger.error(
                "cannot accept a FastCGI connection: \(SystemErrorText.describe(number)); retrying",
                metadata: ["fastcgi.errno": "\(number)"]
            )
        }
    }
}
