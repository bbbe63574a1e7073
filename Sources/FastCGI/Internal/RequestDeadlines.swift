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
/// connection; both happen under the lock that `enforce` holds while it shuts a connection
/// down, so a descriptor is never shut down after it was closed (and perhaps reused).
final class RequestDeadlines: Sendable {
    private struct Slot {
        var connection: Int32 = -1
        var deadline: ContinuousClock.Instant?
        var expired = false
    }

    private let slots: Mutex<[Slot]>

    init(workerCount: Int) {
        slots = Mutex([Slot](repeating: Slot(), count: workerCount))
    }

    /// Starts the clock for a request of `worker` on `connection`.
    func arm(worker: Int, connection: Int32, until deadline: ContinuousClock.Instant) {
        slots.withLock { $0[worker] = Slot(connection: connection, deadline: deadline, expired: false) }
    }

    /// Stops the clock; true when the deadline had passed and the connection was shut down.
    @discardableResult
    func disarm(worker: Int) -> Bool {
        slots.withLock { slots in
            let expired = slots[worker].expired
            slots[worker] = Slot()
            return expired
        }
    }

    /// Shuts down the connection of every armed request whose deadline is past; returns how
    /// many it cut off.
    @discardableResult
    func enforce(now: ContinuousClock.Instant = .now) -> Int {
        slots.withLock { slots in
            var count = 0
            for index in slots.indices {
                guard !slots[index].expired, let deadline = slots[index].deadline, deadline <= now else { continue }
                _ = shutdown(slots[index].connection, Int32(SHUT_RDWR))
                slots[index].expired = true
                count += 1
            }
            return count
        }
    }
}
