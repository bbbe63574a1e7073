#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A pipe that becomes readable, for every waiter at once, when shutdown starts: one byte is
/// written and never read; it is level-triggered in the workers' epoll set, so every
/// worker's `epoll_wait` sees it and returns, now and at every later wait. This wakes
/// workers waiting for work without closing or shutting down a descriptor another thread owns.
final class WakePipe: @unchecked Sendable {
    /// The end workers wait on.
    let readDescriptor: Int32
    private let writeDescriptor: Int32

    init() throws(FastCGIServerError) {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else {
            throw .system(.listenFailed, "cannot create the shutdown pipe", errno: errno)
        }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        readDescriptor = ends[0]
        writeDescriptor = ends[1]
    }

    deinit {
        _ = close(readDescriptor)
        _ = close(writeDescriptor)
    }

    /// Makes the read end readable for good. Safe to call more than once, from any thread.
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }
}
