#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a worker sleeps until there is work or shutdown starts: `poll(2)` on one descriptor
/// (the listening socket, for the accept leader; a kept-alive connection otherwise) together
/// with the shutdown pipe, which wakes every worker at once.
enum ReadinessWaiter {
    enum Event: Equatable {
        case ready
        case shutdown
        case failed(Int32)
    }

    /// Waits until `descriptor` is readable (a connection to accept, the next request or the
    /// end of a kept-alive connection), or shutdown starts. Readiness wins over shutdown: a
    /// request already sent on a kept-alive connection is served.
    static func wait(for descriptor: Int32, wake: Int32) -> Event {
        var descriptors = [
            pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wake, events: Int16(POLLIN), revents: 0),
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
