#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Leader/followers for the listening socket: of the workers without a connection, exactly
/// one (the leader) waits on the socket; the others wait here. The leader accepts a
/// connection, hands leadership to the next follower, and only then serves, so a pending
/// connection always has a waiter and idle workers are not all woken for each connection
/// (as they would be with every worker polling the socket). Shutdown releases every follower.
final class AcceptLeadership: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    // Guarded by `mutex`.
    private var hasLeader = false
    private var closed = false

    init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Waits to become the leader; false once shutdown has started.
    func lead() -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while hasLeader && !closed { pthread_cond_wait(condition, mutex) }
        if closed { return false }
        hasLeader = true
        return true
    }

    /// Gives leadership to one waiting follower.
    func resign() {
        pthread_mutex_lock(mutex)
        hasLeader = false
        pthread_cond_signal(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Releases every follower for good.
    func close() {
        pthread_mutex_lock(mutex)
        closed = true
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }
}
