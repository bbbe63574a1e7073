internal import CFastCGI

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One worker's way to sleep until there is work or shutdown starts: its own `epoll`
/// instance watching the listening socket (`EPOLLEXCLUSIVE`, so a new connection wakes one
/// idle worker, not all of them) and the shutdown pipe (which wakes every worker); and
/// `poll(2)` on a kept-alive connection plus the shutdown pipe.
final class ReadinessWaiter {
    enum Event: Equatable {
        case ready
        case shutdown
        case failed(Int32)
    }

    private let epollDescriptor: Int32
    private let wakeDescriptor: Int32

    init(listening: Int32, wake: Int32) throws(FastCGIServerError) {
        epollDescriptor = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeDescriptor = wake
        guard epollDescriptor >= 0 else {
            throw .system(.threadStartFailed, "cannot create an epoll instance", errno: errno)
        }
        var listenEvent = epoll_event()
        listenEvent.events = EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue
        listenEvent.data.fd = listening
        var wakeEvent = epoll_event()
        wakeEvent.events = EPOLLIN.rawValue
        wakeEvent.data.fd = wake
        guard epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, listening, &listenEvent) == 0,
            epoll_ctl(epollDescriptor, EPOLL_CTL_ADD, wake, &wakeEvent) == 0
        else {
            let number = errno
            _ = close(epollDescriptor)
            throw .system(.threadStartFailed, "cannot watch the listening socket", errno: number)
        }
    }

    deinit {
        _ = close(epollDescriptor)
    }

    /// Waits until the listening socket may have a connection, or shutdown starts.
    func waitForConnection() -> Event {
        var events = (epoll_event(), epoll_event())
        while true {
            let count = withUnsafeMutableBytes(of: &events) { raw in
                epoll_wait(epollDescriptor, raw.baseAddress?.assumingMemoryBound(to: epoll_event.self), 2, -1)
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failed(errno)
            }
            var sawListener = false
            var sawWake = false
            withUnsafeBytes(of: &events) { raw in
                let list = raw.bindMemory(to: epoll_event.self)
                for index in 0..<Int(count) {
                    if list[index].data.fd == wakeDescriptor { sawWake = true } else { sawListener = true }
                }
            }
            if sawWake { return .shutdown }
            if sawListener { return .ready }
        }
    }

    /// Waits until a kept-alive connection has data (the next request, or its end), or
    /// shutdown starts. Data wins over shutdown: a request already sent is served.
    func waitForNextRequest(on connection: Int32) -> Event {
        var descriptors = [
            pollfd(fd: connection, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            let count = poll(&descriptors, 2, -1)
            if count < 0 {
                if errno == EINTR { continue }
                return .failed(errno)
            }
            if descriptors[0].revents != 0 { return .ready }
            if descriptors[1].revents != 0 { return .shutdown }
        }
    }
}
