import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Each worker's deadline for the request it is reading, enforced from outside the worker.
///
/// While libfcgi reads the body, a worker blocks inside `FCGX_GetStr`, and the socket's
/// receive timeout bounds only one `read(2)`: a peer sending a byte just often enough would
/// hold the worker for ever. The server's run loop calls ``enforce(now:)`` a few times a
/// second; it shuts down (`shutdown(2)`, not `close(2)`) the connection of every request past
/// its deadline, so the blocked read returns at once and the worker drops the request.
///
/// A worker arms its slot before it reads a request and disarms it before it closes the
/// connection; both happen under the slot's lock, which `enforce` holds while it shuts that
/// connection down, so a descriptor is never shut down after it was closed (and perhaps
/// reused). Each worker has its own lock: workers arm and disarm twice per request, and one
/// lock for all of them was a contended (priority-inheriting) futex under load.
final class RequestDeadlines: Sendable {
    private struct Slot {
        var connection: Int32 = -1
        var deadline: ContinuousClock.Instant?
        var expired = false
    }

    private final class Guarded: Sendable {
        let slot = Mutex(Slot())
    }

    private let slots: [Guarded]

    init(workerCount: Int) {
        slots = (0..<workerCount).map { _ in Guarded() }
    }

    /// Starts the clock for a request of `worker` on `connection`.
    func arm(worker: Int, connection: Int32, until deadline: ContinuousClock.Instant) {
        slots[worker].slot.withLock { $0 = Slot(connection: connection, deadline: deadline, expired: false) }
    }

    /// Stops the clock; true when the deadline had passed and the connection was shut down.
    @discardableResult
    func disarm(worker: Int) -> Bool {
        slots[worker].slot.withLock { slot in
            let expired = slot.expired
            slot = Slot()
            return expired
        }
    }

    /// Shuts down the connection of every armed request whose deadline is past; returns how
    /// many it cut off.
    @discardableResult
    func enforce(now: ContinuousClock.Instant = .now) -> Int {
        var count = 0
        for guarded in slots {
            count += guarded.slot.withLock { slot -> Int in
                guard !slot.expired, let deadline = slot.deadline, deadline <= now else { return 0 }
                _ = shutdown(slot.connection, Int32(SHUT_RDWR))
                slot.expired = true
                return 1
            }
        }
        return count
    }
}
