internal import CFastCGI
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Where every worker waits for work, and where idle web server connections wait without
/// holding a worker: one `epoll(7)` set with the listening socket, the shutdown pipe and
/// every kept-alive connection between two requests.
///
/// A worker takes one event at a time: a connection to accept, or a parked connection whose
/// next request (or end) has arrived. Connections and the listening socket are registered
/// `EPOLLONESHOT`, so each readiness goes to exactly one worker; the worker serves one
/// request and parks the still-open connection again (``park(_:requestsServed:fresh:)``,
/// which re-arms it). The shutdown pipe is level-triggered and never read, so once written
/// it wakes every worker, now and at every later wait. Workers therefore count concurrent
/// requests, not the web servers' kept-alive connections: an idle connection costs a file
/// descriptor and an entry here.
///
/// Which connections are parked is kept under locks (64 shards by descriptor, so that
/// workers parking and taking different connections do not contend), so that a connection is
/// owned either by the set or by one worker, and ``closeParked()`` (at shutdown) closes only
/// connections no worker holds.
final class ConnectionPoller: Sendable {
    /// What a worker's wait came to.
    enum Event: Equatable {
        /// The listening socket has a connection to accept (re-arm with ``rearmListener()``).
        case listener
        /// A parked connection is readable; the worker now owns it.
        case connection(Int32, requestsServed: Int)
        /// Shutdown started.
        case shutdown
        /// `epoll_wait` failed (`errno`).
        case failed(Int32)
    }

    private struct Parked {
        /// Parked connection → requests it has carried (for the "closed without a request" log).
        var connections: [Int32: Int] = [:]
        /// Set by ``closeParked()``: later connections are closed instead of parked.
        var closed = false
    }

    private final class Shard: Sendable {
        let parked = Mutex(Parked())
    }

    private let descriptor: Int32
    private let listener: Int32
    private let shards: [Shard] = (0..<64).map { _ in Shard() }
    /// How many connections are parked now.
    let parkedCount = Atomic<Int>(0)

    private static let listenerToken = UInt64.max
    private static let wakeToken = UInt64.max - 1
    private static let connectionEvents = EPOLLIN.rawValue | EPOLLRDHUP.rawValue | EPOLLONESHOT.rawValue

    /// An epoll set holding `listener` (one-shot) and `wake` (level-triggered).
    init(listener: Int32, wake: Int32) throws(FastCGIServerError) {
        let descriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard descriptor >= 0 else { throw .system(.listenFailed, "cannot create the epoll set", errno: errno) }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeToken
        guard epoll_ctl(descriptor, EPOLL_CTL_ADD, wake, &event) == 0 else {
            let number = errno
            _ = close(descriptor)
            throw .system(.listenFailed, "cannot watch the shutdown pipe", errno: number)
        }
        event.events = EPOLLIN.rawValue | EPOLLONESHOT.rawValue
        event.data.u64 = Self.listenerToken
        guard epoll_ctl(descriptor, EPOLL_CTL_ADD, listener, &event) == 0 else {
            let number = errno
            _ = close(descriptor)
            throw .system(.listenFailed, "cannot watch the listening socket", errno: number)
        }
        self.descriptor = descriptor
        self.listener = listener
    }

    deinit {
        _ = close(descriptor)
    }

    /// Blocks until there is work for this worker or shutdown starts.
    func next() -> Event {
        var event = epoll_event()
        while true {
            let count = epoll_wait(descriptor, &event, 1, -1)
            if count < 0 {
                if errno == EINTR { continue }
                return .failed(errno)
            }
            guard count == 1 else { continue }
            switch event.data.u64 {
            case Self.wakeToken: return .shutdown
            case Self.listenerToken: return .listener
            default:
                let connection = Int32(truncatingIfNeeded: event.data.u64)
                if let requests = take(connection) { return .connection(connection, requestsServed: requests) }
            // Closed by closeParked() after the event was queued: not ours.
            }
        }
    }

    /// During shutdown: a parked connection whose next request has already arrived, if any
    /// (readiness wins over shutdown), without waiting. nil once only the shutdown pipe is
    /// ready.
    func readyWhileDraining() -> (connection: Int32, requestsServed: Int)? {
        var event = epoll_event()
        var wakes = 0
        // The ready list is a queue and the shutdown pipe goes back to its end each time it
        // is reported: seen twice in a row, nothing else was ready.
        while wakes < 2 {
            let count = epoll_wait(descriptor, &event, 1, 0)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return nil }
            switch event.data.u64 {
            case Self.wakeToken: wakes += 1
            case Self.listenerToken: continue
            default:
                let connection = Int32(truncatingIfNeeded: event.data.u64)
                if let requests = take(connection) { return (connection, requests) }
            }
        }
        return nil
    }

    /// Lets another worker accept the next connection.
    func rearmListener() {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLONESHOT.rawValue
        event.data.u64 = Self.listenerToken
        _ = epoll_ctl(descriptor, EPOLL_CTL_MOD, listener, &event)
    }

    /// Stops watching the listening socket (shutdown: no new connections).
    func forgetListener() {
        var event = epoll_event()
        _ = epoll_ctl(descriptor, EPOLL_CTL_DEL, listener, &event)
    }

    /// Hands a connection that waits for its next request to the set; the worker no longer
    /// owns it. `fresh`: never parked before (added, not re-armed). After ``closeParked()``,
    /// or if the set refuses it, the connection is closed instead. False when it was closed.
    @discardableResult
    func park(_ connection: Int32, requestsServed: Int, fresh: Bool) -> Bool {
        let accepted = shard(connection).parked.withLock { parked -> Bool in
            if parked.closed { return false }
            parked.connections[connection] = requestsServed
            return true
        }
        guard accepted else {
            _ = close(connection)
            return false
        }
        parkedCount.add(1, ordering: .relaxed)
        var event = epoll_event()
        event.events = Self.connectionEvents
        event.data.u64 = UInt64(UInt32(bitPattern: connection))
        if epoll_ctl(descriptor, fresh ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, connection, &event) != 0 {
            if take(connection) != nil { _ = close(connection) }
            return false
        }
        return true
    }

    /// Takes a parked connection out of the set; nil when it is not parked (anymore).
    private func take(_ connection: Int32) -> Int? {
        let requests = shard(connection).parked.withLock { $0.connections.removeValue(forKey: connection) }
        if requests != nil { parkedCount.subtract(1, ordering: .relaxed) }
        return requests
    }

    /// Closes every parked connection and every connection parked from now on (shutdown,
    /// once the workers have stopped or the grace period is over).
    func closeParked() {
        for shard in shards {
            let connections = shard.parked.withLock { parked -> [Int32] in
                parked.closed = true
                defer { parked.connections.removeAll() }
                return Array(parked.connections.keys)
            }
            parkedCount.subtract(connections.count, ordering: .relaxed)
            for connection in connections { _ = close(connection) }
        }
    }

    private func shard(_ connection: Int32) -> Shard {
        shards[Int(connection & 63)]
    }
}
